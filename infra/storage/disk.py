"""Objects as files under a root directory, for `LocalStorage`. Blocking: `LocalStorage` calls
this from worker threads."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import IO, Any

from infra.storage.base import InvalidKey, ObjectInfo, ObjectNotFound, check_key

# Writes and reads go to a worker thread in blocks of this size: large enough that thread
# hand-offs cost nothing next to the disk, small enough to keep memory flat.
BLOCK_SIZE = 1024 * 1024
_STALE_TEMP_S = 24 * 3600


class Disk:
    """Each object is written to a temp file and renamed into place when complete, so a reader
    never sees half of one, with a small metadata file beside it. Besides the objects::

        .tmp/                          files being written
        <dir>/.<name>.meta.json        ETag and content type of <dir>/<name>

    Object keys never have a segment starting with a dot (`check_key`), so neither collides with
    an object.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / ".tmp"

    def object_path(self, key: str) -> Path:
        # check_key has refused "..", absolute paths and dot-segments, so this stays in root.
        return self.root.joinpath(*check_key(key).split("/"))

    def new_temp(self) -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / uuid.uuid4().hex

    def commit(self, tmp: Path, key: str, etag: str, content_type: str | None) -> None:
        """Rename a finished temp file into place as the object, then record its metadata."""
        target = self.object_path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(tmp, target)
            except FileNotFoundError:
                # A delete of the directory's last object pruned it after our mkdir; once more.
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            raise InvalidKey(f"key {key!r} clashes with an existing object's path") from exc
        self._write_meta(target, etag, content_type)

    def _write_meta(self, target: Path, etag: str, content_type: str | None) -> None:
        stat = target.stat()
        meta = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "etag": etag,
            "content_type": content_type,
        }
        # Written after the object: the file is the truth, and `stat` ignores metadata that
        # does not describe the file as it is now (a crash between the two renames).
        meta_tmp = self.new_temp()
        meta_tmp.write_text(json.dumps(meta))
        os.replace(meta_tmp, meta_path(target))

    def store_file(self, path: Path, key: str, content_type: str) -> None:
        """Copy a local file in as the object."""
        tmp = self.new_temp()
        try:
            md5 = hashlib.md5(usedforsecurity=False)
            with path.open("rb") as src, tmp.open("wb") as dst:
                while block := src.read(BLOCK_SIZE):
                    write_block(dst, md5, block)
            self.commit(tmp, key, md5.hexdigest(), content_type)
        finally:
            unlink_quietly(tmp)

    def move(self, src_key: str, dst_key: str) -> None:
        """Rename an object (its metadata with it): no bytes are copied."""
        info = self.stat(src_key)
        if info is None:
            raise ObjectNotFound(f"no object {src_key!r}")
        source, tmp = self.object_path(src_key), self.new_temp()
        os.replace(source, tmp)
        try:
            self.commit(tmp, dst_key, info.etag, info.content_type)
        except BaseException:
            os.replace(tmp, source)  # put it back: a failed move loses nothing
            raise
        self.delete(src_key)  # its metadata and the directories left empty

    def stat(self, key: str) -> ObjectInfo | None:
        path = self.object_path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        try:
            meta: dict[str, Any] = json.loads(meta_path(path).read_text())
        except (FileNotFoundError, ValueError):
            meta = {}
        if meta.get("size") == stat.st_size and meta.get("mtime_ns") == stat.st_mtime_ns:
            return ObjectInfo(stat.st_size, str(meta["etag"]), meta.get("content_type"))
        # No (or stale) metadata: still a valid object; an ETag that changes with the file.
        return ObjectInfo(stat.st_size, f"{stat.st_mtime_ns:x}-{stat.st_size:x}", None)

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.object_path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key!r}") from exc

    def download(self, key: str, path: Path) -> None:
        with self.open(key) as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst, BLOCK_SIZE)

    def delete(self, key: str) -> None:
        path = self.object_path(key)
        if path.is_dir():
            return  # a "directory" of other objects, not an object
        unlink_quietly(path)
        unlink_quietly(meta_path(path))
        # Drop directories left empty, so deleted uploads do not leave a tree of them behind.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop here
                break
            parent = parent.parent

    def remove_stale_temps(self) -> None:
        # Temp files outlive their request only if the process died mid-write.
        cutoff = time.time() - _STALE_TEMP_S
        for entry in self.tmp.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except OSError:
                pass


def meta_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.meta.json")


def write_block(file: IO[bytes], md5: Any, block: bytes) -> None:
    md5.update(block)
    file.write(block)


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(IsADirectoryError, NotADirectoryError, PermissionError):
        path.unlink(missing_ok=True)
