"""What uploads leave in storage once their URLs are dead (abandoned uploads, bytes PUT after
complete), and the worker's sweep that removes it (docs/media.md)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.media.keys import is_upload_key, original_key
from content.models import Media, Upload, UploadMethod, UploadStatus
from infra.clock import utcnow
from infra.storage.base import Storage, StorageError, StorageUnavailable

log = logging.getLogger(__name__)


async def abandoned(session: AsyncSession, grace_s: int, limit: int = 200) -> list[Upload]:
    """Uploads never completed whose URLs expired more than ``grace_s`` ago."""
    cutoff = utcnow() - timedelta(seconds=grace_s)
    rows = await session.exec(
        select(Upload)
        .where(Upload.status == UploadStatus.pending, col(Upload.expires_at) < cutoff)
        .order_by(col(Upload.expires_at))
        .limit(limit)
    )
    return list(rows.all())


async def clean_up(session: AsyncSession, storage: Storage, upload: Upload) -> bool:
    """Remove what an abandoned upload left in storage (parts included), then close it.
    Storage first: if it fails the row stays pending and the next sweep tries again."""
    if upload.method == UploadMethod.multipart and upload.s3_upload_id:
        await storage.abort_multipart(upload.object_key, upload.s3_upload_id)
    await storage.delete(upload.object_key)
    # A complete moves the bytes to the media key (the upload's id) before its commit; if that
    # commit failed and nobody retried, they are there with no media row. Complete refuses
    # after half the grace, so no media row can appear for this upload any more.
    if await session.get(Media, upload.id) is None:
        await storage.delete(original_key(upload.id))
    result = await session.exec(
        sa.update(Upload)
        .where(col(Upload.id) == upload.id, col(Upload.status) == UploadStatus.pending)
        .values(status=UploadStatus.aborted, swept_at=utcnow())
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class Spent:
    """A closed upload whose key is still to be cleared."""

    upload_id: str
    key: str
    in_use: bool  # a media item's original is kept at this key: never deleted


async def spent(session: AsyncSession, grace_s: int, limit: int = 500) -> list[Spent]:
    """Completed (or aborted) uploads not swept yet whose URLs expired more than ``grace_s``
    ago, oldest first, at most ``limit`` (the next sweep takes the next batch)."""
    cutoff = utcnow() - timedelta(seconds=grace_s)
    rows = await session.exec(
        select(Upload.id, Upload.object_key, Media.object_key)
        .outerjoin(Media, col(Media.id) == col(Upload.media_id))
        .where(
            col(Upload.status).in_((UploadStatus.completed, UploadStatus.aborted)),
            col(Upload.swept_at).is_(None),
            col(Upload.expires_at) < cutoff,
        )
        .order_by(col(Upload.expires_at))
        .limit(limit)
    )
    return [
        # Media completed before originals moved to their own key still live at the upload's.
        Spent(upload_id, key, in_use=media_key == key or not is_upload_key(key))
        for upload_id, key, media_key in rows.all()
    ]


async def clear(storage: Storage, batch: Sequence[Spent]) -> list[str]:
    """Delete what sits at each spent upload's key (nothing, as a rule); the ids cleared. What
    fails is left for the next sweep (all the rest of the batch when storage is unreachable)."""
    cleared: list[str] = []
    for item in batch:
        try:
            if not item.in_use:
                await storage.delete(item.key)
        except StorageUnavailable:
            log.warning("storage unreachable: upload keys not cleared; the next sweep retries")
            break
        except StorageError:
            log.warning("could not clear upload key %s; the next sweep retries", item.key)
            continue
        cleared.append(item.upload_id)
    return cleared


async def mark_swept(session: AsyncSession, upload_ids: Sequence[str]) -> int:
    """Record that these uploads' keys are cleared for good, so no sweep looks at them again."""
    if not upload_ids:
        return 0
    result = await session.exec(
        sa.update(Upload)
        .where(col(Upload.id).in_(upload_ids), col(Upload.swept_at).is_(None))
        .values(swept_at=utcnow())
    )
    return int(result.rowcount)
