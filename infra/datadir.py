"""One ``kepu serve`` per data directory: an exclusive lock held for the life of the process
(and by `kepu restore` while it replaces the directory's contents)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from infra.settings import Settings

LOCK_FILE = "serve.lock"


class DataDirBusy(RuntimeError):
    """Another process already serves from this data directory."""


def is_used(settings: Settings) -> bool:
    """Whether this process keeps state in the data directory that a second one would share:
    the bundled Valkey (one owner starts and stops it) or the default SQLite file."""
    return settings.embedded_redis or settings.database_url is None


@contextlib.contextmanager
def held(settings: Settings) -> Iterator[None]:
    """Hold the data directory's lock while the body runs; :class:`DataDirBusy` if taken."""
    if not is_used(settings):
        yield
        return
    with locked(settings.data_dir):
        yield


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    """Hold the lock of ``data_dir`` (made if missing) while the body runs; :class:`DataDirBusy`
    if a `kepu serve` (or a restore) has it.

    flock is released by the kernel when the process ends however it ends (SIGKILL included),
    so a lock file left behind never blocks the next start.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # "a+": opening must not wipe the holder's pid before we know whether we hold the lock.
    with open(data_dir / LOCK_FILE, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise DataDirBusy(
                f"another `kepu serve` (pid {holder}) is already using the data directory "
                f"{data_dir}; stop it first, or give this one its own KEPU_DATA_DIR "
                "(a `kepu worker` may run beside it)"
            ) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield
