"""Feed jobs: writing buffered views and shares to the database, and rebuilding the feeds in
Redis from the database. Both are safe to run twice and to kill at any point."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from content import drain, engagement, feeds
from infra.redis import lease
from infra.services import Services

log = logging.getLogger("kepu.worker.feeds")

# One flush at a time writes the batches: two would do the same work (the batch id recorded in
# the database keeps either from counting twice). The flush holds a lease of FLUSH_LEASE_S that
# it renews while it lives, so a killed flush holds the next one up for seconds, not minutes;
# a flush that finds the lease held waits about as long for it, then leaves its turn.
FLUSH_LEASE_S = 3.0


def _keys(services: Services) -> feeds.FeedKeys:
    return feeds.FeedKeys(services.settings.redis_prefix)


async def flush_counters(services: Services) -> int:
    """Write every waiting batch of views and shares; returns the contents whose counters
    changed. A batch leaves Redis only after the transaction recording it committed."""
    keys, worker_drain = _keys(services), drain.broadcasting(services)
    changed = 0
    async with lease(services.redis, keys.flush_lease, FLUSH_LEASE_S, wait_s=FLUSH_LEASE_S) as held:
        if not held:
            return 0
        for batch_id in await engagement.claim_batches(services.redis, keys):
            events = await engagement.read_batch(services.redis, keys, batch_id)
            # New counters move items on the hot feed: the drain puts them in place in Redis (no
            # invalidation: cached pages pick counters up within their short life).
            changed += await worker_drain.write(
                functools.partial(engagement.apply_batch, batch_id=batch_id, events=events)
            )
            await engagement.release_batch(services.redis, keys, batch_id)
    return changed


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
    await drain.broadcasting(services).invalidate(feeds.EVERYTHING)
    log.info("feeds rebuilt from the database: %d published items", count)
    return count
