"""The worker's half of the job outbox (content/jobs.py): mark a job taken when it starts, beat
on it while it runs, delete it when it is done; and, every few seconds, relay to the queue the
jobs no worker took in time. Each worker process runs one relay; they share the work safely."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import anyio
from sqlmodel.ext.asyncio.session import AsyncSession
from streaq import StreaqRetry
from streaq.types import ReturnCoroutine, TaskContext

from content import jobs
from infra.services import Services

log = logging.getLogger("kepu.worker")

RELAY_EVERY_S = 2.0
# A job that failed with an unexpected error (not a retry it asked for) is relayed this long
# after; the jobs are idempotent, and the sweep used to do the same a minute or two later.
FAILED_AGAIN_AFTER_S = 30.0

Write = Callable[[Services, Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]


def _retry_in_s(exc: StreaqRetry, tries: int) -> float:
    if exc.schedule is not None:
        schedule: datetime = exc.schedule
        return schedule.timestamp() - time.time()
    if exc.delay is not None:
        delay = exc.delay
        return delay if isinstance(delay, int | float) else delay.total_seconds()
    return float(tries**2)  # streaq's own default


class Outbox:
    """One per worker process: the jobs it is running (outbox id → delivery) and its relay."""

    def __init__(self, write: Write, relay_after_s: float) -> None:
        self._write = write
        self.relay_after_s = relay_after_s
        self.running: dict[str, str] = {}

    def middleware(
        self, context: Callable[[], TaskContext], services: Callable[[], Services]
    ) -> Callable[[ReturnCoroutine], ReturnCoroutine]:
        """Wraps every job: take the outbox row first (skip the job if it is done or running
        elsewhere), give it back on a retry, delete it when done."""

        def wrap(fn: ReturnCoroutine) -> ReturnCoroutine:
            async def run(*args: Any, **kwargs: Any) -> Any:
                task = context()
                outbox_id = jobs.outbox_id_of(task.task_id)
                if outbox_id is None:  # cron, or enqueued without the outbox
                    return await fn(*args, **kwargs)
                ctx, delivery = services(), task.task_id
                if not await self._write(ctx, lambda s: jobs.take(s, outbox_id, delivery)):
                    log.info("%s %s: done or running elsewhere; skipped", task.fn_name, delivery)
                    return "skipped"
                self.running[outbox_id] = delivery
                try:
                    result = await fn(*args, **kwargs)
                except StreaqRetry as exc:
                    due = _retry_in_s(exc, task.tries)
                    await self._write(ctx, lambda s: jobs.release(s, outbox_id, delivery, due))
                    raise
                except Exception:
                    again = FAILED_AGAIN_AFTER_S
                    await self._write(ctx, lambda s: jobs.release(s, outbox_id, delivery, again))
                    raise
                finally:
                    self.running.pop(outbox_id, None)
                await self._write(ctx, lambda s: jobs.done(s, outbox_id))
                return result

            return run

        return wrap

    async def relay_once(self, services: Services) -> int:
        """Enqueue again the jobs overdue in the outbox (the write's drain does); returns how
        many."""
        async with services.read_sessions() as session:
            overdue = await jobs.overdue(session, self.relay_after_s)
        if not overdue:
            return 0
        claimed: list[Any] = await self._write(
            services, lambda s: jobs.claim(s, overdue, self.relay_after_s)
        )
        for job in claimed:
            log.warning("job %s%r was not taken in time; enqueued again", job.name, job.args)
        return len(claimed)

    @staticmethod
    def _beat(running: dict[str, str]) -> Callable[[AsyncSession], Awaitable[None]]:
        return lambda session: jobs.beat(session, running)

    async def run_forever(self, services: Services) -> None:
        period = min(RELAY_EVERY_S, max(self.relay_after_s / 2, 0.2))
        last_beat = 0.0
        while True:
            try:
                if self.running and time.monotonic() - last_beat >= jobs.HEARTBEAT_EVERY_S:
                    await self._write(services, self._beat(dict(self.running)))
                    last_beat = time.monotonic()
                await self.relay_once(services)
            except Exception:  # the database may be away for a moment; try again next round
                log.exception("job outbox relay failed; retrying in %.0f s", period)
            await anyio.sleep(period)

    def lifespan(
        self, inner: Callable[[], AbstractAsyncContextManager[Services]]
    ) -> Callable[[], AbstractAsyncContextManager[Services]]:
        """The worker's lifespan with the relay running beside its jobs."""

        @contextlib.asynccontextmanager
        async def run() -> AsyncIterator[Services]:
            async with inner() as services, anyio.create_task_group() as tg:
                tg.start_soon(self.run_forever, services)
                yield services
                tg.cancel_scope.cancel()

        return run
