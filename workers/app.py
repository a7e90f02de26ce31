"""The streaq worker: which jobs exist, how they retry, and the context they run with."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any, TypeVar

import anyio
from anyio import CancelScope
from sqlmodel.ext.asyncio.session import AsyncSession
from streaq import StreaqRetry, Worker

from content import drain, jobs, media, notifications, review
from content.models import Upload
from content.screening import Finding, SecondOpinion
from infra import ffmpeg, sentinel, wechat
from infra.services import Services
from infra.settings import Settings
from infra.storage.base import StorageError
from workers.outbox import Outbox

log = logging.getLogger("kepu.worker")
T = TypeVar("T")

# Work in the machine stage for longer than this without moving on, and with no job in the
# outbox (the relay looks after those), gets a job again.
STUCK_REVIEW_AFTER_S = 120
# Media pending or processing with no sign of life (no progress, no outbox job taken or beating)
# for this long gets a job again. A live transcode beats on its outbox row, so it is not re-run.
STUCK_MEDIA_AFTER_S = 60
# The sweep runs at every minute's start (tests tick faster: seven fields start with seconds).
SWEEP_SCHEDULE = "* * * * *"


async def _write(services: Services, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Run ``work`` in its own short transaction, then carry out what it declared (jobs, feeds,
    cached pages) as a request would. Jobs receive the bare Services as their context, so the
    worker's drain is made from it here: it holds nothing but references."""
    return await drain.broadcasting(services).write(work)


async def sweep_once(
    services: Services,
    *,
    review_after_s: float = STUCK_REVIEW_AFTER_S,
    media_after_s: float = STUCK_MEDIA_AFTER_S,
) -> dict[str, int]:
    """Give work with no job (none in the outbox either: from before it existed, or given up
    on) a job again, and remove what uploads left in storage. Run once a minute across all
    workers (a streaq cron fires once, whatever the number of workers)."""
    grace = services.settings.abandoned_upload_grace_seconds
    async with services.read_sessions() as session:
        revisions = await review.stuck_in_machine_stage(session, review_after_s)
        revisions = await _without_live_job(session, jobs.MACHINE_REVIEW, revisions)
        waiting_media = await media.stuck_media(session, media_after_s)
        waiting_media = await _without_live_job(session, jobs.PROCESS_MEDIA, waiting_media)
        abandoned = await media.abandoned_uploads(session, grace)
        spent = await media.spent_uploads(session, grace)
    if revisions or waiting_media:
        await _write(services, lambda s: _ask_again(s, revisions, waiting_media))
    cleaned = await _clean_up_uploads(services, abandoned)
    # Bytes PUT to the keys of completed uploads: their URLs are dead now, so this is once.
    cleared = await media.clear_spent(services.storage, spent)
    if cleared:
        await _write(services, lambda s: media.mark_swept(s, cleared))
    await _write(services, jobs.forget_old_firings)
    return {
        "reviews": len(revisions),
        "media": len(waiting_media),
        "uploads": cleaned,
        "upload_keys": len(cleared),
    }


async def _without_live_job(session: AsyncSession, name: str, subjects: list[str]) -> list[str]:
    """``subjects`` less those with a job ``name`` in the outbox (the relay looks after them)."""
    looked_after = await jobs.live_subjects(session, name, subjects)
    return [subject for subject in subjects if subject not in looked_after]


async def _ask_again(session: AsyncSession, revisions: list[str], waiting_media: list[str]) -> None:
    for revision_id in revisions:
        jobs.after_commit(session, jobs.MACHINE_REVIEW, revision_id)
    for media_id in waiting_media:
        jobs.after_commit(session, jobs.PROCESS_MEDIA, media_id)


async def _clean_up_uploads(services: Services, abandoned: list[Upload]) -> int:
    cleaned = 0
    for upload in abandoned:

        async def clean(s: AsyncSession, u: Upload = upload) -> bool:
            return await media.clean_up_upload(s, services.storage, u)

        try:
            cleaned += await _write(services, clean)
        except Exception:
            log.exception("could not clean up upload %s; the next sweep retries", upload.id)
    return cleaned


async def once_per_firing(
    services: Services, name: str, firing_id: str, work: Callable[[], Awaitable[T]]
) -> T | None:
    """Run a scheduled job's ``work`` unless this firing ran already: streaq gives a firing
    one task id on every worker, and the database remembers it, so a firing the queue hands out
    again after a Redis failover (the new master never heard it ran) is skipped. A firing is
    one queue's and key prefix's: streaq derives the id from the schedule alone, so another
    queue on the same database (staging beside production, a test's own workers) fires the same
    ids and must not make this one's skip."""
    settings = services.settings
    scope = f"{settings.queue_name}\0{settings.redis_prefix}\0{firing_id}"
    key = hashlib.sha256(scope.encode()).hexdigest()[:40]
    if not await _write(services, lambda s: jobs.first_firing(s, name, key)):
        log.info("%s %s ran already; skipped", name, firing_id)
        return None
    # One line per firing, by the worker that ran it: tests count firings across workers.
    log.debug("cron %s ran %s", name, firing_id)
    return await work()


async def _leave_signals_alone(_scope: object) -> None:
    await anyio.sleep_forever()


def _stop_on(
    stop: anyio.Event, worker: Worker[Services]
) -> Callable[[CancelScope], Coroutine[Any, Any, None]]:
    """A stand-in for streaq's signal handler that stops the worker when ``stop`` is set, as
    streaq does on SIGTERM: the worker stops reading, and its running jobs (shielded from that
    cancellation) are cancelled at once, so they are handed back instead of finished first."""

    async def stop_when_set(scope: CancelScope) -> None:
        await stop.wait()
        scope.cancel()
        # streaq 7.2 has no public call for this; its own signal handler does exactly this.
        for running in worker._cancel_scopes.values():
            running.deadline = min(running.deadline, anyio.current_time() + worker.grace_period)

    return stop_when_set


def build_worker(
    settings: Settings,
    redis_url: str,
    services: Callable[[], AbstractAsyncContextManager[Services]],
    *,
    handle_signals: bool = True,
    stop: anyio.Event | None = None,
    sweep_schedule: str = SWEEP_SCHEDULE,
) -> Worker[Services]:
    """The worker with every job registered. It stops on SIGINT/SIGTERM (``handle_signals``),
    or, given ``stop``, when that is set and never on a signal (the caller owns the signals).
    `workers.supervisor` runs it and starts a new one after a fault."""
    ffmpeg.set_max_concurrent(settings.ffmpeg_concurrency)
    outbox = Outbox(_write, settings.job_relay_after_s)
    worker = _new_worker(settings, redis_url, outbox, services, handle_signals and stop is None)
    if stop is not None:
        worker.signal_handler = _stop_on(stop, worker)  # type: ignore[method-assign,assignment]
    marks_outbox = worker.middleware(
        outbox.middleware(lambda: marks_outbox.context, lambda: worker.context)
    )
    register_review_jobs(worker)
    register_media_jobs(worker, settings)
    register_sweep(worker, sweep_schedule)
    register_feed_jobs(worker, settings)
    register_stats_jobs(worker, settings)
    register_notification_jobs(worker)
    return worker


def _new_worker(
    settings: Settings,
    redis_url: str,
    outbox: Outbox,
    services: Callable[[], AbstractAsyncContextManager[Services]],
    handle_signals: bool,
) -> Worker[Services]:
    worker: Worker[Services] = Worker(
        **sentinel.queue_options(redis_url),
        queue_name=settings.queue_name,
        concurrency=settings.worker_concurrency,
        idle_timeout=settings.worker_idle_timeout_s,
        lifespan=outbox.lifespan(services),
        handle_signals=handle_signals,
    )
    if not handle_signals:
        # streaq 7.2 stores handle_signals but installs its SIGINT/SIGTERM receiver anyway,
        # which takes the signals from the server it is embedded in (uvicorn never stops).
        worker.signal_handler = _leave_signals_alone  # type: ignore[method-assign,assignment]
    return worker


def register_review_jobs(worker: Worker[Services]) -> None:
    """The machine stage, with WeChat's second opinion asked beforehand."""
    opinion: SecondOpinion | None = None

    def second_opinion() -> SecondOpinion:
        """WeChat's check, one per run of the worker (its access token is shared by every
        process, the pushes of notifications included)."""
        nonlocal opinion
        ctx = worker.context
        if opinion is None or opinion.http is not ctx.http:
            token = wechat.SharedToken(ctx.redis, ctx.settings.redis_prefix)
            opinion = SecondOpinion(ctx.http, ctx.settings, token)
        return opinion

    @worker.task(name=jobs.MACHINE_REVIEW, timeout=300, max_tries=5, ttl=timedelta(days=1))
    async def machine_review(revision_id: str) -> str:
        ctx = worker.context
        wechat: list[Finding] = []
        if second_opinion().enabled:
            # Asked outside the stage's transaction, so a slow WeChat holds no lock; it never
            # fails the stage (see SecondOpinion.findings).
            async with ctx.read_sessions() as session:
                waiting = await review.texts_for_second_opinion(session, revision_id)
            if waiting is not None:
                wechat = await second_opinion().findings(*waiting)
        outcome: str = await _write(ctx, lambda s: review.run_machine_stage(s, revision_id, wechat))
        log.info("machine review of %s: %s", revision_id, outcome)
        return outcome


def register_media_jobs(worker: Worker[Services], settings: Settings) -> None:
    """Processing uploads, the public CDN copies of published media, and the CDN's purges of
    those removed."""

    @worker.task(
        name=jobs.PROCESS_MEDIA,
        timeout=settings.transcode_timeout_seconds,
        max_tries=media.MAX_PROCESSING_TRIES + 1,  # our own count (in the database) gives up first
        ttl=timedelta(days=1),
    )
    async def process_media(media_id: str) -> str:
        async def write(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
            return await _write(worker.context, work)

        try:
            outcome = await media.process(write, worker.context.storage, settings, media_id)
        except media.RetryLater as exc:
            raise StreaqRetry(delay=exc.delay_s) from exc
        return outcome.value

    @worker.task(name=jobs.SYNC_PUBLIC_MEDIA, timeout=600, max_tries=10, ttl=timedelta(days=1))
    async def sync_public_media(content_id: str) -> int:
        ctx = worker.context
        try:
            changed: int = await _write(
                ctx, lambda s: media.sync_public_copies(s, ctx.storage, settings, content_id)
            )
        except StorageError as exc:
            tries = sync_public_media.context.tries
            log.warning("public media of %s not synced (try %d): %s", content_id, tries, exc)
            raise StreaqRetry(delay=min(5 * 2**tries, 300)) from exc
        return changed

    @worker.task(
        name=jobs.PURGE_CDN,
        timeout=60,
        # No limit: a batch is tried (every 5 min at most) until the hook takes it, and a lost
        # worker's is relayed by the outbox; /metrics counts those waiting.
        max_tries=None,
        ttl=timedelta(days=1),
    )
    async def purge_cdn(purge_id: str, body: dict[str, Any]) -> str:
        ctx = worker.context
        tries = purge_cdn.context.tries
        try:
            return await media.send_purge(ctx.http, ctx.settings, purge_id, body, tries)
        except media.PurgeLater as exc:
            raise StreaqRetry(delay=timedelta(seconds=exc.delay_s)) from exc


def register_sweep(worker: Worker[Services], schedule: str = SWEEP_SCHEDULE) -> None:
    @worker.cron(schedule, name="sweep", timeout=300)
    async def sweep() -> dict[str, int] | None:
        ctx, firing = worker.context, sweep.context.task_id
        return await once_per_firing(ctx, "sweep", firing, lambda: sweep_once(ctx))


def register_feed_jobs(worker: Worker[Services], settings: Settings) -> None:
    """The feed jobs: counters flushed every few seconds, feeds rebuilt on request."""
    from workers import feeds as feed_jobs

    @worker.cron(
        f"*/{max(1, settings.counter_flush_s)} * * * * * *",
        name=jobs.FLUSH_COUNTERS,
        timeout=120,
        silent=True,
        # Not streaq's unique lock: a killed holder's would stand for the idle timeout plus the
        # timeout. The flush holds a short lease of its own instead (workers/feeds.py).
        unique=False,
    )
    async def flush_counters() -> int | None:
        ctx, firing = worker.context, flush_counters.context.task_id
        flush = functools.partial(feed_jobs.flush_counters, ctx)
        return await once_per_firing(ctx, jobs.FLUSH_COUNTERS, firing, flush)

    @worker.task(name=jobs.FEED_REBUILD, timeout=3600, max_tries=3)
    async def feed_rebuild() -> int:
        return await feed_jobs.rebuild_feeds(worker.context)


def register_stats_jobs(worker: Worker[Services], settings: Settings) -> None:
    """The rollups of today and yesterday, then the rankings, every few seconds."""
    from workers import stats as stats_jobs

    @worker.cron(
        f"*/{settings.stats_rollup_s} * * * * * *",
        name=jobs.STATS_ROLLUP,
        timeout=120,
        silent=True,
    )
    async def stats_rollup() -> int | None:
        ctx, firing = worker.context, stats_rollup.context.task_id
        rollup = functools.partial(stats_jobs.roll_up_recent, ctx)
        return await once_per_firing(ctx, jobs.STATS_ROLLUP, firing, rollup)


def register_notification_jobs(worker: Worker[Services]) -> None:
    """Subscribe messages: WeChat down delays them (retries with a growing delay, kept in the
    outbox), it never fails what caused them."""

    @worker.task(
        name=jobs.PUSH_NOTIFICATION,
        timeout=60,
        max_tries=notifications.MAX_PUSH_TRIES + 1,  # the policy gives up first
        ttl=timedelta(days=1),
    )
    async def push_notification(notification_id: str) -> str:
        ctx = worker.context
        token = wechat.SharedToken(ctx.redis, ctx.settings.redis_prefix)

        async def write(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
            return await _write(ctx, work)

        try:
            return await notifications.push(
                write, ctx.http, token, ctx.settings, notification_id,
                push_notification.context.tries,
            )  # fmt: skip
        except notifications.RetryLater as exc:
            raise StreaqRetry(delay=timedelta(seconds=exc.delay_s)) from exc
