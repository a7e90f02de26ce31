"""Two real API processes with warm page caches: once a takedown or withdrawal call returns,
neither serves the item in any feed or detail — and a process slow to drop its pages holds the
call until it has."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis

from content import feeds
from infra.invalidation import Listener
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually
from tests.processes import kepu_env, running_api


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return kepu_env(
        settings,
        KEPU_MODE="production",  # no migrations at start: the test session ran them
        KEPU_RUN_EMBEDDED_WORKER="false",
        KEPU_LOG_LEVEL="WARNING",
        KEPU_FEED_CACHE_TTL_S="60",  # warm pages would outlive the test without invalidation
        **extra,
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


async def _details(http: httpx.AsyncClient, urls: list[str], ids: list[str]) -> list[int]:
    """The status of each content's detail, read signed out, on each process in turn."""
    return [(await http.get(f"{u}/api/v1/contents/{i}")).status_code for u in urls for i in ids]


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
            assert await _details(http, servers, [taken, withdrawn]) == [200] * 4
        resp = await f.takedown(http, crew.admin, taken, server=servers[0])
        assert resp.status_code == 200, resp.text
        after = await _every_feed(http, servers, fan)
        assert not any(taken in ids for ids in after)
        assert all(withdrawn in ids for ids in after)
        assert await _details(http, servers, [taken, withdrawn]) == [404, 200] * 2
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


class SlowProcess:
    """Another API process's invalidation listener (the real ``Listener``) that takes
    ``delay_s`` to drop its pages. It runs on a thread with its own event loop and Redis
    connection, so its slowness holds nothing in the test's loop, which watches the HTTP call.
    ``dropped`` records, per message, when its drop finished (its acknowledgement follows)."""

    def __init__(self, settings: Settings, delay_s: float) -> None:
        self.url, self.delay_s = str(settings.redis_url), delay_s
        self.channel = feeds.FeedKeys(settings.redis_prefix).invalidations
        self.subscribed = threading.Event()
        self.dropped: list[float] = []
        self._loop = asyncio.new_event_loop()
        self._task = self._loop.create_task(self._listen())
        self._thread = threading.Thread(target=self._run, name="slow-listener", daemon=True)

    def _drop(self, what: str) -> None:
        time.sleep(self.delay_s)  # the slow part: a process busy elsewhere, a long GC pause
        self.dropped.append(time.monotonic())

    def _state(self, subscribed: bool) -> None:
        if subscribed:
            self.subscribed.set()

    async def _listen(self) -> None:
        redis = aioredis.from_url(self.url, decode_responses=True)
        try:
            await Listener(redis, self.channel, self._drop, self._state).run()
        finally:
            await redis.aclose()

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)
        self._loop.close()

    @contextlib.contextmanager
    def running(self) -> Iterator[SlowProcess]:
        self._thread.start()
        try:
            yield self
        finally:
            self._loop.call_soon_threadsafe(self._task.cancel)
            self._thread.join(10)


@pytest.fixture
def patient_server(settings: Settings) -> Iterator[str]:
    """One server that waits up to 30 s for every process's acknowledgement, so a slow one is
    waited for however loaded the test machine is."""
    with running_api(_env(settings, KEPU_FEED_INVALIDATE_WAIT_S="30")) as url:
        yield url


async def test_a_takedown_returns_only_after_a_slow_process_dropped_its_pages(
    client: httpx.AsyncClient, services: Services, settings: Settings, patient_server: str
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    with SlowProcess(settings, delay_s=0.5).running() as slow:

        async def subscribed() -> bool:
            return slow.subscribed.is_set()

        await eventually(subscribed)
        async with httpx.AsyncClient(timeout=60) as http:
            sent_at = time.monotonic()
            resp = await http.post(
                f"{patient_server}/api/v1/admin/contents/{content_id}/takedown",
                json={"reason": "不实信息"},
                headers=crew.admin.auth,
            )
            returned_at = time.monotonic()
            assert resp.status_code == 200, resp.text
            assert resp.json()["status"] == "taken_down"
            # The slow process had dropped its pages (and acknowledged) before the call returned.
            assert any(sent_at < at < returned_at for at in slow.dropped), (
                f"returned {returned_at - sent_at:.3f} s after sending; the slow process "
                f"dropped its pages at {[round(at - sent_at, 3) for at in slow.dropped]} s"
            )
            detail = await http.get(f"{patient_server}/api/v1/contents/{content_id}")
            f.assert_problem(detail, 404, "content.not_found")


async def test_a_comment_posted_or_deleted_shows_on_every_process_at_once(
    client: httpx.AsyncClient, services: Services, servers: list[str]
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    content_id = await f.publish(client, crew)
    first = await f.comment(client, fan, content_id, "第一条")
    path = f"/api/v1/contents/{content_id}/comments"
    async with httpx.AsyncClient(timeout=30) as http:

        async def shown() -> list[list[str]]:
            pages = await asyncio.gather(*(http.get(url + path) for url in servers))
            return [[c["id"] for c in p.json()["items"]] for p in pages]

        for _ in range(2):  # warm: the second round is served from each process's cache
            assert await shown() == [[first["id"]]] * 2
        resp = await http.post(servers[0] + path, json={"body": "第二条"}, headers=fan.auth)
        assert resp.status_code == 201, resp.text
        second = resp.json()["id"]
        assert await shown() == [[second, first["id"]]] * 2
        resp = await http.delete(f"{servers[1]}{path}/{first['id']}", headers=fan.auth)
        assert resp.status_code == 204, resp.text
        assert await shown() == [[second]] * 2
