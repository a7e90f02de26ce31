"""An API replica keeps nothing on local disk when the state lives in PostgreSQL, Redis and S3:
`kepu serve --no-workers` in production mode, with a data directory and a working directory it
cannot write, serves logins, the whole review road, feeds, details and uploads straight to S3,
and leaves both directories as it found them."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import free_port
from tests.media_files import png
from tests.processes import KEPU, kepu_env, stop, wait_ready


@contextlib.contextmanager
def unwritable(path: Path) -> Iterator[Path]:
    """``path`` made a directory nobody may write into, root included: immutable (chattr +i)
    when we are root, read-only otherwise."""
    path.mkdir(parents=True)
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
            pytest.skip("running as root without chattr +i: cannot make a directory unwritable")
        undo = [chattr, "-i", str(path)]
    else:
        path.chmod(0o555)
        undo = ["chmod", "0755", str(path)]
    try:
        with pytest.raises(OSError):
            (path / "probe").touch()  # the guard itself: writing here must fail
        yield path
    finally:
        subprocess.run(undo, check=True)


def snapshot(path: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``path`` with its size and modification time, the directory's own too."""
    entries = {".": (0, path.stat().st_mtime_ns)}
    for entry in path.rglob("*"):
        stat = entry.lstat()
        entries[str(entry.relative_to(path))] = (stat.st_size, stat.st_mtime_ns)
    return entries


@pytest.fixture
def replica(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`kepu serve --no-workers` as an API replica runs in production; yields its base URL. The
    jobs its requests ask for run on the test session's worker (the same queue)."""
    log = tmp_path / "replica.log"
    with unwritable(tmp_path / "data") as data, unwritable(tmp_path / "cwd") as cwd:
        before = snapshot(data), snapshot(cwd)
        env = kepu_env(settings, KEPU_DATA_DIR=str(data), KEPU_MODE="production")
        port = free_port()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [str(KEPU), "serve", "--no-workers", "--port", str(port)],
                env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            wait_ready(f"http://127.0.0.1:{port}", proc, within=60)
            yield f"http://127.0.0.1:{port}"
        except AssertionError:
            raise AssertionError(log.read_text()) from None
        finally:
            stop(proc)
        assert (snapshot(data), snapshot(cwd)) == before, log.read_text()
        assert "Traceback" not in log.read_text(), log.read_text()


async def test_an_api_replica_serves_everything_and_writes_nothing_on_local_disk(
    replica: str, services: Services, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    picture = png(tmp_path / "cover.png", 320, 240)
    async with httpx.AsyncClient(base_url=replica, timeout=30) as client:
        logged_in = await f.login(client, crew.creator.username, f.PASSWORD)
        assert logged_in.status_code == 200, logged_in.text
        assert logged_in.json()["access_token"]

        started = await f.start_upload(client, crew.creator, len(picture))
        assert started.status_code == 201, started.text
        plan = started.json()
        assert plan["url"].startswith(f"http://{services.settings.s3_endpoint}/")  # S3, not us
        media_id = await f.upload(client, crew.creator, picture)
        assert (await f.settled_media(client, crew.creator, media_id))["status"] == "ready"

        content_id = await f.publish(client, crew, cover_media_id=media_id)
        detail = await f.get(client, None, content_id)
        assert detail.status_code == 200 and detail.json()["status"] == "published"
        feed = await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})
        assert content_id in [card["id"] for card in feed.json()["items"]]


def test_a_replica_without_a_jwt_secret_refuses_to_start_instead_of_generating_one(
    settings: Settings, tmp_path: Path
) -> None:
    with unwritable(tmp_path / "data") as data, unwritable(tmp_path / "cwd") as cwd:
        before = snapshot(data), snapshot(cwd)
        env = kepu_env(settings, KEPU_DATA_DIR=str(data))  # dev mode, which would generate one
        del env["KEPU_JWT_SECRET"]
        started = subprocess.run(
            [str(KEPU), "serve", "--no-workers", "--port", str(free_port())],
            env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert started.returncode == 2, started.stderr
        assert "KEPU_JWT_SECRET" in started.stderr and "same on every process" in started.stderr
        assert "Traceback" not in started.stderr
        assert (snapshot(data), snapshot(cwd)) == before
