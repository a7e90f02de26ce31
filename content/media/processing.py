"""Media processing: one attempt and its policy (`run`: what is retried, what fails at once,
when to give up), and its state in the database: who processes what, how far, the outcome."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import jobs, notifications
from content.media import images, keys, reprocess, transcode
from content.media.failures import (
    GAVE_UP_REASON,
    INTERNAL_REASON,
    MediaRejected,
    TransientMediaError,
)
from content.media.video_checks import MediaRules
from content.models import (
    Media,
    MediaKind,
    MediaStatus,
    NotificationKind,
    Revision,
    RevisionState,
    Stage,
    TextReading,
)
from content.review import uses_media
from infra.clock import utcnow
from infra.ocr import OcrLimits
from infra.settings import Settings
from infra.storage.base import Storage

log = logging.getLogger(__name__)

MAX_REASON = 500
# Tries of one media item, counted in the database (`start`), before Kepu gives up on it.
MAX_TRIES = 5

# Runs one piece of work in its own short transaction and commits it (the job's `_write`).
Writer = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]
Progress = Callable[[float], Awaitable[None]]


class Outcome(StrEnum):
    skipped = "skipped"  # ready, failed or gone already: a repeated delivery does nothing
    ready = "ready"
    rejected = "rejected"  # the file is the problem; the creator reads why
    failed = "failed"  # given up on, or a bug; the creator reads a generic reason


class RetryLater(Exception):
    """A transient failure with tries left: run the job again in ``delay_s`` seconds."""

    def __init__(self, delay_s: int) -> None:
        super().__init__(f"retry in {delay_s} s")
        self.delay_s = delay_s


def retry_delay(tries: int) -> int:
    """Seconds before the next try of a transient failure: 30 s, 1 min, 2 min, 4 min…"""
    return int(min(30 * 2 ** (tries - 1), 15 * 60))


def _interrupted_reason(times: int) -> str:
    return (
        f"处理被中断 {times} 次，请重新上传 / processing was interrupted {times} times; upload "
        "the file again"
    )


async def run(write: Writer, storage: Storage, settings: Settings, media_id: str) -> Outcome:
    """One processing attempt of a media item, with its outcome recorded.

    A rejected file fails at once with its reason. A transient failure raises `RetryLater`
    until the item has had `MAX_TRIES`, then fails with a generic reason. Anything else is a
    bug: logged with its traceback and failed at once, never retried and never shown.
    """
    media = await write(lambda s: start(s, media_id))
    if media is None:
        return await _again(write, storage, settings, media_id)
    tries: int = media.attempts
    if tries > MAX_TRIES:  # the earlier tries never finished: they killed their worker
        await write(lambda s: fail(s, media_id, _interrupted_reason(tries - 1)))
        return Outcome.failed

    async def on_progress(fraction: float) -> None:
        await write(lambda s: progress(s, media_id, fraction))

    try:
        outcome = await _make(storage, settings, media, on_progress)
    except MediaRejected as exc:
        log.info("media %s rejected (%s): %s", media_id, exc.code, exc.reason)
        reason, result = exc.reason, Outcome.rejected
    except TransientMediaError as exc:
        if tries < MAX_TRIES:
            log.warning("media %s try %d failed, will retry: %s", media_id, tries, exc)
            raise RetryLater(retry_delay(tries)) from exc
        log.error("media %s failed for good after %d tries: %s", media_id, tries, exc)
        reason, result = GAVE_UP_REASON, Outcome.failed
    except Exception:
        # Deliberately broad: whatever no rule above expected is a bug. Record it once, in
        # the log with its traceback; the creator sees a generic reason, never the text.
        log.exception("media %s: unexpected error while processing", media_id)
        reason, result = INTERNAL_REASON, Outcome.failed
    else:
        await write(lambda s: succeed(s, media_id, **outcome))
        return Outcome.ready
    await write(lambda s: fail(s, media_id, reason))
    return result


async def _again(write: Writer, storage: Storage, settings: Settings, media_id: str) -> Outcome:
    """A ready video an operator asked to process again (`reprocess`): new files under fresh
    keys, swapped in at once, the old ones removed after. Any failure keeps what it had."""
    media = await write(lambda s: reprocess.claim(s, media_id))
    if media is None:
        return Outcome.skipped
    made: list[str] = []
    result = Outcome.skipped  # the row changed meanwhile (taken down, asked again): not swapped
    try:
        outcome = await _make(storage, settings, media, _ignore, keys.new_version())
        made = reprocess.made_keys(outcome)
        old = await write(lambda s: reprocess.swap(s, storage, settings, media, outcome))
    except Exception:
        # Deliberately broad, as in `run`: the video keeps its current files whatever failed.
        log.exception("media %s: reprocessing failed; it keeps its current renditions", media_id)
        old, result = None, Outcome.failed
    if old is None:
        await write(lambda s: reprocess.drop(s, media))
        for key in made:
            await storage.delete(key)
        return result
    await write(lambda s: reprocess.remove_old(s, storage, settings, media_id, old))
    log.info("media %s reprocessed: %d old objects removed", media_id, len(old.keys))
    return Outcome.ready


async def _ignore(fraction: float) -> None:
    """Progress of a reprocess is not shown: the video reads ready throughout."""


async def _make(
    storage: Storage,
    settings: Settings,
    media: Media,
    on_progress: Progress,
    version: str | None = None,
) -> dict[str, Any]:
    """Run the pipeline of the media's kind; returns the columns `succeed` records."""
    workdir = settings.work_dir or Path(tempfile.gettempdir())
    ocr = ocr_limits(settings)
    if media.kind == MediaKind.image:
        image = await images.process_image(storage, media.object_key, media.id, workdir, ocr)
        return {
            "width": image.width,
            "height": image.height,
            "cover_key": image.cover_key,
            "source": image.source,
            **image.text.columns(),
        }
    rules = MediaRules(max_seconds=settings.max_video_seconds, max_bytes=settings.max_video_bytes)
    video = await transcode.process_media(
        storage,
        media.object_key,
        media.id,
        workdir,
        rules,
        on_progress=on_progress,
        ocr=ocr,
        version=version,
    )
    return {
        "width": video.width,
        "height": video.height,
        "cover_key": video.cover_key,
        "source": video.source,
        "duration_s": video.duration_s,
        "rotation": video.rotation,
        "renditions": [dict(r) for r in video.renditions],
        "preview_key": video.preview_key,
        **video.text.columns(),
    }


def ocr_limits(settings: Settings) -> OcrLimits | None:
    """How the text on media is read, or None when reading is turned off."""
    if not settings.ocr_enabled:
        return None
    return OcrLimits(
        threads=settings.ocr_threads,
        memory_mb=settings.ocr_memory_mb,
        interval_s=settings.ocr_frame_interval_s,
    )


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
            uses_media(media_id),
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
    text_status: TextReading | None = None,
    text_segments: list[dict[str, Any]] | None = None,
    text_error: str | None = None,
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
            text_status=text_status,
            text_segments=text_segments or [],
            text_error=text_error,
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
    owner_id, kind = (
        await session.exec(select(Media.owner_id, Media.kind).where(col(Media.id) == media_id))
    ).one()
    await notifications.tell(
        session,
        owner_id,
        NotificationKind.media_failed,
        notifications.texts.media_failed(kind == MediaKind.video, reason),
        data={"media_id": media_id},
    )
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
