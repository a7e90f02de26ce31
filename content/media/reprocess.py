"""Processing a ready video again (`kepu media reprocess`): which videos, the request, and the
swap. The video stays ready and served from its current renditions while new ones are made
under fresh keys; one conditional UPDATE points the row at them; only then are the old
objects, and their public copies, removed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects, jobs
from content.media import exposure
from content.media.video_plan import plan_for_size
from content.models import Content, ContentStatus, Media, MediaKind, MediaStatus, Revision
from content.review import uses_media
from infra.clock import utcnow
from infra.settings import Settings
from infra.storage.base import Storage


def _ready_videos() -> Any:
    return select(Media).where(Media.kind == MediaKind.video, Media.status == MediaStatus.ready)


def lacks_planned(media: Media) -> bool:
    """The current plan would make a rendition this video does not have (a rung added)."""
    if media.width is None or media.height is None:
        return False
    have = {str(r["label"]) for r in media.renditions}
    return any(spec.label not in have for spec in plan_for_size(media.width, media.height))


async def targets(
    session: AsyncSession, ids: Iterable[str], *, every: bool, missing: bool
) -> list[str]:
    """The ready videos chosen: ``ids``, or every one, or those lacking a planned rendition."""
    query = _ready_videos()
    if not every and not missing:
        query = query.where(col(Media.id).in_(list(ids)))
    chosen = (await session.exec(query.order_by(col(Media.created_at)))).all()
    return [m.id for m in chosen if not missing or lacks_planned(m)]


async def already_queued(session: AsyncSession, media_ids: list[str]) -> set[str]:
    return await jobs.live_subjects(session, jobs.PROCESS_MEDIA, media_ids)


async def request(session: AsyncSession, media_id: str) -> bool:
    """Mark one ready video for processing again and queue its job after the commit; False when
    it is no longer a ready video."""
    result = await session.exec(
        sa.update(Media)
        .where(
            col(Media.id) == media_id,
            col(Media.kind) == MediaKind.video,
            col(Media.status) == MediaStatus.ready,
        )
        .values(reprocess_requested_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    jobs.after_commit(session, jobs.PROCESS_MEDIA, media_id)
    return True


async def claim(session: AsyncSession, media_id: str) -> Media | None:
    """The ready video asked to be processed again, or None (nothing asked, or it changed)."""
    media = await session.get(Media, media_id, populate_existing=True)
    if media is None or media.status != MediaStatus.ready or media.kind != MediaKind.video:
        return None
    return media if media.reprocess_requested_at is not None else None


def made_keys(outcome: dict[str, Any]) -> list[str]:
    """The objects a processing outcome wrote (to remove when it is not swapped in)."""
    renditions = [str(r["key"]) for r in outcome.get("renditions") or []]
    return renditions + [k for k in (outcome.get("cover_key"), outcome.get("preview_key")) if k]


@dataclass(frozen=True)
class Old:
    """What a swap replaced: the private objects and the public copies, to remove after it."""

    keys: list[str]
    public_prefix: str | None
    public_keys: list[str]
    content_ids: list[str]


async def swap(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    media: Media,
    outcome: dict[str, Any],
) -> Old | None:
    """Point the row at the new renditions in one conditional UPDATE (still ready, still the
    request that was claimed); None when it no longer holds. Published contents showing the
    video get public copies of the new files and fresh feed pages in the same transaction."""
    result = await session.exec(
        sa.update(Media)
        .where(
            col(Media.id) == media.id,
            col(Media.status) == MediaStatus.ready,
            col(Media.reprocess_requested_at) == media.reprocess_requested_at,
        )
        .values(**outcome, reprocess_requested_at=None, public_prefix=None, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return None
    new = set(made_keys(outcome))
    old_keys = [k for k in exposure.media_keys(media) if k not in new and k != media.captions_key]
    content_ids = await _showing(session, media.id)
    for content_id in content_ids:
        await exposure.sync(session, storage, settings, content_id)
        effects.sync_feeds(session, content_id)
    public = exposure.media_keys(media) if media.public_prefix else []
    return Old(old_keys, media.public_prefix, public, content_ids)


async def _showing(session: AsyncSession, media_id: str) -> list[str]:
    rows = await session.exec(
        select(Revision.content_id)
        .join(Content, col(Content.id) == col(Revision.content_id))
        .where(uses_media(media_id), Content.status == ContentStatus.published)
        .distinct()
    )
    return sorted(rows.all())


async def drop(session: AsyncSession, media: Media) -> None:
    """Forget a request that failed: the video keeps what it had."""
    await session.exec(
        sa.update(Media)
        .where(
            col(Media.id) == media.id,
            col(Media.reprocess_requested_at) == media.reprocess_requested_at,
        )
        .values(reprocess_requested_at=None)
    )


async def remove_old(
    session: AsyncSession, storage: Storage, settings: Settings, media_id: str, old: Old
) -> None:
    """After the swap has committed: delete the replaced objects and their public copies, and
    ask the CDN to forget those (through exposure's purge path)."""
    for key in old.keys:
        await storage.delete(key)
    if old.public_prefix:
        await exposure.retire(
            session, storage, settings, old.content_ids, old.public_prefix, old.public_keys
        )
