"""The streaq worker: which jobs exist, how they retry, and the context they run with."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlmodel.ext.asyncio.session import AsyncSession
from streaq import StreaqRetry, Worker

from content import exposure, images, jobs, processing, review, transcode, uploads
from content.models import MediaKind, Upload
from infra import ffmpeg
from infra.queue import enqueue_all
from infra.services import Services
from infra.settings import Settings
from infra.storage.base import StorageError

log = logging.getLogger("kepu.worker")

# Work in the machine stage for longer than this without moving on gets its job enqueued again
# (an enqueue that failed after commit, or Redis lost its data).
STUCK_REVIEW_AFTER_S = 120
# A video with no sign of progress for this long lost its job (e.g. Redis was emptied).
STUCK_MEDIA_AFTER_S = 30 * 60
MEDIA_MAX_TRIES = 5


def retry_delay(tries: int) -> int:
    """Seconds before the next try of a transient failure: 30 s, 1 min, 2 min, 4 min…"""
    return int(min(30 * 2 ** (tries - 1), 15 * 60))


async def _write(services: Services, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run ``work`` in its own short transaction, then enqueue the jobs it asked for."""
    async with services.write_sessions() as session:
        result = await work(session)
        await session.commit()
        await enqueue_all(services.queue, jobs.take_pending(session))
    return result


async def sweep_once(
    services: Services,
    *,
    review_after_s: float = STUCK_REVIEW_AFTER_S,
    media_after_s: float = STUCK_MEDIA_AFTER_S,
) -> dict[str, int]:
    """Re-enqueue work whose job was lost and remove abandoned uploads. Run once a minute
    across all workers (a streaq cron fires once, whatever the number of workers)."""
    async with services.read_sessions() as session:
        revisions = await review.stuck_in_machine_stage(session, review_after_s)
        media = await processing.stuck(session, media_after_s)
        abandoned = await uploads.abandoned(
            session, services.settings.abandoned_upload_grace_seconds
        )
    await enqueue_all(
        services.queue,
        [(jobs.MACHINE_REVIEW, (r,)) for r in revisions]
        + [(jobs.PROCESS_MEDIA, (m,)) for m in media],
    )
    cleaned = 0
    for upload in abandoned:

        async def clean(s: AsyncSession, u: Upload = upload) -> bool:
            return await uploads.clean_up(s, services.storage, u)

        try:
            cleaned += await _write(services, clean)
        except Exception:
            log.exception("could not clean up upload %s; the next sweep retries", upload.id)
    return {"reviews": len(revisions), "media": len(media), "uploads": cleaned}


async def _leave_signals_alone(_scope: object) -> None:
    await anyio.sleep_forever()


def build_worker(
    settings: Settings,
    redis_url: str,
    services: Callable[[], AbstractAsyncContextManager[Services]],
    *,
    handle_signals: bool = True,
) -> Worker[Services]:
    ffmpeg.set_max_concurrent(settings.ffmpeg_concurrency)
    worker: Worker[Services] = Worker(
        redis_url=redis_url,
        queue_name=settings.queue_name,
        concurrency=settings.worker_concurrency,
        idle_timeout=settings.worker_idle_timeout_s,
        lifespan=services,
        handle_signals=handle_signals,
    )
    if not handle_signals:
        # streaq 7.2 stores handle_signals but installs its SIGINT/SIGTERM receiver anyway,
        # which takes the signals from the server it is embedded in (uvicorn never stops).
        worker.signal_handler = _leave_signals_alone  # type: ignore[method-assign,assignment]

    @worker.task(name=jobs.MACHINE_REVIEW, timeout=300, max_tries=5, ttl=timedelta(days=1))
    async def machine_review(revision_id: str) -> str:
        outcome: str = await _write(
            worker.context, lambda s: review.run_machine_stage(s, revision_id)
        )
        log.info("machine review of %s: %s", revision_id, outcome)
        return outcome

    @worker.task(
        name=jobs.PROCESS_MEDIA,
        timeout=settings.transcode_timeout_seconds,
        max_tries=MEDIA_MAX_TRIES + 1,  # our own count (in the database) gives up first
        ttl=timedelta(days=1),
    )
    async def process_media(media_id: str) -> str:
        ctx = worker.context
        media = await _write(ctx, lambda s: processing.start(s, media_id))
        if media is None:
            return "skipped"  # already ready or failed: a repeated delivery does nothing
        tries = media.attempts
        if tries > MEDIA_MAX_TRIES:
            reason = f"processing was interrupted {tries - 1} times; upload the video again"
            await _write(ctx, lambda s: processing.fail(s, media_id, reason))
            return "failed"

        async def on_progress(fraction: float) -> None:
            await _write(ctx, lambda s: processing.progress(s, media_id, fraction))

        rules = transcode.MediaRules(
            max_seconds=settings.max_video_seconds, max_bytes=settings.max_video_bytes
        )
        workdir = settings.work_dir or Path(tempfile.gettempdir())
        try:
            if media.kind == MediaKind.image:
                image = await images.process_image(ctx.storage, media.object_key, media_id, workdir)
                outcome: dict[str, Any] = {
                    "width": image.width,
                    "height": image.height,
                    "cover_key": image.cover_key,
                    "source": image.source,
                }
            else:
                video = await transcode.process_media(
                    ctx.storage, media.object_key, media_id, workdir, rules, on_progress=on_progress
                )
                outcome = {
                    "width": video.width,
                    "height": video.height,
                    "cover_key": video.cover_key,
                    "source": video.source,
                    "duration_s": video.duration_s,
                    "rotation": video.rotation,
                    "renditions": [dict(r) for r in video.renditions],
                    "preview_key": video.preview_key,
                }
        except transcode.MediaRejected as exc:
            rejection = exc.reason
            await _write(ctx, lambda s: processing.fail(s, media_id, rejection))
            log.info("media %s rejected: %s", media_id, rejection)
            return "rejected"
        except Exception as exc:
            if tries >= MEDIA_MAX_TRIES:
                reason = f"processing failed {tries} times; last error: {exc}"
                await _write(ctx, lambda s: processing.fail(s, media_id, reason))
                log.error("media %s failed for good: %s", media_id, exc)
                return "failed"
            log.warning("media %s try %d failed, will retry: %s", media_id, tries, exc)
            raise StreaqRetry(delay=retry_delay(tries)) from exc
        await _write(ctx, lambda s: processing.succeed(s, media_id, **outcome))
        return "ready"

    @worker.task(name=jobs.SYNC_PUBLIC_MEDIA, timeout=600, max_tries=10, ttl=timedelta(days=1))
    async def sync_public_media(content_id: str) -> int:
        ctx = worker.context
        try:
            changed: int = await _write(
                ctx, lambda s: exposure.sync(s, ctx.storage, settings, content_id)
            )
        except StorageError as exc:
            tries = sync_public_media.context.tries
            log.warning("public media of %s not synced (try %d): %s", content_id, tries, exc)
            raise StreaqRetry(delay=min(5 * 2**tries, 300)) from exc
        return changed

    @worker.cron("* * * * *", name="sweep", timeout=300)
    async def sweep() -> dict[str, int]:
        return await sweep_once(worker.context)

    register_feed_jobs(worker, settings)
    return worker


def register_feed_jobs(worker: Worker[Services], settings: Settings) -> None:
    """The feed jobs: counters flushed every few seconds, feeds rebuilt on request."""
    from workers import feeds as feed_jobs

    @worker.cron(
        f"*/{max(1, settings.counter_flush_s)} * * * * * *",
        name=jobs.FLUSH_COUNTERS,
        timeout=120,
        silent=True,
    )
    async def flush_counters() -> int:
        return await feed_jobs.flush_counters(worker.context)

    @worker.task(name=jobs.FEED_REBUILD, timeout=3600, max_tries=3)
    async def feed_rebuild() -> int:
        return await feed_jobs.rebuild_feeds(worker.context)
