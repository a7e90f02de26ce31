"""The S3 server stopped during an upload and during processing, then started again: what the
client was told succeeded is there, what was refused left nothing behind, processing finishes
once storage is back, and the bucket holds no orphaned object and no duplicate rendition.
The S3 server is a SeaweedFS of the test's own (the session's one is shared)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from minio import Minio
from sqlmodel import col, select

from api.app import create_app
from content import jobs
from content.models import JobOutbox, Media, MediaStatus, Upload
from infra.queue import make_producer
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually, serving
from tests.media_files import png
from tests.s3server import RestartableSeaweedFS, restartable_seaweedfs
from workers.app import build_worker

pytestmark = pytest.mark.faults


@pytest.fixture
def own_s3() -> Iterator[RestartableSeaweedFS]:
    with restartable_seaweedfs() as server:
        yield server


@contextlib.asynccontextmanager
async def worker_running(settings: Settings, services: Services) -> AsyncIterator[None]:
    worker = build_worker(
        settings,
        str(settings.redis_url),
        lambda: contextlib.nullcontext(services),
        handle_signals=False,
    )
    task = asyncio.create_task(worker.run_async())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _bucket_keys(s3: RestartableSeaweedFS, bucket: str) -> list[str]:
    i = s3.info
    client = Minio(
        i.endpoint, access_key=i.access_key, secret_key=i.secret_key, secure=False, region=i.region
    )
    return [o.object_name for o in client.list_objects(bucket, recursive=True)]


async def test_s3_stopped_during_an_upload_and_during_processing_loses_and_leaves_nothing(
    settings: Settings, own_s3: RestartableSeaweedFS, tmp_path: Path
) -> None:
    bucket = f"kepu-fault-{secrets.token_hex(4)}"
    info = own_s3.info
    local = settings.model_copy(
        update={
            "s3_endpoint": info.endpoint,
            "s3_access_key": info.access_key,
            "s3_secret_key": info.secret_key,
            "s3_bucket": bucket,
            "queue_name": f"kepu-fault-{secrets.token_hex(4)}",
            "run_embedded_worker": False,  # the test says when the worker runs
        }
    )
    image = png(tmp_path / "cover.png", 320, 240)
    app = create_app(local)
    async with serving(app) as client, httpx.AsyncClient(timeout=10) as outside:
        services: Services = app.state.services
        creator = await f.person(services, "creator")

        # 1. Storage stops during an upload: the PUT fails, completing is 503, nothing written.
        started = await f.start_upload(client, creator, len(image))
        assert started.status_code == 201, started.text
        first = started.json()
        own_s3.stop()
        with pytest.raises(httpx.TransportError):
            await outside.put(first["url"], content=image, headers=first["headers"])
        complete = f.assert_problem(
            await f.complete_upload(client, creator, first["upload_id"]), 503
        )
        assert complete["code"] in ("unavailable", "dependency.down", "storage.unavailable")
        async with services.read_sessions() as session:
            up = await session.get(Upload, first["upload_id"])
            assert up is not None and up.status == "pending" and up.media_id is None

        # Back: the client retries the same URL and completes.
        await asyncio.to_thread(own_s3.start)
        put = await outside.put(first["url"], content=image, headers=first["headers"])
        assert put.status_code == 200, put.text
        done = await f.complete_upload(client, creator, first["upload_id"])
        assert done.status_code == 200, done.text
        media_id = done.json()["media_id"]

        # 2. Storage stops while the worker processes it: the try fails, nothing is half-done.
        await asyncio.to_thread(own_s3.stop)
        async with worker_running(local, services):

            async def tried() -> Media | None:
                async with services.read_sessions() as session:
                    row = await session.get(Media, media_id)
                    return row if row is not None and row.attempts >= 1 else None

            await eventually(tried, within=30)

            async def try_over() -> bool:  # the failed try gave its job back for a retry
                async with services.read_sessions() as session:
                    rows = await session.exec(
                        select(JobOutbox).where(
                            JobOutbox.name == jobs.PROCESS_MEDIA, JobOutbox.subject == media_id
                        )
                    )
                    return all(row.taken_by is None for row in rows.all())

            await eventually(try_over, within=30)
            async with services.read_sessions() as session:
                row = await session.get(Media, media_id)
                assert row is not None and row.status != MediaStatus.ready

            # Back again. The job's own retry comes 30 s later; a second delivery of the same
            # job now (at-least-once delivery allows it) must finish it, and the retry then
            # finds it done.
            await asyncio.to_thread(own_s3.start)
            producer = make_producer(local, str(local.redis_url))
            async with producer:
                await producer.enqueue_unsafe(jobs.PROCESS_MEDIA, media_id)

            async def ready() -> Media | None:
                async with services.read_sessions() as session:
                    row = await session.get(Media, media_id)
                    return row if row is not None and row.status == MediaStatus.ready else None

            final: Media = await eventually(ready, within=60)  # type: ignore[assignment]

        # 3. The bucket: every object belongs to a media item, each rendition once.
        async with services.read_sessions() as session:
            rows = (
                await session.exec(select(Media).where(col(Media.owner_id) == creator.id))
            ).all()
        referenced: list[str] = []
        for m in rows:
            referenced += [m.object_key, *(k for k in (m.cover_key, m.preview_key) if k)]
            referenced += [str(r["key"]) for r in m.renditions]
        assert len(referenced) == len(set(referenced)), "a rendition recorded twice"
        keys = await asyncio.to_thread(_bucket_keys, own_s3, bucket)
        assert sorted(keys) == sorted(referenced), "orphaned or missing objects"
        assert final.cover_key in keys
