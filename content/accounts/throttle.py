"""How fast logins may be tried: slow password guessing on one account, password spraying from
one address, and floods of WeChat logins (docs/accounts.md)."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from content.errors import RateLimited
from infra import ratelimit
from infra.settings import Settings

PER_ACCOUNT_WINDOW_S = 60
PER_ADDRESS_WINDOW_S = 15 * 60
FIRST_LOCKOUT_S = 60
MAX_LOCKOUT_S = 60 * 60
# Lockouts of one address are remembered this long; each one lasts twice the one before.
STRIKES_WINDOW_S = 24 * 60 * 60
WECHAT_WINDOW_S = 60


# An attempt is counted when it is admitted and taken back when it succeeds, so the counters hold
# failures and attempts still in flight: a burst of concurrent guesses cannot slip past a check
# made before any of them failed.
@dataclass(frozen=True)
class Attempt:
    """An admitted login attempt: the counters it was counted in."""

    counted: tuple[str, ...] = ()


def _refused(wait: int, code: str) -> RateLimited:
    return RateLimited(f"too many attempts; try again in {wait} s", code=code, retry_after=wait)


async def admit_password(
    redis: aioredis.Redis, settings: Settings, address: str, username: str
) -> Attempt:
    """May this password login proceed? Raises RateLimited when the address is locked out,
    when it failed too often across usernames (which locks it out), or when this address
    failed too often on this username."""
    prefix, subject = settings.redis_prefix, ratelimit.address_subject(address)
    lock = ratelimit.key(prefix, "login-lockout", subject)
    if (left := await ratelimit.locked_for(redis, lock)) is not None:
        raise _refused(left, "auth.address_locked")
    # Per address and username, so guessing one account's password is slow and one noisy
    # office behind a NAT does not lock out everyone else's accounts; per address across
    # usernames, so trying one password on many accounts is slow too.
    account = ratelimit.key(prefix, "login", subject, username[:64])
    spraying = ratelimit.key(prefix, "login-address", subject)
    counted = await ratelimit.count(
        redis, (account, PER_ACCOUNT_WINDOW_S), (spraying, PER_ADDRESS_WINDOW_S)
    )
    if counted is None:
        return Attempt()
    (account_hits, account_left), (address_hits, _) = counted
    if address_hits > settings.login_failures_per_address:
        strikes = await ratelimit.count(
            redis, (ratelimit.key(prefix, "login-strikes", subject), STRIKES_WINDOW_S)
        )
        n = strikes[0][0] if strikes else 1
        wait = min(MAX_LOCKOUT_S, FIRST_LOCKOUT_S * 2 ** min(n - 1, 16))
        await ratelimit.lock_out(redis, lock, wait)
        raise _refused(wait, "auth.address_locked")
    if account_hits > settings.login_per_minute:
        raise _refused(account_left, "auth.rate_limited")
    return Attempt((account, spraying))


async def login_succeeded(redis: aioredis.Redis, attempt: Attempt) -> None:
    """The attempt logged in: it was no failure, so it no longer counts."""
    if attempt.counted:
        await ratelimit.uncount(redis, *attempt.counted)


async def admit_wechat(redis: aioredis.Redis, settings: Settings, address: str) -> None:
    """May this WeChat login proceed? Per address only: many phones share a carrier's NAT."""
    name = ratelimit.key(settings.redis_prefix, "wechat", ratelimit.address_subject(address))
    wait = await ratelimit.over_limit(
        redis, name, settings.wechat_login_per_minute, WECHAT_WINDOW_S
    )
    if wait is not None:
        raise _refused(wait, "auth.rate_limited")
