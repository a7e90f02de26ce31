"""Answers of /admin/stats kept in Redis between two runs of the rollup job: the rollups they
sum change only when it runs, and the job forgets every kept answer once it has. Redis being
down only costs the summing."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from content.stats.days import DayRange

log = logging.getLogger(__name__)


def _key(prefix: str) -> str:
    return f"{prefix}:stats:answers"


async def kept(redis: aioredis.Redis, prefix: str, days: DayRange) -> str | None:
    """The JSON answer kept for ``days``, if any (the client decodes replies as text)."""
    try:
        found = await redis.hget(_key(prefix), f"{days.first}:{days.last}")
    except (RedisError, OSError) as exc:
        log.warning("stats answers not read from Redis: %s", exc)
        return None
    return None if found is None else str(found)


async def keep(redis: aioredis.Redis, prefix: str, days: DayRange, body: str, ttl_s: float) -> None:
    """Keep ``body`` until the job's next run (or ``ttl_s``, should the job not run)."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hset(_key(prefix), f"{days.first}:{days.last}", body)
            pipe.expire(_key(prefix), max(1, int(ttl_s)))
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("stats answer not kept in Redis: %s", exc)


async def forget(redis: aioredis.Redis, prefix: str) -> None:
    """The rollups changed: no kept answer holds any more."""
    await redis.delete(_key(prefix))
