"""A throw-away PostgreSQL cluster of our own, from Debian's binaries, that a test may stop,
crash and restart without touching the machine's PostgreSQL (other tests use that one), and a
streaming replica of it."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} not found (install the postgresql package)")
    return path


def available() -> bool:
    try:
        _bin("initdb")
        _bin("pg_ctl")
    except RuntimeError:
        return False
    return True


@dataclass
class Cluster:
    datadir: Path
    port: int
    as_user: list[str]  # `runuser -u postgres --` when we are root: initdb refuses root

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, _bin("pg_ctl"), "-D", str(self.datadir), "-w", "-t", "30", *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl("-l", str(self.datadir / "server.log"), "start")

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: no checkpoint, recovery from the WAL at the next start."""
        self._ctl("-m", mode, "stop")


def _scratch() -> tuple[Path, list[str]]:
    """A temporary directory the server's user owns, and how to run a command as that user."""
    tmp = Path(tempfile.mkdtemp(prefix="kepu-pg-"))
    root = os.geteuid() == 0
    if root:
        shutil.chown(tmp, "postgres")
    return tmp, ["runuser", "-u", "postgres", "--"] if root else []


@contextlib.contextmanager
def _running(create: list[str], settings: str) -> Iterator[Cluster]:
    """A cluster made by ``create`` (run as the server's user, ``{datadir}`` standing for its
    directory) in a scratch directory, listening on a free loopback port with ``settings``
    added to its configuration; crashed and removed afterwards, whatever happens."""
    tmp, as_user = _scratch()
    cluster = Cluster(tmp / "data", free_port(), as_user)
    try:
        command = [arg.replace("{datadir}", str(cluster.datadir)) for arg in create]
        subprocess.run([*as_user, *command], check=True, capture_output=True)
        with (cluster.datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{tmp}'\n" + settings
            )
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Cluster]:
    initdb = [
        _bin("initdb"), "-D", "{datadir}", "-U", "postgres", "-A", "trust", "--no-sync",
        "-E", "UTF8",
    ]  # fmt: skip
    # No fsync: the host does not crash in these tests, the server does, and what a crashed
    # server had written is in the OS's cache.
    settings = "max_connections = 100\nshared_buffers = 32MB\nfsync = off\nfull_page_writes = off\n"
    with _running(initdb, settings) as cluster:
        yield cluster


@contextlib.contextmanager
def standby_of(primary: Cluster) -> Iterator[Cluster]:
    """A hot standby streaming from ``primary`` (initdb's pg_hba lets local replication in),
    made by pg_basebackup -R: the same system identifier, read-only queries while it replays."""
    basebackup = [
        _bin("pg_basebackup"), "-D", "{datadir}", "-R", "-X", "stream", "-c", "fast", "--no-sync",
        "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
    ]  # fmt: skip
    with _running(basebackup, "hot_standby = on\n") as cluster:
        yield cluster
