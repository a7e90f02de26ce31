"""A job asked for just after the worker's sweep tick runs at once, on the
bundled Valkey 9 and on Redis 7 — and when its enqueue is lost on the way (the API cannot reach
Redis at that moment), the outbox relay runs it within seconds instead of the sweep's minutes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from fastapi import FastAPI

from api.app import STORAGE_ROUTE, create_app
from infra.queue import make_producer
from infra.services import open_services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually, serving
from tests.workers.queues import Proxy, QueueServer
from workers.app import build_worker

RELAY_AFTER_S = 1.0
# The sweep ticks every minute in production; here every few seconds, so the test waits for the
# next tick a few seconds instead of up to a minute (it is the same cron either way).
TICK_S = 5


@pytest.fixture
async def worker(settings: Settings, queue_server: QueueServer) -> AsyncIterator[float]:
    """A worker on the server's own queue, started now; yields the first sweep tick it sees
    (its sweep is scheduled for the next whole TICK_S seconds when it starts)."""
    own = settings.model_copy(
        update={"queue_name": queue_server.queue_name, "job_relay_after_s": RELAY_AFTER_S}
    )
    url = queue_server.url
    started = time.time()
    built = build_worker(
        own,
        url,
        lambda: open_services(own, storage_route=STORAGE_ROUTE, redis=url),
        handle_signals=False,
        sweep_schedule=f"*/{TICK_S} * * * * * *",
    )
    # In a task of its own: pytest-asyncio may tear the fixture down in another task.
    task = asyncio.create_task(built.run_async())
    yield (started // TICK_S + 1) * TICK_S
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _reaches_political(
    client: httpx.AsyncClient, crew: f.Crew, content_id: str, within: float
) -> float:
    start = time.monotonic()

    async def in_queue() -> object:
        return await f.task_for(client, crew.political, "political", content_id)

    await eventually(in_queue, within=within, interval=0.05)
    return time.monotonic() - start


@pytest.mark.faults
async def test_jobs_asked_for_just_after_the_tick_run_even_when_their_enqueue_is_lost(
    settings: Settings, queue_server: QueueServer, proxy: Proxy, worker: float
) -> None:
    api: FastAPI = create_app(
        settings.model_copy(
            update={
                "redis_url": proxy.url,  # the API reaches Redis through a link we can cut
                "queue_name": queue_server.queue_name,
                "run_embedded_worker": False,
            }
        )
    )
    async with serving(api) as client:
        crew = await f.crew(api.state.services)
        plain = await f.create(client, crew.creator)
        lost = await f.create(client, crew.creator)

        await anyio.sleep(max(0.0, worker - time.time()) + 1.0)  # just after the sweep ran
        resp = await f.submit(client, crew.creator, plain["id"])
        assert resp.status_code == 202
        assert await _reaches_political(client, crew, plain["id"], within=5) < 5

        await proxy.cut()
        resp = await f.submit(client, crew.creator, lost["id"])
        assert resp.status_code == 202  # committed, with its job in the outbox
        await proxy.restore()
        # Today's sweep would find it after 120 s; the relay enqueues it after RELAY_AFTER_S.
        assert await _reaches_political(client, crew, lost["id"], within=10) < 10


async def test_both_servers_take_the_same_stream_reading_path(
    settings: Settings, queue_server: QueueServer
) -> None:
    """streaq probes XREADGROUP MAXCOUNT/CLAIM at start-up and reads differently where they
    exist. A lost-job report suspected the bundled Valkey took the other path; it does not
    (docs/jobs.md). If a server or streaq upgrade changes that, the measurements there need
    redoing."""
    producer = make_producer(
        settings.model_copy(update={"queue_name": queue_server.queue_name}), queue_server.url
    )
    async with producer:
        assert producer._supports_max_count is False  # the same legacy path on both
