"""The durable state of media processing: who is processing what, how far, and the outcome.

The job (workers/) runs the transcode; every outcome is written here, to the database, so it
survives the queue forgetting. Revisions waiting in the machine stage for a media item are
handed back to machine review as soon as it is ready or has failed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import jobs
from content.models import Media, MediaStatus, Revision, RevisionState, Stage
from infra.clock import utcnow

MAX_REASON = 500


async def start(session: AsyncSession, media_id: str) -> Media | None:
    """Claim a media item for processing and count the attempt; None when there is nothing to do
    (ready, failed, gone). Attempts are counted here, not in the queue, so work that keeps
    killing its worker is given up on even when the sweep enqueues it afresh."""
    result = await session.exec(
        sa.update(Media)
        .where(
            col(Media.id) == media_id,
            col(Media.status).in_((MediaStatus.pending, MediaStatus.processing)),
        )
        .values(
            status=MediaStatus.processing,
            attempts=col(Media.attempts) + 1,
            progress=0.0,
            updated_at=utcnow(),
        )
    )
    if result.rowcount != 1:
        return None
    return await session.get(Media, media_id, populate_existing=True)


async def progress(session: AsyncSession, media_id: str, fraction: float) -> None:
    await session.exec(
        sa.update(Media)
        .where(col(Media.id) == media_id, col(Media.status) == MediaStatus.processing)
        .values(progress=round(min(max(fraction, 0.0), 1.0), 3), updated_at=utcnow())
    )


async def _wake_waiting_reviews(session: AsyncSession, media_id: str) -> None:
    waiting = await session.exec(
        select(Revision.id).where(
            or_(col(Revision.media_id) == media_id, col(Revision.cover_media_id) == media_id),
            Revision.state == RevisionState.in_review,
            Revision.stage == Stage.machine,
        )
    )
    for revision_id in waiting.all():
        jobs.after_commit(session, jobs.MACHINE_REVIEW, revision_id)


async def succeed(
    session: AsyncSession,
    media_id: str,
    *,
    width: int,
    height: int,
    cover_key: str | None,
    source: dict[str, Any],
    duration_s: float | None = None,
    rotation: int | None = None,
    renditions: list[dict[str, Any]] | None = None,
    preview_key: str | None = None,
) -> bool:
    result = await session.exec(
        sa.update(Media)
        .where(col(Media.id) == media_id, col(Media.status) == MediaStatus.processing)
        .values(
            status=MediaStatus.ready,
            error=None,
            duration_s=duration_s,
            width=width,
            height=height,
            rotation=rotation,
            renditions=renditions or [],
            cover_key=cover_key,
            preview_key=preview_key,
            source=source,
            progress=1.0,
            updated_at=utcnow(),
        )
    )
    if result.rowcount != 1:
        return False
    await _wake_waiting_reviews(session, media_id)
    return True


async def fail(session: AsyncSession, media_id: str, reason: str) -> bool:
    """A visible, final failure with a reason the creator can act on."""
    result = await session.exec(
        sa.update(Media)
        .where(
            col(Media.id) == media_id,
            or_(
                col(Media.status) == MediaStatus.processing,
                col(Media.status) == MediaStatus.pending,
            ),
        )
        .values(
            status=MediaStatus.failed, error=reason[:MAX_REASON], progress=None, updated_at=utcnow()
        )
    )
    if result.rowcount != 1:
        return False
    await _wake_waiting_reviews(session, media_id)
    return True


async def stuck(session: AsyncSession, older_than_s: float) -> list[str]:
    """Media pending or processing with no sign of life for too long (their job was lost)."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    rows = await session.exec(
        select(Media.id).where(
            col(Media.status).in_((MediaStatus.pending, MediaStatus.processing)),
            col(Media.updated_at) < cutoff,
        )
    )
    return list(rows.all())
