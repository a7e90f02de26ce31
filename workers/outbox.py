"""The worker's half of the job outbox (content/jobs.py): mark a job taken when it starts, beat
on it while it runs, delete it when it is done; and, every few seconds, relay to the queue the
jobs no worker took in time. Each worker process runs one relay; they share the work safely."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession
from streaq import StreaqRetry
from streaq.types import ReturnCoroutine, TaskContext

from content import jobs
from infra.services import Services

log = logging.getLogger("kepu.worker")

# Every worker looks for overdue jobs this often: with the lease's STALE_AFTER_S, a killed
# worker's job is enqueued again within STALE_AFTER_S + RELAY_EVERY_S of its last heartbeat.
RELAY_EVERY_S = 1.0
# A job stopped with its worker is handed back within this (the database may be slow).
RELEASE_WITHIN_S = 5.0
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


@dataclass
class _Running:
    delivery: str
    scope: anyio.CancelScope


class Outbox:
    """One per worker process: the jobs it is running (outbox id → delivery, and the scope to
    stop it with if its lease is lost), their heartbeat, and its relay."""

    def __init__(self, write: Write, relay_after_s: float) -> None:
        self._write = write
        self.relay_after_s = relay_after_s
        self.running: dict[str, _Running] = {}

    def middleware(
        self, context: Callable[[], TaskContext], services: Callable[[], Services]
    ) -> Callable[[ReturnCoroutine], ReturnCoroutine]:
        """Wraps every job: take the outbox row first (skip the job if it is done or running
        elsewhere), give it back on a retry or when the worker stops it, delete it when done."""

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
                lease = _Running(delivery, anyio.CancelScope())
                self.running[outbox_id] = lease

                async def give_back(due_s: float) -> None:
                    await self._write(ctx, lambda s: jobs.release(s, outbox_id, delivery, due_s))

                try:
                    with lease.scope:
                        result = await fn(*args, **kwargs)
                except StreaqRetry as exc:
                    await give_back(_retry_in_s(exc, task.tries))
                    raise
                except anyio.get_cancelled_exc_class():
                    # The worker is stopping (or streaq timed the job out): hand the job back
                    # now rather than after the lease runs out.
                    with (
                        anyio.move_on_after(RELEASE_WITHIN_S, shield=True),
                        contextlib.suppress(Exception),  # then its lease runs out instead
                    ):
                        await give_back(0.0)
                    raise
                except Exception:
                    await give_back(FAILED_AGAIN_AFTER_S)
                    raise
                finally:
                    self.running.pop(outbox_id, None)
                if lease.scope.cancelled_caught:
                    log.warning(
                        "%s %s lost its lease (no heartbeat for %.0f s) and runs elsewhere; "
                        "stopped here",
                        task.fn_name,
                        delivery,
                        jobs.STALE_AFTER_S,
                    )
                    return "lease lost"
                await self._write(ctx, lambda s: jobs.done(s, outbox_id, delivery))
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

    async def beat_once(self, services: Services) -> None:
        """Renew the leases of the jobs running here; stop those whose lease is lost."""
        leases = {outbox_id: run.delivery for outbox_id, run in self.running.items()}
        if not leases:
            return
        lost: set[str] = await self._write(services, lambda s: jobs.beat(s, leases))
        for outbox_id in lost:
            run = self.running.get(outbox_id)
            if run is not None and run.delivery == leases[outbox_id]:
                run.scope.cancel()

    async def _every(self, period: float, step: Callable[[], Awaitable[Any]], what: str) -> None:
        while True:
            began = anyio.current_time()
            try:
                await step()
            except (DBAPIError, OSError) as exc:  # the database away for a moment: one line
                log.warning("job outbox %s failed (%s); retrying", what, type(exc).__name__)
            except Exception:
                log.exception("job outbox %s failed; retrying in %.0f s", what, period)
            await anyio.sleep(max(0.0, period - (anyio.current_time() - began)))

    async def run_forever(self, services: Services) -> None:
        """The heartbeat of running jobs and the relay, side by side (a slow relay must not
        delay a beat)."""
        period = min(RELAY_EVERY_S, max(self.relay_after_s / 2, 0.2))
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                self._every, jobs.HEARTBEAT_EVERY_S, lambda: self.beat_once(services), "heartbeat"
            )
            tg.start_soon(self._every, period, lambda: self.relay_once(services), "relay")

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
