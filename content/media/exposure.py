"""Public copies of published media for a CDN (with ``KEPU_PUBLIC_MEDIA_BASE_URL``): made under
a fresh ``public/<token>/`` on publish, deleted once no published content shows the media."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.media import cdn_purge, keys
from content.models import (
    Content,
    ContentStatus,
    Media,
    MediaStatus,
    Revision,
    RevisionImage,
)
from infra.settings import Settings
from infra.storage.base import Storage


def media_keys(media: Media) -> list[str]:
    """Every object a viewer may fetch for this media item (never an original)."""
    renditions = [str(r["key"]) for r in media.renditions]
    return renditions + [k for k in (media.cover_key, media.preview_key, media.captions_key) if k]


def public_key(media: Media, key: str) -> str | None:
    return keys.public_copy(media.public_prefix, key) if media.public_prefix else None


def _media_ids(rows: Iterable[tuple[str | None, ...]]) -> set[str]:
    return {m for row in rows for m in row if m}


async def _live_among(session: AsyncSession, media_ids: set[str]) -> set[str]:
    """Those of ``media_ids`` that some published content (this one or another) shows now: as
    its video, its cover or an image of its body."""
    live = (
        select(Revision.id)
        .join(Content, col(Content.live_revision_id) == col(Revision.id))
        .where(Content.status == ContentStatus.published)
    )
    own = await session.exec(
        select(Revision.media_id, Revision.cover_media_id).where(
            col(Revision.id).in_(live),
            or_(col(Revision.media_id).in_(media_ids), col(Revision.cover_media_id).in_(media_ids)),
        )
    )
    shown = await session.exec(
        select(RevisionImage.media_id).where(
            col(RevisionImage.revision_id).in_(live), col(RevisionImage.media_id).in_(media_ids)
        )
    )
    return (_media_ids(own.all()) | set(shown.all())) & media_ids


async def _media_by_revision(session: AsyncSession, content_id: str) -> dict[str, set[str]]:
    """Every media id each revision of a content uses."""
    rows = await session.exec(
        select(Revision.id, Revision.media_id, Revision.cover_media_id).where(
            Revision.content_id == content_id
        )
    )
    by_revision = {rid: _media_ids([(media_id, cover)]) for rid, media_id, cover in rows.all()}
    images = await session.exec(
        select(RevisionImage.revision_id, RevisionImage.media_id)
        .join(Revision, col(Revision.id) == col(RevisionImage.revision_id))
        .where(Revision.content_id == content_id)
    )
    for rid, media_id in images.all():
        by_revision.setdefault(rid, set()).add(media_id)
    return by_revision


async def sync(session: AsyncSession, storage: Storage, settings: Settings, content_id: str) -> int:
    """Make the public copies of a content's media match what is live now: copy the live
    revision's media (its video, cover and body images), delete copies no live content uses
    any more, and ask the CDN to forget those (`cdn_purge`). Idempotent; returns the number of
    objects copied or deleted."""
    if not settings.public_media_base_url:
        return 0
    content = await session.get(Content, content_id)
    if content is None:
        return 0
    by_revision = await _media_by_revision(session, content_id)
    mine = set().union(*by_revision.values())
    live_here = (
        by_revision.get(content.live_revision_id, set())
        if content.live_revision_id and content.status == ContentStatus.published
        else set()
    )
    live_anywhere = await _live_among(session, mine)
    changed = 0
    removed: dict[str, list[str]] = {}  # public prefix → its keys deleted, for the CDN to forget
    for media in (await session.exec(select(Media).where(col(Media.id).in_(mine)))).all():
        if media.id in live_here and media.status == MediaStatus.ready and not media.public_prefix:
            prefix = keys.new_public_prefix()
            for key in media_keys(media):
                await storage.copy(key, keys.public_copy(prefix, key))
                changed += 1
            await _set_prefix(session, media.id, prefix)
        elif media.public_prefix and media.id not in live_anywhere:
            # Delete before forgetting the prefix: if a delete fails, the prefix is still known
            # and the job's retry removes the rest (deleting is idempotent).
            gone = [keys.public_copy(media.public_prefix, key) for key in media_keys(media)]
            for public in gone:
                await storage.delete(public)
                changed += 1
            removed[media.public_prefix] = gone
            await _set_prefix(session, media.id, None)
    # In the same transaction as the forgotten prefixes: a purge is asked for exactly when they
    # are gone for good (a failed sync deletes again, and asks then).
    cdn_purge.ask(session, storage, settings, content_id, removed)
    return changed


async def retire(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    content_ids: list[str],
    prefix: str,
    media_keys: list[str],
) -> None:
    """Delete public copies under a prefix their media no longer uses (a reprocess replaced its
    files, and `sync` copied the new ones under a fresh prefix), and ask the CDN to forget them
    once this session commits."""
    gone = [keys.public_copy(prefix, key) for key in media_keys]
    for public in gone:
        await storage.delete(public)
    # One batch for all the contents showing the media: the URLs are the same for each.
    cdn_purge.ask(session, storage, settings, content_ids[0] if content_ids else "", {prefix: gone})


async def _set_prefix(session: AsyncSession, media_id: str, prefix: str | None) -> None:
    await session.exec(
        sa.update(Media).where(col(Media.id) == media_id).values(public_prefix=prefix)
    )
