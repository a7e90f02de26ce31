"""Bytes sent to the local-disk storage route (embedded default): a signed PUT or form POST
writes only while its upload is open, at most the declared size, only the declared type
(docs/media.md)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict
from content.media import keys
from content.models import Upload, UploadStatus
from infra.settings import Settings
from infra.storage.local import LocalStorage
from infra.storage.signing import check_content_type


async def receive(
    sessions: async_sessionmaker[AsyncSession],
    storage: LocalStorage,
    settings: Settings,
    key: str,
    query: Mapping[str, str],
    content_type: str | None,
    body: AsyncIterable[bytes],
) -> str:
    """Check a PUT to a signed URL and store its body; returns the ETag. Raises the storage
    errors of a bad URL, a wrong content type or too many bytes, and `Conflict`
    ``upload.closed`` when the upload no longer takes bytes."""
    signed = storage.verify("PUT", key, query)
    if signed.part_number is None:
        check_content_type(signed, content_type)
    # A short session of its own: the body may take minutes to arrive and must not hold a
    # database connection meanwhile.
    async with sessions() as session:
        await _require_open(session, key)
    if signed.part_number is not None:
        limit = settings.multipart_part_size
    elif signed.max_bytes is not None:
        limit = signed.max_bytes
    else:  # a URL signed without a size (not issued for uploads): the largest upload allowed
        limit = max(settings.max_video_bytes, settings.max_image_bytes)
    _, etag = await storage.write_stream(
        key,
        body,
        limit,
        upload_id=signed.upload_id,
        part_number=signed.part_number,
        content_type=signed.content_type,
    )
    return etag


async def receive_form(
    sessions: async_sessionmaker[AsyncSession],
    storage: LocalStorage,
    settings: Settings,
    key: str,
    query: Mapping[str, str],
    content_type: str | None,
    body: AsyncIterable[bytes],
) -> str:
    """Check a form POST (``wx.uploadFile``) to a signed URL and store its file; returns the
    ETag. The same rules as a PUT, checked before a byte of the body is read, then while it
    streams: see `LocalStorage.write_form`."""
    signed = storage.verify("POST", key, query)
    async with sessions() as session:
        await _require_open(session, key)
    limit = signed.max_bytes or max(settings.max_video_bytes, settings.max_image_bytes)
    _, etag = await storage.write_form(
        key, body, content_type, limit, signed.content_type or "application/octet-stream"
    )
    return etag


async def _require_open(session: AsyncSession, key: str) -> None:
    upload_id = keys.upload_id_of(key)
    upload = await session.get(Upload, upload_id) if upload_id else None
    if upload is None or upload.object_key != key or upload.status != UploadStatus.pending:
        raise Conflict(
            "this upload is complete or has expired, so its URL takes no more bytes; start a "
            "new upload to send another file",
            code="upload.closed",
        )
