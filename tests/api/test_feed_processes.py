"""Two real API processes with warm page caches: once a takedown or withdrawal call returns,
neither serves the item in any feed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.processes import kepu_env, running_api


def _env(settings: Settings) -> dict[str, str]:
    return kepu_env(
        settings,
        KEPU_MODE="production",  # no migrations at start: the test session ran them
        KEPU_RUN_EMBEDDED_WORKER="false",
        KEPU_LOG_LEVEL="WARNING",
        KEPU_FEED_CACHE_TTL_S="60",  # warm pages would outlive the test without invalidation
    )


@pytest.fixture
def servers(settings: Settings) -> Iterator[list[str]]:
    """Two `uvicorn` processes on the test database and Redis, without workers."""
    with running_api(_env(settings)) as one, running_api(_env(settings)) as two:
        yield [one, two]


FEEDS = [
    {},
    {"topic": "mental-health"},
    {"audience": "workers"},
    {"tab": "hot"},
    {"tab": "hot", "topic": "mental-health"},
    {"tab": "hot", "audience": "workers"},
    {"tab": "following"},
]


async def _every_feed(http: httpx.AsyncClient, urls: list[str], fan: f.Person) -> list[set[str]]:
    async def one(url: str, params: dict[str, str]) -> set[str]:
        headers = fan.auth if params.get("tab") == "following" else {}
        resp = await http.get(f"{url}/api/v1/feed", params={**params, "limit": 50}, headers=headers)
        assert resp.status_code == 200, resp.text
        return {c["id"] for c in resp.json()["items"]}

    return await asyncio.gather(*(one(u, p) for u in urls for p in FEEDS))


async def test_removed_content_leaves_every_feed_on_every_process_at_once(
    client: httpx.AsyncClient, services: Services, servers: list[str]
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    await client.post(f"/api/v1/users/{crew.creator.id}/follow", headers=fan.auth)
    kw = {"topics": ["mental-health"], "audiences": ["workers"]}
    taken = await f.publish(client, crew, **kw)
    withdrawn = await f.publish(client, crew, **kw)
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(2):  # warm: the second round is served from each process's cache
            assert all({taken, withdrawn} <= ids for ids in await _every_feed(http, servers, fan))
        resp = await f.takedown(http, crew.admin, taken, server=servers[0])
        assert resp.status_code == 200, resp.text
        after = await _every_feed(http, servers, fan)
        assert not any(taken in ids for ids in after)
        assert all(withdrawn in ids for ids in after)
        resp = await http.post(
            f"{servers[1]}/api/v1/contents/{withdrawn}/withdraw", headers=crew.creator.auth
        )
        assert resp.status_code == 200, resp.text
        after = await _every_feed(http, servers, fan)
        assert not any(ids & {taken, withdrawn} for ids in after)
        for url in servers:
            for gone in (taken, withdrawn):
                detail = await http.get(f"{url}/api/v1/contents/{gone}")
                f.assert_problem(detail, 404, "content.not_found")
