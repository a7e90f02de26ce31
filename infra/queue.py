"""The job queue (streaq on Redis). The API only enqueues, by job name, so it never imports the
job code; workers/ registers the functions under the same names."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from streaq import Worker

from infra.settings import Settings

log = logging.getLogger(__name__)


def make_producer(settings: Settings, redis_url: str) -> Worker[Any]:
    return Worker(
        redis_url=redis_url,
        queue_name=settings.queue_name,
        handle_signals=False,
        idle_timeout=settings.worker_idle_timeout_s,
    )


async def enqueue_all(producer: Worker[Any], jobs: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
    """Enqueue after a commit. A failure is logged, not raised: the data is committed, and the
    workers' sweep finds work whose job was lost (the database, not the queue, is the truth)."""
    for name, args in jobs:
        try:
            await producer.enqueue_unsafe(name, *args)
        except Exception:
            log.exception("could not enqueue %s%r; the periodic sweep will pick it up", name, args)
