"""Rate-limit plumbing on Redis: who the client is, the keys limits live under, fixed-window
counters and lockouts. Everything here fails open: with Redis down, requests go through (logged),
because refusing every login would be worse than a brief window without limits."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from functools import lru_cache

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
_IPV6_SITE_PREFIX = 64  # one subscriber usually gets a whole /64: limit it as one address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# -- who the client is -----------------------------------------------------------------------


@lru_cache(maxsize=8)
def trusted_proxies(spec: str) -> tuple[Network, ...] | None:
    """The proxies named in ``KEPU_FORWARDED_ALLOW_IPS`` (addresses or networks, comma
    separated); ``None`` means ``*``, every peer. Raises ValueError for a malformed entry."""
    entries = [e.strip() for e in spec.split(",") if e.strip()]
    if "*" in entries:
        return None
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _parse(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an address, an IPv4-mapped IPv6 one (``::ffff:a.b.c.d``, how a dual-stack
    socket or proxy writes an IPv4 client) as the IPv4 address it is; ``None`` for a name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(host: str, trusted: tuple[Network, ...] | None) -> bool:
    if trusted is None:
        return True
    address = _parse(host)
    return address is not None and any(address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted_spec: str) -> str:
    """The address a request came from: the peer, unless the peer is a trusted proxy; then the
    nearest address in ``X-Forwarded-For`` that is not a trusted proxy (clients can write
    anything to the left of it). The same rule as uvicorn's, so applying both changes nothing;
    but a proxy reaching a dual-stack socket as ``::ffff:a.b.c.d`` is trusted by its IPv4
    address here, where uvicorn would not."""
    peer = peer or "unknown"
    trusted = trusted_proxies(trusted_spec)
    if not trusted_spec or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def address_subject(address: str) -> str:
    """The part of an address that a per-address limit counts: IPv6 by its /64, an
    IPv4-mapped one as its IPv4 address (in the /64 of ``::`` every IPv4 client of a dual-stack
    proxy would share one limit, and one of them could lock all the others out)."""
    ip = _parse(address)
    if ip is None:
        return address
    if ip.version == 6:
        return str(ipaddress.IPv6Network((ip, _IPV6_SITE_PREFIX), strict=False))
    return str(ip)


# -- counters and lockouts -------------------------------------------------------------------


def key(prefix: str, limit: str, subject: str, *more: str) -> str:
    """The Redis key of one limit on a subject (an address from `address_subject`, or a user id)
    and, say, a username. Each limit names what its subject is ("login-address",
    "interactions-user"): a client-written address can never count against a user. The subject
    is the key's hash tag, so every limit on one subject lives in one Redis Cluster slot and can
    be counted in one transaction."""
    return ":".join((prefix, "rl", f"{{{subject[:64]}}}", limit, *(m[:128] for m in more)))


async def count(client: aioredis.Redis, *windows: tuple[str, int]) -> list[tuple[int, int]] | None:
    """Count one hit in each fixed window ``(key, seconds)``, atomically: for each, the count so
    far and the seconds left in its window. ``None`` when Redis is unavailable."""
    try:
        async with client.pipeline(transaction=True) as pipe:
            for name, seconds in windows:
                pipe.incr(name)
                pipe.expire(name, seconds, nx=True)
                pipe.ttl(name)
            replies = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit not checked (Redis unavailable): %s", exc)
        return None
    return [(int(replies[i]), max(int(replies[i + 2]), 1)) for i in range(0, len(replies), 3)]


# A key whose window ran out meanwhile is gone: decrementing it would leave a -1 for ever.
_UNCOUNT = """
for _, name in ipairs(KEYS) do
    if redis.call('EXISTS', name) == 1 then redis.call('DECR', name) end
end
"""


async def uncount(client: aioredis.Redis, *keys: str) -> None:
    """Take back one hit from each key (an attempt that turned out not to count)."""
    try:
        await client.eval(_UNCOUNT, len(keys), *keys)
    except (RedisError, OSError) as exc:
        log.warning("rate limit not updated (Redis unavailable): %s", exc)


async def locked_for(client: aioredis.Redis, name: str) -> int | None:
    """Seconds left of the lockout ``name``; ``None`` when there is none (or Redis is down)."""
    try:
        ttl = int(await client.ttl(name))
    except (RedisError, OSError) as exc:
        log.warning("lockout not checked (Redis unavailable): %s", exc)
        return None
    return ttl if ttl > 0 else None


async def lock_out(client: aioredis.Redis, name: str, seconds: int) -> None:
    try:
        await client.set(name, 1, ex=seconds)
    except (RedisError, OSError) as exc:
        log.warning("lockout not set (Redis unavailable): %s", exc)


async def over_limit(client: aioredis.Redis, key: str, limit: int, window_s: int) -> int | None:
    """Count one hit on ``key``; the seconds to wait if it is over ``limit`` per window."""
    counted = await count(client, (key, window_s))
    if counted is None:
        return None
    hits, left = counted[0]
    return left if hits > limit else None
