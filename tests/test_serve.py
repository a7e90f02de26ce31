"""`kepu serve` as a newcomer runs it: nothing configured, ready on its own, and gone (with its
bundled Redis) when asked to stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def test_kepu_serve_starts_on_embedded_defaults_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env["KEPU_DATA_DIR"] = str(tmp_path / "var")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "kepu"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "kepu serve did not become ready"
            time.sleep(0.2)
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok"}
        topics = httpx.get(f"http://127.0.0.1:{port}/api/v1/topics").json()
        assert {"slug": "emergency", "name": "应急避险"} in topics  # migrated and seeded
        valkey_pid = int((tmp_path / "var" / "valkey" / "valkey.pid").read_text())

        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal as its exit status.
        assert proc.wait(20) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
        for _ in range(50):
            if not Path(f"/proc/{valkey_pid}").exists():
                break
            time.sleep(0.1)
        assert not Path(f"/proc/{valkey_pid}").exists(), "the bundled Redis outlived the server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
