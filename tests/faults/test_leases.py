"""Leases are short and renewed while their holder lives: with default settings, the work of a
worker killed with SIGKILL resumes on another worker within 10 s — a running job (its outbox
lease) and a counter flush (its Redis lease) — while a live holder keeps its lease however long
it works, so a long transcode is never run twice, and what the killed try wrote is overwritten,
not left beside. Real `kepu worker` processes."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from minio import Minio
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import STORAGE_ROUTE
from content import engagement, jobs
from content.feeds import FeedKeys
from content.models import ContentStats, JobOutbox, Media, MediaKind, MediaStatus
from infra.services import Services, open_services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually, hosted, scratch_database
from tests.media_files import video
from tests.processes import kepu_env, kill, start_worker
from tests.s3server import S3ServerInfo
from workers.app import _write
from workers.feeds import FLUSH_LEASE_S

pytestmark = pytest.mark.faults

RESUMES_WITHIN_S = 10.0

Workers = list[subprocess.Popen[bytes]]


@pytest.fixture
def workers() -> Iterator[Workers]:
    started: Workers = []
    yield started
    for proc in started:
        kill(proc)


def _worker(settings: Settings, log: Path, workers: Workers) -> subprocess.Popen[bytes]:
    """`kepu worker` with the default lease and idle-timeout settings (only where to connect
    is given), in a session of its own so a SIGKILL to its group takes its ffmpeg too."""
    proc = start_worker(kepu_env(settings, KEPU_LOG_LEVEL="INFO"), log)
    workers.append(proc)
    return proc


async def _running_workers(services: Services, queue: str, n: int) -> None:
    """Wait until ``n`` workers of ``queue`` are up (each keeps a health key in Redis)."""

    async def up() -> bool:
        return len(await services.redis.keys(f"streaq:{queue}:health:*")) >= n

    await eventually(up, within=60)


@pytest.fixture
async def own(settings: Settings) -> AsyncIterator[tuple[Settings, Services]]:
    """A database and queue of the test's own, so no other worker (the session app's relay
    enqueues every job of its database) can take over the work."""
    run = secrets.token_hex(4)
    async with scratch_database(f"kepu_leases_{run}") as url:
        own = settings.model_copy(
            update={
                "database_url": url,
                "queue_name": f"kepu-leases-{run}",
                "redis_prefix": f"kepu-leases-{run}",
            }
        )
        async with hosted(open_services(own, storage_route=STORAGE_ROUTE, migrate=True)) as svc:
            yield own, svc


async def _media(services: Services, media_id: str) -> Media:
    async with services.read_sessions() as session:
        row = await session.get(Media, media_id)
    assert row is not None
    return row


def _objects_under(s3: S3ServerInfo, bucket: str, prefix: str) -> list[str]:
    client = Minio(
        s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False,
        region=s3.region,
    )  # fmt: skip
    return [o.object_name for o in client.list_objects(bucket, prefix=prefix, recursive=True)]


async def test_a_killed_workers_transcode_resumes_on_another_within_10_s_and_runs_once_there(
    own: tuple[Settings, Services], workers: Workers, s3: S3ServerInfo, tmp_path: Path
) -> None:
    settings, services = own
    owner = await f.person(services, "creator")
    source = video(tmp_path / "long.mp4", 1920, 1080, seconds=20)
    media_id = await f.stored_media(services, owner, source, MediaKind.video, "video/mp4")
    # Asked for as an upload's completion asks: an outbox row, enqueued after the commit.
    await _write(services, lambda s: _process(s, media_id))
    log = tmp_path / "workers.log"
    first = _worker(settings, log, workers)

    async def transcoding() -> bool:
        media = await _media(services, media_id)
        return media.status == MediaStatus.processing and (media.progress or 0) > 0

    await eventually(transcoding, within=90)
    _worker(settings, log, workers)
    await _running_workers(services, settings.queue_name, 2)
    assert (await _media(services, media_id)).attempts == 1  # still the first worker's try

    kill(first)
    killed_at = time.monotonic()

    async def resumed() -> bool:
        return (await _media(services, media_id)).attempts == 2

    await eventually(resumed, within=60, interval=0.05)
    waited = time.monotonic() - killed_at
    print(f"transcode resumed {waited:.1f} s after its worker was killed")
    assert waited < RESUMES_WITHIN_S, (waited, log.read_text()[-3000:])

    async def finished() -> bool:
        return (await _media(services, media_id)).status in (MediaStatus.ready, MediaStatus.failed)

    await eventually(finished, within=180)
    media = await _media(services, media_id)
    assert media.status == MediaStatus.ready, (media.error, log.read_text()[-3000:])
    # The survivor's transcode outlived the lease's stale window many times over and was
    # never handed out again: its lease was renewed while it ran.
    assert media.attempts == 2, log.read_text()[-3000:]
    labels = [r["label"] for r in media.renditions]
    assert sorted(labels) == sorted(set(labels)) and set(labels) >= {"720p", "480p"}
    # Every object of the media item is one it records, once: the killed try's were overwritten.
    recorded = [str(r["key"]) for r in media.renditions]
    recorded += [k for k in (media.cover_key, media.preview_key) if k]
    stored = await asyncio.to_thread(_objects_under, s3, settings.s3_bucket, f"media/{media_id}/")
    assert sorted(stored) == sorted(recorded), (stored, recorded)
    async with services.read_sessions() as session:
        left = (await session.exec(select(func.count()).select_from(JobOutbox))).one()
    assert left == 0  # done, and its outbox row with it


async def _process(session: AsyncSession, media_id: str) -> None:
    jobs.after_commit(session, jobs.PROCESS_MEDIA, media_id)


async def test_a_killed_flush_lets_the_next_flush_write_within_10_s_and_a_live_one_keeps_its_lease(
    client: httpx.AsyncClient, services: Services, settings: Settings, workers: Workers,
    tmp_path: Path,
) -> None:  # fmt: skip
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    content_id = await f.publish(client, crew)
    like = await client.post(f"/api/v1/contents/{content_id}/like", headers=fan.auth)
    assert like.status_code == 200  # its counters row exists now
    # Workers with a key prefix (so a buffer and a lease) and a queue of the test's own.
    run = secrets.token_hex(4)
    own = settings.model_copy(
        update={"queue_name": f"kepu-flush-{run}", "redis_prefix": f"kepu-flush-{run}"}
    )
    keys = FeedKeys(own.redis_prefix)
    log = tmp_path / "workers.log"

    async with services.engine.connect() as blocker:
        # The counters row is locked: the flush that writes the view waits on it, holding its
        # lease, as a flush slowed by a busy database would.
        await _lock_counters(blocker, content_id)
        async with services.read_sessions() as session:
            report = engagement.Report(watched_s=30.0, duration_s=30.0)
            await engagement.record_view(session, services.redis, keys, fan.id, content_id, report)
        holder = _worker(own, log, workers)

        async def flushing() -> bool:  # the buffer was moved aside as a batch, not yet written
            return bool(await services.redis.scard(keys.batches))

        await eventually(flushing, within=60)
        token = await services.redis.get(keys.flush_lease)
        assert token, "the flush holds no lease"
        _worker(own, log, workers)
        await _running_workers(services, own.queue_name, 2)
        # Alive, the holder keeps its lease well past its length: the other worker's flushes
        # (every 5 s) find it held and leave the batch alone.
        held_since = time.monotonic()

        async def held_three_leases_long() -> bool:
            assert await services.redis.get(keys.flush_lease) == token, "the lease was lost"
            return time.monotonic() - held_since >= 3 * FLUSH_LEASE_S

        await eventually(held_three_leases_long, within=30)
        assert await _views(services, content_id) == 0

        kill(holder)
        killed_at = time.monotonic()
        await blocker.rollback()  # its database session dies with it

    async def written() -> bool:
        return await _views(services, content_id) == 1

    await eventually(written, within=60, interval=0.05)
    waited = time.monotonic() - killed_at
    print(f"counters written {waited:.1f} s after the flushing worker was killed")
    assert waited < RESUMES_WITHIN_S, (waited, log.read_text()[-3000:])

    async def batch_released() -> bool:  # deleted from Redis right after the commit recording it
        return await services.redis.scard(keys.batches) == 0

    await eventually(batch_released, within=10)
    assert await _views(services, content_id) == 1  # and written once


async def _lock_counters(conn: AsyncConnection, content_id: str) -> None:
    await conn.execute(
        sa.select(ContentStats.content_id)  # type: ignore[call-overload]
        .where(ContentStats.content_id == content_id)
        .with_for_update()
    )


async def _views(services: Services, content_id: str) -> int:
    async with services.read_sessions() as session:
        stats = await session.get(ContentStats, content_id)
    return stats.views if stats else 0
