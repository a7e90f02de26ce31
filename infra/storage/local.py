"""`Storage` on the local disk, for the embedded default: files under ``root``, and URLs to the
API's storage route signed with an HMAC and an expiry, as S3 presigned URLs are."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread

from infra.storage import windows
from infra.storage.base import (
    FORM_FILE_FIELD,
    FormTarget,
    InvalidParts,
    ObjectInfo,
    ObjectNotFound,
    StorageUnavailable,
    TooManyBytes,
    check_key,
    check_part_number,
)
from infra.storage.disk import BLOCK_SIZE, Disk, unlink_quietly, write_block
from infra.storage.local_form import boundary_of, file_of
from infra.storage.local_multipart import Multipart
from infra.storage.signing import SignedRequest, UrlSigner


class LocalStorage:
    """Objects as files under ``root``; signed URLs under ``url_base`` (the full URL of the
    API's storage route as clients reach it, e.g. ``http://127.0.0.1:8000/api/v1/storage``)."""

    def __init__(
        self,
        root: Path,
        url_base: str,
        secret: str,
        *,
        public_base_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self._clock = clock
        self._signer = UrlSigner(url_base, secret, clock=clock)
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._disk = Disk(root)
        self._multipart = Multipart(self._disk)

    # -- signed URLs -------------------------------------------------------------------------

    async def presign_put(
        self, key: str, content_type: str, expires_s: int, *, max_bytes: int | None = None
    ) -> str:
        expires = self._signer.expiry(expires_s)
        request = SignedRequest("PUT", key, expires, content_type=content_type, max_bytes=max_bytes)
        return self._signer.url(request)

    async def presign_post(
        self, key: str, content_type: str, size: int, expires_s: int
    ) -> FormTarget:
        # The query's signature carries the key, type and size; the type is sent again as a
        # form field, as S3 wants it, so the client's form is the same on either backend.
        expires = self._signer.expiry(expires_s)
        request = SignedRequest("POST", key, expires, content_type=content_type, max_bytes=size)
        return FormTarget(self._signer.url(request), {"Content-Type": content_type})

    async def presign_part(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        check_part_number(part_number)
        expires = self._signer.expiry(expires_s)
        request = SignedRequest("PUT", key, expires, upload_id=upload_id, part_number=part_number)
        return self._signer.url(request)

    async def presign_get(self, key: str, expires_s: int, *, window_s: int = 0) -> str:
        signed_at, lifetime = windows.aligned(self._clock(), expires_s, window_s)
        return self._signer.url(SignedRequest("GET", key, signed_at + lifetime))

    def public_url(self, key: str) -> str | None:
        if self._public_base_url is None:
            return None
        return f"{self._public_base_url}/{quote(check_key(key), safe='/')}"

    def verify(self, method: str, key: str, query: Mapping[str, str]) -> SignedRequest:
        """Check a request to the storage route against its URL (see `UrlSigner.verify`)."""
        return self._signer.verify(method, key, query)

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
        Raises `TooManyBytes` past ``max_bytes`` (reading stops there and nothing is kept),
        `UploadNotFound` for an unknown upload.
        """
        check_key(key)
        if (upload_id is None) != (part_number is None):
            raise InvalidParts("upload_id and part_number go together")
        if upload_id is not None and part_number is not None:
            check_part_number(part_number)
            await anyio.to_thread.run_sync(self._multipart.load, key, upload_id)
        tmp = await anyio.to_thread.run_sync(self._disk.new_temp)
        try:
            size, digest = await self._receive(tmp, chunks, max_bytes)
            if upload_id is not None and part_number is not None:
                await anyio.to_thread.run_sync(
                    self._multipart.commit_part, tmp, key, upload_id, part_number, digest
                )
            else:
                await anyio.to_thread.run_sync(self._disk.commit, tmp, key, digest, content_type)
        finally:
            # After a successful commit the temp file has been renamed away; this only cleans
            # up after an error or a client that went away mid-upload.
            await anyio.to_thread.run_sync(unlink_quietly, tmp)
        return size, digest

    async def write_form(
        self,
        key: str,
        body: AsyncIterable[bytes],
        content_type_header: str | None,
        max_bytes: int,
        content_type: str,
    ) -> tuple[int, str]:
        """Store the file of a form POST (`FormTarget`) as the object, streamed as the body
        arrives, as `write_stream` does; nothing is kept unless the whole form is right.
        Raises `InvalidForm`, `FormFileMissing`, `FormExtraFile`, `WrongContentType` and
        `TooManyBytes` (reading stops there)."""
        boundary = boundary_of(content_type_header)
        chunks = file_of(body, boundary, FORM_FILE_FIELD, content_type)
        return await self.write_stream(key, chunks, max_bytes, content_type=content_type)

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
                    raise TooManyBytes(f"more than the {max_bytes} bytes this URL allows")
                buffer += chunk
                if len(buffer) >= BLOCK_SIZE:
                    await anyio.to_thread.run_sync(write_block, file, md5, bytes(buffer))
                    buffer.clear()
            if buffer:
                await anyio.to_thread.run_sync(write_block, file, md5, bytes(buffer))
        finally:
            await anyio.to_thread.run_sync(file.close)
        return size, md5.hexdigest()

    async def upload_from(self, path: Path, key: str, content_type: str) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._disk.store_file, path, key, content_type)

    # -- multipart ---------------------------------------------------------------------------

    async def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        return await anyio.to_thread.run_sync(self._multipart.create, key, content_type)

    async def list_parts(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        check_key(key)
        return await anyio.to_thread.run_sync(self._multipart.list_parts, key, upload_id)

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._multipart.complete, key, upload_id, parts)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._multipart.abort, key, upload_id)

    # -- reading -----------------------------------------------------------------------------

    def path_of(self, key: str) -> Path:
        """The file holding the object, for a file response that serves HTTP ranges itself.

        Pure path arithmetic: it does not check that the object exists.
        """
        return self._disk.object_path(key)

    async def stat(self, key: str) -> ObjectInfo | None:
        check_key(key)
        return await anyio.to_thread.run_sync(self._disk.stat, key)

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        check_key(key)
        if start < 0 or length < 0:
            raise ValueError("start and length must not be negative")
        return await anyio.to_thread.run_sync(self._read_range_sync, key, start, length)

    def _read_range_sync(self, key: str, start: int, length: int) -> bytes:
        with self._disk.open(key) as file:
            file.seek(start)
            return file.read(length)

    async def open_read(
        self, key: str, start: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Stream the object (or ``length`` bytes from ``start``) in blocks, for a GET."""
        check_key(key)
        file = await anyio.to_thread.run_sync(self._disk.open, key)
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
        await anyio.to_thread.run_sync(self._disk.download, key, path)

    # -- copying, deleting, health -----------------------------------------------------------

    async def copy(self, src_key: str, dst_key: str) -> None:
        check_key(src_key)
        info = await self.stat(src_key)
        if info is None:
            raise ObjectNotFound(f"no object {src_key!r}")
        await self.upload_from(
            self.path_of(src_key), dst_key, info.content_type or "application/octet-stream"
        )

    async def move(self, src_key: str, dst_key: str) -> None:
        check_key(src_key)
        check_key(dst_key)
        await anyio.to_thread.run_sync(self._disk.move, src_key, dst_key)

    async def delete(self, key: str) -> None:
        check_key(key)
        await anyio.to_thread.run_sync(self._disk.delete, key)

    async def ping(self) -> None:
        await anyio.to_thread.run_sync(self._ping_sync)

    def _ping_sync(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"storage directory {self.root} is missing or not writable")

    async def ensure_bucket(self) -> None:
        await anyio.to_thread.run_sync(self._ensure_sync)

    def _ensure_sync(self) -> None:
        for directory in (self.root, self._disk.tmp, self._multipart.root):
            directory.mkdir(parents=True, exist_ok=True)
        self._disk.remove_stale_temps()

    async def aclose(self) -> None:
        return None
