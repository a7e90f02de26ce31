"""The job queue (streaq on Redis), producer side. The API only enqueues, by job name, so it
never imports the job code; workers/ registers the functions under the same names."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import streaq
from coredis.exceptions import ResponseError
from streaq import Worker
from streaq.types import Streaq

from infra import sentinel
from infra.settings import Settings

log = logging.getLogger(__name__)
_LUA = Path(streaq.__file__).parent / "lua" / "streaq.lua"


def make_producer(settings: Settings, redis_url: str) -> Worker[Any]:
    return Worker(
        **sentinel.queue_options(redis_url),
        queue_name=settings.queue_name,
        handle_signals=False,
        idle_timeout=settings.worker_idle_timeout_s,
    )


@dataclass(frozen=True)
class Job:
    """One job to enqueue: the registered name, its arguments and, when the outbox tracks it,
    the queue's task id for this delivery (otherwise the queue picks one)."""

    name: str
    args: tuple[Any, ...] = ()
    task_id: str | None = None


class JobQueue:
    """Enqueues jobs by name. streaq keeps its scripts in Redis (Redis Functions); a Redis that
    restarted without its data has lost them, so they are loaded again and the enqueue retried
    once. (streaq has no public call for that; this leans on its loader, checked by tests.)"""

    def __init__(self, producer: Worker[Any]) -> None:
        self._producer = producer

    async def enqueue(self, name: str, *args: Any, task_id: str | None = None) -> None:
        try:
            await self._task(name, args, task_id)
        except ResponseError as exc:
            if "function" not in str(exc).lower():
                raise
            code = await anyio.to_thread.run_sync(_LUA.read_text)
            self._producer._lib = await Streaq(self._producer.redis, code=code, replace=True)
            await self._task(name, args, task_id)

    async def _task(self, name: str, args: tuple[Any, ...], task_id: str | None) -> None:
        task = self._producer.enqueue_unsafe(name, *args)
        if task_id is not None:
            task.id = task_id  # a task id already queued is not queued twice (SET NX)
        await task


@contextlib.asynccontextmanager
async def job_queue(settings: Settings, redis_url: str) -> AsyncIterator[JobQueue]:
    async with make_producer(settings, redis_url) as producer:
        yield JobQueue(producer)


async def enqueue_all(queue: JobQueue, jobs: Iterable[Job]) -> None:
    """Enqueue after a commit. A failure is logged, not raised: the data is committed, and the
    workers' outbox relay enqueues it again within seconds (the database is the truth)."""
    for job in jobs:
        try:
            await queue.enqueue(job.name, *job.args, task_id=job.task_id)
        except Exception:
            log.exception("could not enqueue %s%r; the outbox relay will retry", job.name, job.args)
