"""A throw-away PostgreSQL cluster of our own, from Debian's binaries, that a test may stop,
crash and restart without touching the machine's PostgreSQL (other tests use that one)."""

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


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Cluster]:
    root = os.geteuid() == 0
    tmp = Path(tempfile.mkdtemp(prefix="kepu-pg-"))
    datadir = tmp / "data"
    as_user = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(tmp, "postgres")
    cluster = Cluster(datadir, free_port(), as_user)
    try:
        subprocess.run(
            [*as_user, _bin("initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        with (datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{tmp}'\nmax_connections = 100\n"
                "shared_buffers = 32MB\n"
                # No fsync: the host does not crash in this test, the server does, and what
                # a crashed server had written is in the OS's cache.
                "fsync = off\nfull_page_writes = off\n"
            )
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)
