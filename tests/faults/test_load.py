"""A bounded load test on loopback: writers (create, edit, submit) and readers (feed, own list,
detail) at once against a real two-process server for a few seconds; afterwards the database
holds every acknowledged write exactly once — nothing lost, nothing doubled. New write paths
join `tests/faults/traffic.py`'s writer as they arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.faults.traffic import Tally, check_database, reader, writer
from tests.helpers import eventually
from tests.processes import kepu_env, running_api

pytestmark = pytest.mark.faults

CREATORS, WRITERS_EACH, READERS = 3, 3, 4
CREATES_EACH = 30  # the load runs until each creator has this many acknowledged creates


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with running_api(kepu_env(settings, KEPU_RUN_EMBEDDED_WORKER="false"), workers=2) as url:
        yield url


async def test_mixed_load_loses_and_doubles_no_acknowledged_write(
    services: Services, server: str
) -> None:
    creators = [await f.person(services, "creator") for _ in range(CREATORS)]
    tallies = {c.id: Tally() for c in creators}
    stop_load = asyncio.Event()
    limits = httpx.Limits(max_connections=CREATORS * WRITERS_EACH + READERS)
    async with httpx.AsyncClient(base_url=server, timeout=30, limits=limits) as client:
        work = [
            writer(client, c, tallies[c.id], stop_load)
            for c in creators
            for _ in range(WRITERS_EACH)
        ]
        for i in range(READERS):
            who = creators[i % CREATORS]
            work.append(reader(client, who, tallies[who.id], stop_load))
        began = time.monotonic()
        tasks = [asyncio.create_task(w) for w in work]

        async def enough() -> bool:  # every writer's creator has written and submitted
            return all(len(t.created) >= CREATES_EACH and t.submitted for t in tallies.values())

        await eventually(enough, within=60)
        stop_load.set()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began

    answered = sum(sum(t.statuses.values()) for t in tallies.values())
    for creator in creators:
        tally = tallies[creator.id]
        assert tally.no_answer == 0
        failed = {k: n for k, n in tally.statuses.items() if k[1] >= 400}
        assert not failed, failed  # under load on healthy services, nothing is refused
        await check_database(services.engine, creator.id, tally)
    created = sum(len(t.created) for t in tallies.values())
    assert created > 0
    rate = answered / elapsed
    print(f"load: {answered} requests in {elapsed:.1f} s ({rate:.0f}/s), {created} creates")
