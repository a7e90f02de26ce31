"""`kepu serve` as a newcomer runs it: nothing configured, ready on its own, gone (with its
bundled Redis) when asked to stop — by SIGTERM or by Ctrl-C in a terminal — and alone on its
data directory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port


@dataclass
class Serve:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, within: float = 60) -> httpx.Response:
        deadline = time.monotonic() + within
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)
                if ready.status_code == 200:
                    return ready
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, "kepu serve did not become ready"
            time.sleep(0.2)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    # A bundled Valkey orphaned by a SIGKILLed server (it is in a process group of its own).
    with contextlib.suppress(OSError, ValueError):
        pid = _valkey_pid(path)
        if b"valkey-server" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def serve(tmp_path: Path, data_dir: Path) -> Iterator[Callable[[], Serve]]:
    """Starts `kepu serve` on ``data_dir``, each in a process group of its own as a terminal
    runs it; whatever is still running at the end is killed."""
    started: list[Serve] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env["KEPU_DATA_DIR"] = str(data_dir)

    def start() -> Serve:
        port = free_port()
        log = tmp_path / f"serve-{len(started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "kepu"), "serve", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(Serve(proc, port, log))
        return started[-1]

    yield start
    for s in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(s.proc.pid, signal.SIGKILL)
        s.proc.wait(10)


def _valkey_pid(data_dir: Path) -> int:
    return int((data_dir / "valkey" / "valkey.pid").read_text())


def _gone(pid: int, within: float = 5) -> bool:
    deadline = time.monotonic() + within
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_kepu_serve_starts_on_embedded_defaults_and_stops_cleanly_on_sigterm(
    serve: Callable[[], Serve], data_dir: Path
) -> None:
    server = serve()
    ready = server.wait_ready()
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok"}
    topics = httpx.get(f"http://127.0.0.1:{server.port}/api/v1/topics").json()
    assert {"slug": "emergency", "name": "应急避险"} in topics  # migrated and seeded
    assert "alembic" not in server.output()  # migrating is not news on every start
    valkey_pid = _valkey_pid(data_dir)

    server.proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal as its exit status.
    assert server.proc.wait(20) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.output()
    assert _gone(valkey_pid), "the bundled Redis outlived the server"


def test_ctrl_c_stops_serve_and_its_bundled_redis_with_a_short_normal_log(
    serve: Callable[[], Serve], data_dir: Path
) -> None:
    server = serve()
    server.wait_ready()
    valkey_pid = _valkey_pid(data_dir)
    started_lines = len(server.output().splitlines())

    # Ctrl-C: the terminal signals the whole foreground process group, the Valkey child too.
    os.killpg(server.proc.pid, signal.SIGINT)
    assert server.proc.wait(20) in (0, -signal.SIGINT, 130)
    log = server.output()
    assert "Traceback" not in log and "restarting" not in log, log
    assert "Application shutdown complete" in log
    assert len(log.splitlines()) - started_lines < 10, log  # a few lines, not a stack dump
    assert _gone(valkey_pid), "the bundled Redis outlived the server"


def test_a_second_serve_on_the_same_data_dir_is_refused_and_the_first_keeps_serving(
    serve: Callable[[], Serve],
) -> None:
    first = serve()
    first.wait_ready()

    second = serve()
    assert second.proc.wait(60) == 1
    assert "already using the data directory" in second.output()
    assert f"pid {first.proc.pid}" in second.output()
    assert "Traceback" not in second.output()
    assert first.wait_ready(within=5).json()["status"] == "ready"


@pytest.mark.faults
def test_the_data_dir_is_free_again_once_its_server_was_killed(
    serve: Callable[[], Serve], data_dir: Path
) -> None:
    first = serve()
    first.wait_ready()
    orphan = _valkey_pid(data_dir)
    os.kill(first.proc.pid, signal.SIGKILL)  # the server only: its Valkey is left behind
    first.proc.wait(10)

    second = serve()
    assert second.wait_ready().json()["checks"]["redis"] == "ok"
    assert _gone(orphan), "the orphaned Valkey was not replaced"
