"""Multipart uploads on local disk with S3's rules, so code tested on one backend behaves the
same on the other. Blocking: `LocalStorage` calls this from worker threads."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from infra.storage.base import (
    MIN_PART_SIZE,
    InvalidParts,
    UploadNotFound,
    check_part_number,
    normalise_etag,
)
from infra.storage.disk import BLOCK_SIZE, Disk, unlink_quietly

_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_PART_FILE = re.compile(r"(\d+)\.([0-9a-f]{32})")


class Multipart:
    """Part numbers, ETags and a minimum part size as S3 has them.

    Each upload is a directory::

        .multipart/<upload_id>/        upload.json (key, content type) and parts "<n>.<md5>"
    """

    def __init__(self, disk: Disk) -> None:
        self._disk = disk
        self.root = disk.root / ".multipart"

    def create(self, key: str, content_type: str) -> str:
        upload_id = uuid.uuid4().hex
        directory = self.root / upload_id
        directory.mkdir(parents=True)
        (directory / "upload.json").write_text(
            json.dumps({"key": key, "content_type": content_type})
        )
        return upload_id

    def load(self, key: str, upload_id: str) -> tuple[Path, dict[str, Any]]:
        """The upload's directory and record; `UploadNotFound` unless it exists for ``key``."""
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise UploadNotFound("no such upload")
        directory = self.root / upload_id
        try:
            record: dict[str, Any] = json.loads((directory / "upload.json").read_text())
        except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
            raise UploadNotFound("no such upload") from exc
        if record.get("key") != key:
            raise UploadNotFound("no such upload for this key")
        return directory, record

    def commit_part(self, tmp: Path, key: str, upload_id: str, part_number: int, etag: str) -> None:
        directory, _ = self.load(key, upload_id)
        # The ETag is in the file name so that data and ETag appear together in one rename.
        os.replace(tmp, directory / f"{part_number}.{etag}")
        # A part uploaded again replaces the earlier one, as in S3.
        for old in directory.glob(f"{part_number}.*"):
            if old.name != f"{part_number}.{etag}":
                unlink_quietly(old)

    def list_parts(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        directory, _ = self.load(key, upload_id)
        return sorted(
            (number, etag, path.stat().st_size)
            for number, (etag, path) in _parts(directory).items()
        )

    def complete(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        directory, record = self.load(key, upload_id)
        files, wanted = _chosen_files(directory, parts)
        tmp = self._disk.new_temp()
        try:
            with tmp.open("wb") as out:
                for part in files:
                    with part.open("rb") as src:
                        shutil.copyfileobj(src, out, BLOCK_SIZE)
            # S3's multipart ETag: the MD5 of the parts' binary MD5s, then "-<count>".
            combined = hashlib.md5(
                b"".join(bytes.fromhex(etag) for _, etag in wanted), usedforsecurity=False
            )
            etag = f"{combined.hexdigest()}-{len(wanted)}"
            self._disk.commit(tmp, key, etag, record.get("content_type"))
        finally:
            unlink_quietly(tmp)
        shutil.rmtree(directory, ignore_errors=True)

    def abort(self, key: str, upload_id: str) -> None:
        try:
            directory, _ = self.load(key, upload_id)
        except UploadNotFound:
            return
        shutil.rmtree(directory, ignore_errors=True)


def _parts(directory: Path) -> dict[int, tuple[str, Path]]:
    parts: dict[int, tuple[str, Path]] = {}
    for entry in directory.iterdir():
        match = _PART_FILE.fullmatch(entry.name)
        if match:
            parts[int(match[1])] = (match[2], entry)
    return parts


def _chosen_files(
    directory: Path, parts: list[tuple[int, str]]
) -> tuple[list[Path], list[tuple[int, str]]]:
    """The part files named by ``parts`` in part-number order, checked as S3 checks them."""
    if not parts:
        raise InvalidParts("a multipart upload needs at least one part")
    wanted = sorted((check_part_number(n), normalise_etag(etag)) for n, etag in parts)
    if len({n for n, _ in wanted}) != len(wanted):
        raise InvalidParts("each part number may be named once")
    uploaded = _parts(directory)
    files: list[Path] = []
    for number, etag in wanted:
        found = uploaded.get(number)
        if found is None or found[0] != etag:
            raise InvalidParts(f"part {number} with ETag {etag} was not uploaded")
        files.append(found[1])
    sizes = [f.stat().st_size for f in files]
    if any(size < MIN_PART_SIZE for size in sizes[:-1]):
        raise InvalidParts(f"every part but the last must be at least {MIN_PART_SIZE} bytes")
    return files, wanted
