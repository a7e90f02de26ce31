"""Fixed-window rate limits on Redis. They fail open: with Redis down, requests go through
(logged), because refusing every login would be worse than a brief window without limits."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def over_limit(client: aioredis.Redis, key: str, limit: int, window_s: int) -> int | None:
    """Count one hit on ``key``; the seconds to wait if it is over ``limit`` per window."""
    try:
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit not checked (Redis unavailable): %s", exc)
        return None
    if int(count) > limit:
        return max(int(ttl), 1)
    return None
