"""Kepu as separate processes for tests that need real ones (several servers, kills, restarts):
the environment that points them at the test session's services, and starting and stopping."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from infra.settings import Settings
from tests.helpers import free_port

KEPU = Path(sys.executable).parent / "kepu"


def kepu_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `kepu`/uvicorn process using ``settings``' database, Redis, queue,
    S3 bucket and secret; ``extra`` overrides (``KEPU_…`` names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env.update(
        KEPU_DATA_DIR=str(settings.data_dir),
        KEPU_DATABASE_URL=str(settings.database_url),
        KEPU_REDIS_URL=str(settings.redis_url),
        KEPU_REDIS_PREFIX=settings.redis_prefix,
        KEPU_QUEUE_NAME=settings.queue_name,
        KEPU_S3_ENDPOINT=str(settings.s3_endpoint),
        KEPU_S3_ACCESS_KEY=str(settings.s3_access_key),
        KEPU_S3_SECRET_KEY=str(settings.s3_secret_key),
        KEPU_S3_BUCKET=settings.s3_bucket,
        KEPU_S3_REGION=settings.s3_region,
        KEPU_JWT_SECRET=str(settings.jwt_secret),
        KEPU_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def start_api(
    env: dict[str, str], port: int, *, workers: int = 1, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """uvicorn serving the app on 127.0.0.1:``port``, in a session of its own (so a SIGKILL to
    its group takes every worker process with it)."""
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(KEPU), "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_ready(url: str, proc: subprocess.Popen[bytes], within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError("the server did not become ready")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except subprocess.TimeoutExpired:
        kill(proc)
    except ProcessLookupError:
        pass


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the whole group, as a machine dying would."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@contextlib.contextmanager
def running_api(env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    """A server on a free loopback port for the duration; yields its base URL."""
    port = free_port()
    proc = start_api(env, port, workers=workers)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        yield url
    finally:
        stop(proc)


class ApiServer:
    """One uvicorn process at a fixed address that a test may kill and start again."""

    def __init__(self, env: dict[str, str], port: int, log: Path | None = None) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start_api(self.env, self.port, log=self.log)
        wait_ready(self.url, self.proc)

    def kill(self) -> None:
        if self.proc is not None:
            kill(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
