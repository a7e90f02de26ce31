"""The write limits every interaction shares: per user and per client address, a minute."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from content import feeds
from content.errors import RateLimited
from infra import ratelimit

RATE_WINDOW_S = 60


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_address: int


async def check_rate(
    redis: aioredis.Redis, keys: feeds.FeedKeys, limits: Limits, user_id: str, address: str
) -> None:
    """One write by ``user_id`` from ``address``; RateLimited past either limit a minute."""
    per_user = ratelimit.key(keys.prefix, "interactions-user", user_id)
    # Addresses count as the login limits count them (an IPv6 client by its /64).
    subject = ratelimit.address_subject(address)
    per_address = ratelimit.key(keys.prefix, "interactions-address", subject)
    for name, limit in ((per_user, limits.per_user), (per_address, limits.per_address)):
        wait = await ratelimit.over_limit(redis, name, limit, RATE_WINDOW_S)
        if wait is not None:
            raise RateLimited(
                f"too many likes, follows or views in a minute; wait {wait} s",
                retry_after=wait,
                code="interaction.rate_limited",
            )


DAY_S = 24 * 3600


async def check_comment_rate(
    redis: aioredis.Redis, keys: feeds.FeedKeys, user_id: str, per_minute: int, per_day: int
) -> None:
    """One comment by ``user_id``: RateLimited past a burst a minute or a cap a day (both
    counted at once, so a refused attempt counts against both, as an attempt should)."""
    counted = await ratelimit.count(
        redis,
        (ratelimit.key(keys.prefix, "comments-user", user_id, "minute"), RATE_WINDOW_S),
        (ratelimit.key(keys.prefix, "comments-user", user_id, "day"), DAY_S),
    )
    if counted is None:
        return  # Redis is down: the database is still the truth, comments go on
    for (hits, left), limit in zip(counted, (per_minute, per_day), strict=True):
        if hits > limit:
            raise RateLimited(
                f"too many comments; wait {left} s",
                retry_after=left,
                code="comment.rate_limited",
            )
