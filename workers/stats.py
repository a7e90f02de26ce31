"""The statistics job: the rollups of the days still changing, then the rankings from them.
Each day is replaced whole in one transaction, so a run killed halfway, or run twice, leaves
the same rows as one run."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from content import drain, stats
from infra.redis import lease
from infra.services import Services

log = logging.getLogger("kepu.worker.stats")

LEASE_S = 10.0  # renewed while the holder lives; a killed one holds the next run up this long


async def roll_up(services: Services, day: date) -> int:
    """Roll ``day`` up from its raw records; returns the contents with activity that day."""
    write = drain.broadcasting(services).write
    count: int = await write(lambda s: stats.roll_up(s, day))
    return count


async def rank(services: Services) -> None:
    """Compute the rankings from the rollups and put them where readers look first."""
    rankings = await drain.broadcasting(services).write(stats.compute)
    await stats.cache(services.redis, services.settings.redis_prefix, rankings)


async def roll_up_recent(services: Services) -> int:
    """Yesterday (views flushed late, around midnight) and today, then the rankings. One run at
    a time: two would replace the same day at once, and one of them would fail on its rows."""
    key = f"{services.settings.redis_prefix}:stats:rollup-lease"
    async with lease(services.redis, key, LEASE_S, wait_s=LEASE_S) as held:
        if not held:
            return 0
        today = stats.today()
        count = 0
        for day in (today - timedelta(days=1), today):
            count = await roll_up(services, day)
        await stats.answers.forget(services.redis, services.settings.redis_prefix)
        await rank(services)
    return count
