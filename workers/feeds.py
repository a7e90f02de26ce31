"""Feed jobs: writing buffered views and shares to the database, and rebuilding the feeds in
Redis from the database. Both are safe to run twice and to kill at any point."""

from __future__ import annotations

import logging
from collections.abc import Callable

from content import engagement, feeds
from infra.invalidation import broadcast
from infra.services import Services

log = logging.getLogger("kepu.worker.feeds")
INVALIDATE_WAIT_S = 1.0


def _keys(services: Services) -> feeds.FeedKeys:
    return feeds.FeedKeys(services.settings.redis_prefix)


async def _invalidate(services: Services, what: str) -> None:
    await broadcast(services.redis, _keys(services).invalidations, what, INVALIDATE_WAIT_S)


async def flush_counters(services: Services) -> int:
    """Write every waiting batch of views and shares; returns the contents whose counters
    changed. A batch leaves Redis only after the transaction recording it committed."""
    keys = _keys(services)
    changed = 0
    for batch_id in await engagement.claim_batches(services.redis, keys):
        events = await engagement.read_batch(services.redis, keys, batch_id)
        async with services.write_sessions() as session:
            changed += await engagement.apply_batch(session, batch_id, events)
            await session.commit()
            pending = feeds.take_pending(session)
        await engagement.release_batch(services.redis, keys, batch_id)
        # New counters move items on the hot feed; pages pick them up within their short life.
        await feeds.run(
            pending, services.read_sessions, services.redis, keys, lambda _what: _noop()
        )
    return changed


async def _noop() -> None:
    return None


async def rebuild_feeds(
    services: Services, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Refill every feed from the database, then have every API process drop its pages."""
    keys = _keys(services)
    try:
        async with services.read_sessions() as session:
            count = await feeds.rebuild(session, services.redis, keys, on_progress)
    finally:
        await services.redis.delete(keys.rebuild_lock)
    await _invalidate(services, feeds.EVERYTHING)
    log.info("feeds rebuilt from the database: %d published items", count)
    return count
