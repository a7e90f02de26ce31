"""The API process SIGKILLed with requests in flight, then started again: every write it had
acknowledged is in the database once and whole, the requests it never answered left nothing
half-written, and what was submitted gets screened (its job waits in the outbox)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.faults.traffic import Tally, check_database, reader, writer
from tests.helpers import eventually, free_port
from tests.processes import ApiServer, kepu_env

pytestmark = pytest.mark.faults

WRITERS, READERS = 6, 2


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[ApiServer]:
    env = kepu_env(settings, KEPU_RUN_EMBEDDED_WORKER="false")
    server = ApiServer(env, free_port(), tmp_path / "api.log")
    yield server
    server.stop()


async def machine_stage_left(services: Services, owner_id: str) -> int:
    async with services.engine.connect() as conn:
        left: int = (
            await conn.execute(
                sa.text(
                    "SELECT count(*) FROM revision r JOIN content c ON c.id = r.content_id "
                    "WHERE c.owner_id = :o AND r.stage = 'machine'"
                ),
                {"o": owner_id},
            )
        ).scalar_one()
    return left


async def test_api_killed_with_requests_in_flight_loses_no_acknowledged_write(
    services: Services, api: ApiServer
) -> None:
    await asyncio.to_thread(api.start)
    creator = await f.person(services, "creator")
    tally, stop_traffic = Tally(), asyncio.Event()
    limits = httpx.Limits(max_connections=WRITERS + READERS)
    async with httpx.AsyncClient(base_url=api.url, timeout=10, limits=limits) as client:
        running = [writer(client, creator, tally, stop_traffic) for _ in range(WRITERS)]
        running += [reader(client, creator, tally, stop_traffic) for _ in range(READERS)]
        tasks = [asyncio.create_task(r) for r in running]

        async def acknowledged() -> bool:
            return len(tally.created) >= 10

        async def cut_off() -> bool:  # the clients saw it die
            return tally.no_answer > 0

        await eventually(acknowledged, within=60)
        api.kill()
        await eventually(cut_off, within=15)
        stop_traffic.set()
        await asyncio.gather(*tasks)

    assert len(tally.created) > 0 and tally.no_answer > 0, (tally.statuses, tally.no_answer)
    await check_database(services.engine, creator.id, tally)

    # Started again, it serves at once; jobs it never enqueued wait in the outbox, and the
    # workers' relay enqueues them.
    await asyncio.to_thread(api.start)
    async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
        assert (await client.get("/api/v1/me/contents", headers=creator.auth)).status_code == 200

    async def screened() -> bool:
        return await machine_stage_left(services, creator.id) == 0

    await eventually(screened, within=60)
