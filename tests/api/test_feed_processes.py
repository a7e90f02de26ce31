"""Two real API processes with warm page caches: once a takedown or withdrawal call returns,
neither serves the item in any feed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.conftest import free_port, process_env


def _env(settings: Settings) -> dict[str, str]:
    return process_env(
        settings,
        mode="production",  # no migrations at start: the test session ran them
        run_embedded_worker="false",
        log_level="WARNING",
        feed_cache_ttl_s="60",  # warm pages would outlive the test without invalidation
    )


def _spawn(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        command, env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
async def servers(settings: Settings) -> AsyncIterator[list[str]]:
    """Two `uvicorn` processes on the test database and Redis, without workers."""
    spawned = [_spawn(settings) for _ in range(2)]
    procs, urls = [p for p, _ in spawned], [u for _, u in spawned]
    try:
        async with httpx.AsyncClient() as probe:
            for url in urls:
                for _ in range(600):  # a loaded machine starts slowly
                    try:
                        if (await probe.get(f"{url}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError("server did not start")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


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
        resp = await http.post(
            f"{servers[0]}/api/v1/admin/contents/{taken}/takedown",
            json={"reason": "不实信息"},
            headers=crew.admin.auth,
        )
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
