"""Public copies of published media for a CDN (when ``KEPU_PUBLIC_MEDIA_BASE_URL`` is set).

The bucket stays private. Publishing copies a media item's files under ``public/<token>/…``, the
only prefix the CDN may read, with a fresh unguessable token; taking content down (or replacing
its live revision) deletes those copies, so its media is gone from the public at once. Without a
CDN, viewers get short-lived signed URLs instead and nothing is copied.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import Content, ContentStatus, Media, MediaStatus, Revision
from infra.settings import Settings
from infra.storage.base import Storage

PUBLIC_ROOT = "public"


def media_keys(media: Media) -> list[str]:
    """Every object a viewer may fetch for this media item (never an original)."""
    keys = [str(r["key"]) for r in media.renditions]
    return keys + [k for k in (media.cover_key, media.preview_key) if k]


def public_key(media: Media, key: str) -> str | None:
    return f"{media.public_prefix}/{key}" if media.public_prefix else None


async def _media_of(session: AsyncSession, revision_ids: list[str]) -> set[str]:
    rows = await session.exec(
        select(Revision.media_id, Revision.cover_media_id).where(col(Revision.id).in_(revision_ids))
    )
    return {m for pair in rows.all() for m in pair if m}


async def _live_media_ids(session: AsyncSession) -> set[str]:
    rows = await session.exec(
        select(Revision.media_id, Revision.cover_media_id)
        .join(Content, col(Content.live_revision_id) == col(Revision.id))
        .where(Content.status == ContentStatus.published)
    )
    return {m for pair in rows.all() for m in pair if m}


async def sync(session: AsyncSession, storage: Storage, settings: Settings, content_id: str) -> int:
    """Make the public copies of a content's media match what is live now: copy the live
    revision's media, delete copies no live content uses any more. Idempotent; returns the
    number of objects copied or deleted."""
    if not settings.public_media_base_url:
        return 0
    content = await session.get(Content, content_id)
    if content is None:
        return 0
    revisions = list(
        (await session.exec(select(Revision.id).where(Revision.content_id == content_id))).all()
    )
    mine = await _media_of(session, revisions)
    live_here = (
        await _media_of(session, [content.live_revision_id])
        if content.live_revision_id and content.status == ContentStatus.published
        else set()
    )
    live_anywhere = await _live_media_ids(session)
    changed = 0
    for media in (await session.exec(select(Media).where(col(Media.id).in_(mine)))).all():
        if media.id in live_here and media.status == MediaStatus.ready and not media.public_prefix:
            prefix = f"{PUBLIC_ROOT}/{secrets.token_hex(16)}"
            for key in media_keys(media):
                await storage.copy(key, f"{prefix}/{key}")
                changed += 1
            await _set_prefix(session, media.id, prefix)
        elif media.public_prefix and media.id not in live_anywhere:
            # Delete before forgetting the prefix: if a delete fails, the prefix is still known
            # and the job's retry removes the rest (deleting is idempotent).
            for key in media_keys(media):
                await storage.delete(f"{media.public_prefix}/{key}")
                changed += 1
            await _set_prefix(session, media.id, None)
    return changed


async def _set_prefix(session: AsyncSession, media_id: str, prefix: str | None) -> None:
    await session.exec(
        sa.update(Media).where(col(Media.id) == media_id).values(public_prefix=prefix)
    )
