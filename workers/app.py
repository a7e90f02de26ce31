"""The streaq worker: which jobs exist, and the context they run with."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from sqlmodel import col, select
from streaq import Worker

from content import jobs, review
from content.models import Revision, Stage
from infra.clock import utcnow
from infra.queue import enqueue_all
from infra.services import Services
from infra.settings import Settings

log = logging.getLogger("kepu.worker")

# Work in the machine stage for longer than this without moving on gets its job enqueued again
# (an enqueue that failed after commit, or Redis lost its data).
STUCK_AFTER = timedelta(minutes=2)


def build_worker(
    settings: Settings,
    redis_url: str,
    services: Callable[[], AbstractAsyncContextManager[Services]],
    *,
    handle_signals: bool = True,
) -> Worker[Services]:
    worker: Worker[Services] = Worker(
        redis_url=redis_url,
        queue_name=settings.queue_name,
        concurrency=settings.worker_concurrency,
        idle_timeout=settings.worker_idle_timeout_s,
        lifespan=services,
        handle_signals=handle_signals,
    )

    @worker.task(name=jobs.MACHINE_REVIEW, timeout=300, max_tries=5, ttl=timedelta(days=1))
    async def machine_review(revision_id: str) -> str:
        ctx = worker.context
        async with ctx.write_sessions() as session:
            outcome = await review.run_machine_stage(session, revision_id)
            await session.commit()
            await enqueue_all(ctx.queue, jobs.take_pending(session))
        log.info("machine review of %s: %s", revision_id, outcome)
        return outcome

    @worker.cron("* * * * *", name="sweep_stuck_reviews", timeout=120)
    async def sweep_stuck_reviews() -> int:
        ctx = worker.context
        async with ctx.read_sessions() as session:
            ids = (
                await session.exec(
                    select(Revision.id).where(
                        Revision.state == "in_review",
                        Revision.stage == Stage.machine,
                        col(Revision.submitted_at) < utcnow() - STUCK_AFTER,
                    )
                )
            ).all()
        await enqueue_all(ctx.queue, [(jobs.MACHINE_REVIEW, (i,)) for i in ids])
        return len(ids)

    return worker
