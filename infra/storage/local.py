"""`Storage` on the local disk, for the embedded default (no S3 server to install).

Objects are files under ``root``. Clients upload and download through URLs that point at the API
itself and carry an HMAC signature and an expiry, the way S3 presigned URLs do; the API's
storage route checks them with `LocalStorage.verify` and streams bytes with `write_stream` /
`open_read`. On disk, besides the objects themselves::

    .tmp/                          files being written, renamed into place when complete
    .multipart/<upload_id>/        upload.json (key, content type) and parts "<n>.<md5>"
    <dir>/.<name>.meta.json        ETag and content type of <dir>/<name>

Object keys never have a segment starting with a dot (see `check_key`), so none of these can
collide with an object.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlencode

import anyio.to_thread

from infra.storage.base import (
    MIN_PART_SIZE,
    InvalidKey,
    InvalidParts,
    ObjectInfo,
    ObjectNotFound,
    SignatureExpired,
    SignatureInvalid,
    StorageUnavailable,
    TooLarge,
    UploadNotFound,
    check_expiry,
    check_key,
    check_part_number,
    normalise_etag,
)

ROUTE_PREFIX = "/api/v1/storage"
# Writes and reads go to a worker thread in blocks of this size: large enough that thread
# hand-offs cost nothing next to the disk, small enough to keep memory flat.
BLOCK_SIZE = 1024 * 1024
_SIGNING_VERSION = "kepu-storage-v1"
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_PART_FILE = re.compile(r"(\d+)\.([0-9a-f]{32})")
_STALE_TEMP_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a verified URL allows: ``method`` on ``key``, possibly one part of an upload."""

    method: str  # "PUT" or "GET"
    key: str
    expires: int
    upload_id: str | None = None
    part_number: int | None = None
    content_type: str | None = None


class LocalStorage:
    """Objects as files under ``root``; signed URLs under ``{base_url}{route_prefix}/{key}``."""

    def __init__(
        self,
        root: Path,
        base_url: str,
        secret: str,
        *,
        public_base_url: str | None = None,
        route_prefix: str = ROUTE_PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("LocalStorage needs a secret to sign URLs")
        self.root = root
        self._url_base = base_url.rstrip("/") + "/" + route_prefix.strip("/") + "/"
        self._secret = secret.encode()
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._clock = clock
        self._tmp = root / ".tmp"
        self._multipart = root / ".multipart"

    # -- signed URLs -------------------------------------------------------------------------

    async def presign_put(self, key: str, content_type: str, expires_s: int) -> str:
        return self._signed_url(
            SignedRequest("PUT", key, self._expiry(expires_s), content_type=content_type)
        )

    async def presign_part(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        check_part_number(part_number)
        return self._signed_url(
            SignedRequest(
                "PUT",
                key,
                self._expiry(expires_s),
                upload_id=upload_id,
                part_number=part_number,
            )
        )

    async def presign_get(self, key: str, expires_s: int) -> str:
        return self._signed_url(SignedRequest("GET", key, self._expiry(expires_s)))

    def public_url(self, key: str) -> str | None:
        if self._public_base_url is None:
            return None
        return f"{self._public_base_url}/{quote(check_key(key), safe='/')}"

    def verify(self, method: str, key: str, query: Mapping[str, str]) -> SignedRequest:
        """Check a request to the storage route against its URL's signature and expiry.

        ``key`` is the decoded path after the route prefix and ``query`` the query parameters.
        HEAD is allowed wherever GET is. Raises `SignatureInvalid`, `SignatureExpired` or
        `InvalidKey`; on success, returns what the URL allows.
        """
        check_key(key)
        method = "GET" if method.upper() == "HEAD" else method.upper()
        if query.get("method") != method:
            raise SignatureInvalid(f"this URL is not signed for {method}")
        try:
            expires = int(query["expires"])
            part = query.get("part_number")
            request = SignedRequest(
                method=method,
                key=key,
                expires=expires,
                upload_id=query.get("upload_id"),
                part_number=int(part) if part is not None else None,
                content_type=query.get("content_type"),
            )
        except (KeyError, ValueError) as exc:
            raise SignatureInvalid("signed URL is missing or has malformed parameters") from exc
        signature = query.get("sig", "")
        # Constant-time, so the signature cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(signature.encode(), self._sign(request).encode()):
            raise SignatureInvalid("signature does not match")
        if self._clock() > request.expires:
            raise SignatureExpired("signed URL has expired")
        return request

    def _expiry(self, expires_s: int) -> int:
        return int(self._clock()) + check_expiry(expires_s)

    def _sign(self, request: SignedRequest) -> str:
        # Newline-separated: no field may contain one (keys refuse control characters), so
        # distinct requests can never produce the same signed string.
        message = "\n".join(
            (
                _SIGNING_VERSION,
                request.method,
                request.key,
                str(request.expires),
                request.upload_id or "",
                "" if request.part_number is None else str(request.part_number),
                request.content_type or "",
            )
        )
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def _signed_url(self, request: SignedRequest) -> str:
        check_key(request.key)
        params: dict[str, str] = {"expires": str(request.expires), "method": request.method}
        if request.upload_id is not None:
            params["upload_id"] = request.upload_id
        if request.part_number is not None:
            params["part_number"] = str(request.part_number)
        if request.content_type is not None:
            params["content_type"] = request.content_type
        params["sig"] = self._sign(request)
        return self._url_base + quote(request.key, safe="/") + "?" + urlencode(params)

    # -- writing -----------------------------------------------------------------------------

    async def write_stream(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        max_bytes: int,
        *,
        upload_id: str | None = None,
        part_number: int | None = None,
        content_type: str | None = None,
    ) -> tuple[int, str]:
        """Store the streamed body as the object (or as one part of a multipart upload).

        Memory stays flat whatever the size: bytes go to a temp file, hashed on the way, and the
        file is renamed into place only when complete, so readers never see half an object.
        Returns ``(size, etag)``; the storage route should send the ETag back as S3 does.
        Raises `TooLarge` past ``max_bytes``, `UploadNotFound` for an unknown upload.
        """
        check_key(key)
        if (upload_id is None) != (part_number is None):
            raise InvalidParts("upload_id and part_number go together")
        if upload_id is not None and part_number is not None:
            check_part_number(part_number)
            await anyio.to_thread.run_sync(self._load_upload, key, upload_id)
        tmp = await anyio.to_thread.run_sync(self._new_temp)
        try:
            size, digest = await self._receive(tmp, chunks, max_bytes)
            if upload_id is not None and part_number is not None:
                await anyio.to_thread.run_sync(
                    self._commit_part, tmp, key, upload_id, part_number, digest
                )
            else:
                await anyio.to_thread.run_sync(self._commit_object, tmp, key, digest, content_type)
        finally:
            # After a successful commit the temp file has been renamed away; this only cleans
            # up after an error or a client that went away mid-upload.
            await anyio.to_thread.run_sync(_unlink_quietly, tmp)
        return size, digest

    async def _receive(
        self, tmp: Path, chunks: AsyncIterable[bytes], max_bytes: int
    ) -> tuple[int, str]:
        md5 = hashlib.md5(usedforsecurity=False)
        file = await anyio.to_thread.run_sync(tmp.open, "wb")
        try:
            size = 0
            buffer = bytearray()
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"more than {max_bytes} bytes")
                buffer += chunk
                if len(buffer) >= BLOCK_SIZE:
                    await anyio.to_thread.run_sync(_write_block, file, md5, bytes(buffer))
                    buffer.clear()
            if buffer:
                await anyio.to_thread.run_sync(_write_block, file, md5, bytes(buffer))
        finally:
            await anyio.to_thread.run_sync(file.close)
        return size, md5.hexdigest()

    async def upload_from(self, path: Path, key: str, content_type: str) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._upload_from_sync, path, key, content_type)

    def _upload_from_sync(self, path: Path, key: str, content_type: str) -> None:
        tmp = self._new_temp()
        try:
            md5 = hashlib.md5(usedforsecurity=False)
            with path.open("rb") as src, tmp.open("wb") as dst:
                while block := src.read(BLOCK_SIZE):
                    _write_block(dst, md5, block)
            self._commit_object(tmp, key, md5.hexdigest(), content_type)
        finally:
            _unlink_quietly(tmp)

    def _new_temp(self) -> Path:
        self._tmp.mkdir(parents=True, exist_ok=True)
        return self._tmp / uuid.uuid4().hex

    def _commit_object(self, tmp: Path, key: str, etag: str, content_type: str | None) -> None:
        target = self._object_path(key)
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
        stat = target.stat()
        meta = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "etag": etag,
            "content_type": content_type,
        }
        # Written after the object: the file is the truth, and `stat` ignores metadata that
        # does not describe the file as it is now (a crash between the two renames).
        meta_tmp = self._new_temp()
        meta_tmp.write_text(json.dumps(meta))
        os.replace(meta_tmp, _meta_path(target))

    # -- multipart ---------------------------------------------------------------------------

    async def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        upload_id = uuid.uuid4().hex
        await anyio.to_thread.run_sync(self._create_upload_sync, key, upload_id, content_type)
        return upload_id

    def _create_upload_sync(self, key: str, upload_id: str, content_type: str) -> None:
        directory = self._multipart / upload_id
        directory.mkdir(parents=True)
        (directory / "upload.json").write_text(
            json.dumps({"key": key, "content_type": content_type})
        )

    def _load_upload(self, key: str, upload_id: str) -> tuple[Path, dict[str, Any]]:
        """The upload's directory and record; `UploadNotFound` unless it exists for ``key``."""
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise UploadNotFound("no such upload")
        directory = self._multipart / upload_id
        try:
            record: dict[str, Any] = json.loads((directory / "upload.json").read_text())
        except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
            raise UploadNotFound("no such upload") from exc
        if record.get("key") != key:
            raise UploadNotFound("no such upload for this key")
        return directory, record

    def _commit_part(
        self, tmp: Path, key: str, upload_id: str, part_number: int, etag: str
    ) -> None:
        directory, _ = self._load_upload(key, upload_id)
        # The ETag is in the file name so that data and ETag appear together in one rename.
        os.replace(tmp, directory / f"{part_number}.{etag}")
        # A part uploaded again replaces the earlier one, as in S3.
        for old in directory.glob(f"{part_number}.*"):
            if old.name != f"{part_number}.{etag}":
                _unlink_quietly(old)

    def _parts(self, directory: Path) -> dict[int, tuple[str, Path]]:
        parts: dict[int, tuple[str, Path]] = {}
        for entry in directory.iterdir():
            match = _PART_FILE.fullmatch(entry.name)
            if match:
                parts[int(match[1])] = (match[2], entry)
        return parts

    async def list_parts(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        check_key(key)
        return await anyio.to_thread.run_sync(self._list_parts_sync, key, upload_id)

    def _list_parts_sync(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        directory, _ = self._load_upload(key, upload_id)
        return sorted(
            (number, etag, path.stat().st_size)
            for number, (etag, path) in self._parts(directory).items()
        )

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._complete_sync, key, upload_id, parts)

    def _complete_sync(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        directory, record = self._load_upload(key, upload_id)
        if not parts:
            raise InvalidParts("a multipart upload needs at least one part")
        wanted = sorted((check_part_number(n), normalise_etag(etag)) for n, etag in parts)
        if len({n for n, _ in wanted}) != len(wanted):
            raise InvalidParts("each part number may be named once")
        uploaded = self._parts(directory)
        files: list[Path] = []
        for number, etag in wanted:
            found = uploaded.get(number)
            if found is None or found[0] != etag:
                raise InvalidParts(f"part {number} with ETag {etag} was not uploaded")
            files.append(found[1])
        sizes = [f.stat().st_size for f in files]
        if any(size < MIN_PART_SIZE for size in sizes[:-1]):
            raise InvalidParts(f"every part but the last must be at least {MIN_PART_SIZE} bytes")

        tmp = self._new_temp()
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
            self._commit_object(tmp, key, etag, record.get("content_type"))
        finally:
            _unlink_quietly(tmp)
        shutil.rmtree(directory, ignore_errors=True)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._abort_sync, key, upload_id)

    def _abort_sync(self, key: str, upload_id: str) -> None:
        try:
            directory, _ = self._load_upload(key, upload_id)
        except UploadNotFound:
            return
        shutil.rmtree(directory, ignore_errors=True)

    # -- reading -----------------------------------------------------------------------------

    def path_of(self, key: str) -> Path:
        """The file holding the object, for a file response that serves HTTP ranges itself.

        Pure path arithmetic: it does not check that the object exists.
        """
        return self._object_path(key)

    async def stat(self, key: str) -> ObjectInfo | None:
        check_key(key)
        return await anyio.to_thread.run_sync(self._stat_sync, key)

    def _stat_sync(self, key: str) -> ObjectInfo | None:
        path = self._object_path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        try:
            meta: dict[str, Any] = json.loads(_meta_path(path).read_text())
        except (FileNotFoundError, ValueError):
            meta = {}
        if meta.get("size") == stat.st_size and meta.get("mtime_ns") == stat.st_mtime_ns:
            return ObjectInfo(stat.st_size, str(meta["etag"]), meta.get("content_type"))
        # No (or stale) metadata: still a valid object; an ETag that changes with the file.
        return ObjectInfo(stat.st_size, f"{stat.st_mtime_ns:x}-{stat.st_size:x}", None)

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        check_key(key)
        if start < 0 or length < 0:
            raise ValueError("start and length must not be negative")
        return await anyio.to_thread.run_sync(self._read_range_sync, key, start, length)

    def _read_range_sync(self, key: str, start: int, length: int) -> bytes:
        with self._open(key) as file:
            file.seek(start)
            return file.read(length)

    async def open_read(
        self, key: str, start: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Stream the object (or ``length`` bytes from ``start``) in blocks, for a GET."""
        check_key(key)
        file = await anyio.to_thread.run_sync(self._open, key)
        try:
            await anyio.to_thread.run_sync(file.seek, start)
            remaining = length
            while remaining is None or remaining > 0:
                size = BLOCK_SIZE if remaining is None else min(BLOCK_SIZE, remaining)
                block = await anyio.to_thread.run_sync(file.read, size)
                if not block:
                    return
                if remaining is not None:
                    remaining -= len(block)
                yield block
        finally:
            await anyio.to_thread.run_sync(file.close)

    async def download_to(self, key: str, path: Path) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._download_sync, key, path)

    def _download_sync(self, key: str, path: Path) -> None:
        with self._open(key) as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst, BLOCK_SIZE)

    def _open(self, key: str) -> IO[bytes]:
        try:
            return self._object_path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key!r}") from exc

    # -- deleting, health --------------------------------------------------------------------

    async def copy(self, src_key: str, dst_key: str) -> None:
        check_key(src_key)
        info = await self.stat(src_key)
        if info is None:
            raise ObjectNotFound(f"no object {src_key!r}")
        await self.upload_from(
            self.path_of(src_key), dst_key, info.content_type or "application/octet-stream"
        )

    async def delete(self, key: str) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._delete_sync, key)

    def _delete_sync(self, key: str) -> None:
        path = self._object_path(key)
        if path.is_dir():
            return  # a "directory" of other objects, not an object
        _unlink_quietly(path)
        _unlink_quietly(_meta_path(path))
        # Drop directories left empty, so deleted uploads do not leave a tree of them behind.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop here
                break
            parent = parent.parent

    async def ping(self) -> None:
        await anyio.to_thread.run_sync(self._ping_sync)

    def _ping_sync(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"storage directory {self.root} is missing or not writable")

    async def ensure_bucket(self) -> None:
        await anyio.to_thread.run_sync(self._ensure_sync)

    def _ensure_sync(self) -> None:
        for directory in (self.root, self._tmp, self._multipart):
            directory.mkdir(parents=True, exist_ok=True)
        # Temp files outlive their request only if the process died mid-write.
        cutoff = time.time() - _STALE_TEMP_S
        for entry in self._tmp.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except OSError:
                pass

    async def aclose(self) -> None:
        return None

    def _object_path(self, key: str) -> Path:
        # check_key has refused "..", absolute paths and dot-segments, so this stays in root.
        return self.root.joinpath(*check_key(key).split("/"))


def _meta_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.meta.json")


def _write_block(file: IO[bytes], md5: Any, block: bytes) -> None:
    md5.update(block)
    file.write(block)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(IsADirectoryError, NotADirectoryError, PermissionError):
        path.unlink(missing_ok=True)
