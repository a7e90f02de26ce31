"""PostgreSQL crashing and coming back under load: requests meanwhile answer 503 with
Retry-After (never a 500, never a hang), the pool recovers by itself — Kepu is not restarted —
and every acknowledged write is in the database once. The cluster is a throw-away one of the
test's own; the machine's PostgreSQL is never touched."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from api.app import create_app
from infra import db
from infra.settings import Settings
from tests import factories as f
from tests.faults import pgcluster
from tests.faults.traffic import Tally, check_database, reader, writer
from tests.helpers import eventually, serving

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not pgcluster.available(), reason="no PostgreSQL binaries"),
]
WRITERS, READERS = 4, 2


@pytest.fixture
def cluster() -> Iterator[pgcluster.Cluster]:
    with pgcluster.throwaway_postgres() as c:
        yield c


async def test_pool_recovers_after_postgres_crashes_and_no_acknowledged_write_is_lost(
    settings: Settings, cluster: pgcluster.Cluster
) -> None:
    run = secrets.token_hex(4)
    app = create_app(
        settings.model_copy(
            update={
                "database_url": cluster.url,
                "queue_name": f"kepu-pg-{run}",
                "redis_prefix": f"kepu-pg-{run}",  # another database: another installation
                "run_embedded_worker": False,
            }
        )
    )
    async with serving(app) as client:
        creator = await f.person(app.state.services, "creator")
        tally, stop = Tally(), asyncio.Event()
        clients = [writer(client, creator, tally, stop, 0.02) for _ in range(WRITERS)]
        clients += [reader(client, creator, tally, stop, 0.02) for _ in range(READERS)]
        running = [asyncio.create_task(c) for c in clients]

        async def writes_acknowledged(more_than: int) -> bool:
            return len(tally.created) > more_than

        async def refused_while_down() -> bool:
            return any(s == 503 for (_, s) in tally.statuses)

        try:
            await eventually(lambda: writes_acknowledged(5), within=30)
            before = len(tally.created)
            await asyncio.to_thread(cluster.stop, "immediate")  # a crash: recovery from WAL
            await eventually(refused_while_down, within=30)
            during = dict(tally.statuses)
            await asyncio.to_thread(cluster.start)
            restarted = len(tally.created)
            await eventually(lambda: writes_acknowledged(restarted + 5), within=60)
        finally:
            stop.set()
            await asyncio.gather(*running)

        assert before > 0, tally.statuses
        assert any(s == 503 for (_, s) in during), f"nothing answered 503 while down: {during}"
        assert len(tally.created) > restarted, f"no write succeeded after the restart: {tally}"
        assert tally.no_answer == 0  # every request got an answer (503 at worst)
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text

    engine = db.make_engine(db_url(cluster.url))
    try:
        counts = await check_database(engine, creator.id, tally)
    finally:
        await engine.dispose()
    assert counts["created"] == len(tally.created)


def db_url(url: str) -> str:
    return Settings(_env_file=None, database_url=url).resolved_database_url()  # type: ignore[call-arg]
