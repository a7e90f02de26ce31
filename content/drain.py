"""The one drain: once a transaction has committed, carry out what it declared
(content/effects.py). Every writer calls it: the request scope, a job's writes, the counters flush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects, feeds
from infra.invalidation import broadcast
from infra.queue import enqueue_all
from infra.services import Services

# Makes every process drop ``what`` (feeds.EVERYTHING, or a user's entry) from its cached pages,
# returning once they have (or a bounded wait ran out).
Invalidate = Callable[[str], Awaitable[object]]


@dataclass(frozen=True)
class Drain:
    """A process's clients and how it invalidates cached pages: an API process builds one at
    start-up that drops its own pages first, then tells the others; a worker caches none, so
    its drain (``broadcasting``) only tells them."""

    services: Services
    invalidate: Invalidate

    @property
    def keys(self) -> feeds.FeedKeys:
        return feeds.FeedKeys(self.services.settings.redis_prefix)

    async def run(self, session: AsyncSession) -> None:
        """Call right after ``session`` committed: its jobs are enqueued, then the feeds brought
        in line and cached pages dropped, all before the caller answers anyone."""
        declared = effects.take(session)
        await enqueue_all(self.services.queue, declared.jobs)
        await feeds.run(
            declared, self.services.read_sessions, self.services.redis, self.keys, self.invalidate
        )

    async def write(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run ``work`` in its own short transaction, commit, then drain it."""
        async with self.services.write_sessions() as session:
            result = await work(session)
            await session.commit()
            await self.run(session)
        return result


def broadcasting(services: Services) -> Drain:
    """The drain of a process that caches no pages (a worker): invalidating is telling the
    API processes, and waiting for their acknowledgements."""
    channel = feeds.FeedKeys(services.settings.redis_prefix).invalidations
    wait_s = services.settings.feed_invalidate_wait_s

    async def invalidate(what: str) -> bool:
        return await broadcast(services.redis, channel, what, wait_s)

    return Drain(services, invalidate)
