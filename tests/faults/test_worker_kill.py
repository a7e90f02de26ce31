"""A transcode whose worker process is SIGKILLed mid-way runs again on another worker and
completes: at-least-once delivery, with the outcome in the database."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio

from content import jobs
from content.models import Media, MediaKind, MediaStatus
from infra.queue import make_producer
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually
from tests.media_files import video
from tests.processes import kepu_env, kill, start_worker
from tests.s3server import S3ServerInfo

pytestmark = pytest.mark.faults


@pytest.fixture
def workers(settings: Settings) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """`kepu worker` processes on a queue of this test's own; all killed at the end."""
    queue = f"kepu-kill-{secrets.token_hex(4)}"
    started: list[subprocess.Popen[bytes]] = []
    yield queue, started
    for proc in started:
        kill(proc)


def _start_worker(settings: Settings, queue: str, log: Path) -> subprocess.Popen[bytes]:
    # Its own session, so a SIGKILL to the group takes its ffmpeg child with it, as a machine
    # dying would.
    env = kepu_env(
        settings, KEPU_QUEUE_NAME=queue, KEPU_WORKER_IDLE_TIMEOUT_S="3", KEPU_LOG_LEVEL="INFO"
    )
    return start_worker(env, log)


def _objects_under(s3: S3ServerInfo, bucket: str, prefix: str) -> list[str]:
    client = Minio(
        s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False,
        region=s3.region,
    )  # fmt: skip
    return [o.object_name for o in client.list_objects(bucket, prefix=prefix, recursive=True)]


async def test_transcode_whose_worker_is_killed_runs_again_and_completes(
    services: Services,
    settings: Settings,
    s3: S3ServerInfo,
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
    kill(first)

    second = _start_worker(settings, queue, log)
    started.append(second)

    async def done() -> Media | None:
        async with services.read_sessions() as session:
            row = await session.get(Media, media_id)
            return row if row and row.status in (MediaStatus.ready, MediaStatus.failed) else None

    final: Media = await eventually(done, within=120)  # type: ignore[assignment]
    assert final.status == MediaStatus.ready, (final.error, log.read_text()[-3000:])
    assert final.attempts == 2  # once on the killed worker, once on the survivor
    labels = [r["label"] for r in final.renditions]
    assert sorted(labels) == sorted(set(labels)) and set(labels) >= {"720p", "480p"}
    # What the killed try wrote was overwritten, not left beside: every object of the media
    # item is one it records, once.
    recorded = [str(r["key"]) for r in final.renditions]
    recorded += [k for k in (final.cover_key, final.preview_key) if k]
    stored = await asyncio.to_thread(_objects_under, s3, settings.s3_bucket, f"media/{media_id}/")
    assert sorted(stored) == sorted(recorded), (stored, recorded)
