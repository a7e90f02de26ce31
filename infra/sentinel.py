"""Redis behind Sentinel: the ``redis+sentinel://`` form of ``KEPU_REDIS_URL``, the clients made
from it (redis-py for the app, coredis for the streaq queue) and the start-up check that the
Sentinels answer and know the master. Clients ask the Sentinels for the master at each new
connection, so after a failover they reach the promoted replica by themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisError

SCHEME = "redis+sentinel://"
FORM = "redis+sentinel://[:password@]host:port[,host:port…]/<master>[/<db>]"
# A Sentinel that does not answer within this is skipped for the next one.
SENTINEL_TIMEOUT_S = 1.0


class RedisRefused(Exception):
    """Redis cannot be used as configured; the message names the setting and what to do."""


@dataclass(frozen=True)
class SentinelTarget:
    nodes: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None  # the data nodes' (Sentinels themselves are asked without one)

    @property
    def where(self) -> str:
        return ",".join(f"{host}:{port}" for host, port in self.nodes)


def parse(url: str) -> SentinelTarget | None:
    """The Sentinel target of ``url``; None for a plain ``redis://`` URL. Raises ValueError
    naming the expected form when the URL is not well made."""
    if not url.startswith(SCHEME):
        return None
    netloc, _, path = url[len(SCHEME) :].partition("/")
    auth, _, hosts = netloc.rpartition("@")
    password = unquote(auth.partition(":")[2]) if auth else None
    parts = [p for p in path.split("/") if p]
    if not hosts or not parts or len(parts) > 2:
        raise ValueError(f"KEPU_REDIS_URL must have the form {FORM}")
    try:
        nodes = tuple(_node(h) for h in hosts.split(","))
        db = int(parts[1]) if len(parts) == 2 else 0
    except ValueError:
        raise ValueError(
            f"KEPU_REDIS_URL: each Sentinel is host:port and the database a number ({FORM})"
        ) from None
    return SentinelTarget(nodes, unquote(parts[0]), db, password or None)


def without_password(url: str) -> str:
    """``url`` fit for a log line: a password in it is replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    auth, at, hosts = rest.partition("@")
    if not sep or not at or ":" not in auth:
        return url
    return f"{scheme}://{auth.partition(':')[0]}:***@{hosts}"


def _node(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not 0 < int(port) < 65536:
        raise ValueError(text)
    return host.strip("[]"), int(port)


def _sentinel(target: SentinelTarget, **connection: Any) -> Sentinel:
    return Sentinel(
        list(target.nodes),
        sentinel_kwargs={
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
            "socket_timeout": SENTINEL_TIMEOUT_S,
        },
        db=target.db,
        password=target.password,
        **connection,
    )


def client(target: SentinelTarget, **connection: Any) -> aioredis.Redis:
    """A client of the current master (redis-py), asking the Sentinels again after a fault."""
    master: aioredis.Redis = _sentinel(target, **connection).master_for(target.master)
    return master


def queue_options(url: str) -> dict[str, Any]:
    """streaq's ``Worker`` arguments for ``url``: the URL itself, or the Sentinels and master."""
    target = parse(url)
    if target is None:
        return {"redis_url": url}
    return {
        "sentinel_nodes": list(target.nodes),
        "sentinel_master": target.master,
        "sentinel_kwargs": {"connect_timeout": SENTINEL_TIMEOUT_S},
        "redis_kwargs": {"db": target.db, "password": target.password},
    }


async def check(url: str) -> None:
    """Refuse (RedisRefused) a Sentinel URL whose Sentinels are all unreachable, or that names a
    master they do not monitor; nothing to check for a plain URL."""
    target = parse(url)
    if target is None:
        return
    sentinel = _sentinel(target)
    answered = False
    for node in sentinel.sentinels:
        try:
            masters = await node.sentinel_masters()
        except (RedisError, OSError):
            continue
        finally:
            await node.aclose()
        answered = True
        if target.master in masters:
            return
    if not answered:
        raise RedisRefused(
            f"KEPU_REDIS_URL: no Sentinel answered at {target.where}; start them, or correct "
            "the hosts and ports in KEPU_REDIS_URL"
        )
    raise RedisRefused(
        f"KEPU_REDIS_URL: the Sentinels at {target.where} monitor no master named "
        f"{target.master!r}; use the name of their `sentinel monitor` line in KEPU_REDIS_URL"
    )
