"""Keeps a worker running through Redis faults: the one supervisor of `kepu worker` and of the
worker embedded in `kepu serve`.

A streaq worker stops for good when Redis goes away (a blip, a restart) or loses the queue's
state (FLUSHDB, a Redis back empty: its consumer group and its Redis Functions are gone). The
supervisor then builds a new worker after a short, growing pause; starting a worker creates the
consumer group (reading the stream from its first entry, so jobs enqueued meanwhile are not
skipped), loads the functions again and schedules the crons. Jobs the outage lost are in the
outbox, and the new worker's relay enqueues them (docs/jobs.md).
"""

from __future__ import annotations

import logging
import random
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import anyio
import redis.exceptions
from coredis.exceptions import RedisError as CoredisError

from infra import sentinel
from infra.services import Services
from infra.settings import Settings
from workers.app import build_worker

log = logging.getLogger("kepu.worker")

# After a failure the worker starts again after FIRST_PAUSE_S, doubling while it keeps failing
# (Redis still away), up to MAX_PAUSE_S; a worker that ran HEALTHY_AFTER_S before failing starts
# again after the shortest pause. Each pause is jittered, so several workers do not reconnect in
# step.
FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 5.0
HEALTHY_AFTER_S = 30.0
# How long a stopping worker may take to hand its running jobs back before it is cancelled.
STOP_GRACE_S = 10.0


def redis_fault(exc: BaseException) -> BaseException | None:
    """The Redis failure in ``exc`` (or grouped inside it): unreachable, or its data gone. An
    outage to wait out, not a bug; None for anything else."""
    if isinstance(exc, BaseExceptionGroup):
        return next((found for e in exc.exceptions if (found := redis_fault(e))), None)
    faults = (OSError, CoredisError, redis.exceptions.RedisError)
    return exc if isinstance(exc, faults) else None


class WorkerSupervisor:
    """Runs a worker on ``redis_url`` until `stop`, starting a new one whenever it fails.
    ``services`` opens the worker's clients for each run (the embedded worker shares the API's)."""

    def __init__(
        self,
        settings: Settings,
        redis_url: str,
        services: Callable[[], AbstractAsyncContextManager[Services]],
    ) -> None:
        self.settings, self.redis_url, self.services = settings, redis_url, services
        self.starts = 0
        self._stop = anyio.Event()

    def stop(self) -> None:
        """Stop the running worker (its jobs are handed back to the queue) and start no other."""
        self._stop.set()

    async def run(self) -> None:
        pause = FIRST_PAUSE_S
        while not self._stop.is_set():
            worker = build_worker(self.settings, self.redis_url, self.services, stop=self._stop)
            started = anyio.current_time()
            self.starts += 1
            try:
                await worker.run_async()
            except Exception as exc:
                if anyio.current_time() - started >= HEALTHY_AFTER_S:
                    pause = FIRST_PAUSE_S
                self._log_failure(exc, pause)
            else:
                if self._stop.is_set():
                    return
                log.warning("worker %s returned by itself; starting a new one", worker.id)
            with anyio.move_on_after(pause * random.uniform(0.8, 1.2)):  # noqa: S311 (jitter)
                await self._stop.wait()
            pause = min(pause * 2, MAX_PAUSE_S)

    def _log_failure(self, exc: Exception, pause: float) -> None:
        if (cause := redis_fault(exc)) is not None:
            # One line: an outage is not a bug, and a traceback every few seconds hides the rest.
            log.warning(
                "worker lost Redis at %s or the queue's data in it (%s: %s); starting a new "
                "worker in about %.1f s (check that Redis is up, or KEPU_REDIS_URL)",
                sentinel.without_password(self.redis_url),
                type(cause).__name__,
                cause,
                pause,
            )
        else:
            log.exception("worker stopped on an error; starting a new one in about %.1f s", pause)


async def run_until_signalled(supervisor: WorkerSupervisor) -> None:
    """`kepu worker`: run until SIGINT or SIGTERM, then stop the worker gracefully. (A second
    signal while it stops takes the default action: the process ends at once.)"""

    async def on_signal() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                log.info("received %s; stopping the worker", signum.name)
                supervisor.stop()
                return

    async with anyio.create_task_group() as tg:
        tg.start_soon(on_signal)
        await supervisor.run()
        tg.cancel_scope.cancel()
