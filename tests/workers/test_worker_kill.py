"""A transcode whose worker process is SIGKILLed mid-way runs again on another worker and
completes: at-least-once delivery, with the outcome in the database."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from content import jobs
from content.models import Media, MediaKind, MediaStatus
from infra.queue import make_producer
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.conftest import eventually, process_env
from tests.media_files import video


def _worker_env(settings: Settings, queue: str) -> dict[str, str]:
    return process_env(settings, queue_name=queue, worker_idle_timeout_s="3", log_level="INFO")


@pytest.fixture
def workers(
    settings: Settings, tmp_path: Path
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """Start `kepu worker` processes on a queue of this test's own; kill them all at the end."""
    queue = f"kepu-kill-{secrets.token_hex(4)}"
    started: list[subprocess.Popen[bytes]] = []
    yield queue, started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _start_worker(settings: Settings, queue: str, log: Path) -> subprocess.Popen[bytes]:
    kepu = Path(sys.executable).parent / "kepu"
    with log.open("ab") as out:
        # Its own session, so a SIGKILL to the group takes its ffmpeg child with it, as a
        # machine dying would.
        return subprocess.Popen(
            [str(kepu), "worker"],
            env=_worker_env(settings, queue),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def test_transcode_whose_worker_is_killed_runs_again_and_completes(
    services: Services,
    settings: Settings,
    workers: tuple[str, list[subprocess.Popen[bytes]]],
    tmp_path: Path,
) -> None:
    queue, started = workers
    owner = await f.person(services, "creator")
    source = tmp_path / "long.mp4"
    video(source, 1920, 1080, seconds=20)
    media_id = await f.stored_media(services, owner, source, MediaKind.video, "video/mp4")
    producer = make_producer(
        settings.model_copy(update={"queue_name": queue}), str(settings.redis_url)
    )
    async with producer:
        await producer.enqueue_unsafe(jobs.PROCESS_MEDIA, media_id)

    log = tmp_path / "workers.log"
    first = _start_worker(settings, queue, log)
    started.append(first)

    async def state() -> Media | None:
        async with services.read_sessions() as session:
            row = await session.get(Media, media_id)
            return row if row and row.status == MediaStatus.processing and row.progress else None

    await eventually(state, within=60)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)

    second = _start_worker(settings, queue, log)
    started.append(second)

    async def done() -> Media | None:
        async with services.read_sessions() as session:
            row = await session.get(Media, media_id)
            return row if row and row.status in (MediaStatus.ready, MediaStatus.failed) else None

    final: Media = await eventually(done, within=120)  # type: ignore[assignment]
    assert final.status == MediaStatus.ready, (final.error, log.read_text()[-3000:])
    assert final.attempts == 2  # once on the killed worker, once on the survivor
    assert {r["label"] for r in final.renditions} >= {"720p", "480p"}
