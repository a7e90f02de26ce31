"""Feeds from Redis: paging, pins, hot, following, bad input, ETags, and a Redis that lost them."""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
from fastapi import FastAPI

from content import feeds
from infra.clock import utcnow
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually
from tests.processes import kepu_env
from workers.feeds import rebuild_feeds

FEED = "/api/v1/feed"


def _cursor(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def _pages(client: httpx.AsyncClient, **params: str | int) -> list[list[str]]:
    """The ids of every page of a feed, following the cursors to the end."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        resp = await client.get(FEED, params=query)
        assert resp.status_code == 200, resp.text
        pages.append([c["id"] for c in resp.json()["items"]])
        if not (cursor := resp.json()["next_cursor"]):
            return pages


async def _all_ids(client: httpx.AsyncClient, **params: str | int) -> list[str]:
    return [content_id for page in await _pages(client, **params) for content_id in page]


async def test_paging_stays_stable_while_new_items_arrive(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    ids = [await f.publish(client, crew, topics=["frontier-tech"]) for _ in range(4)]
    first = (await client.get(FEED, params={"topic": "frontier-tech", "limit": 2})).json()
    newer = await f.publish(client, crew, topics=["frontier-tech"])
    seen = [c["id"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (
            await client.get(FEED, params={"topic": "frontier-tech", "limit": 2, "cursor": cursor})
        ).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
    mine = [i for i in seen if i in ids]
    assert mine == list(reversed(ids))  # no gap, no duplicate, newest first
    assert newer not in seen and len(seen) == len(set(seen))
    assert (await _all_ids(client, topic="frontier-tech"))[0] == newer


async def test_bad_cursors_and_limits_are_422_with_a_code(client: httpx.AsyncClient) -> None:
    for cursor in (
        _cursor(["9999-12-31T23:59:59-14:00", "x"]),
        _cursor(["0001-01-01T00:00:00+14:00", "x"]),
        _cursor(["2026-01-01T00:00:00", "x"]),  # no time zone
        _cursor({"a": 1}),
        "not base64 at all!",
        _cursor(["hot", 1e308, "x"]),
    ):
        resp = await client.get(FEED, params={"cursor": cursor})
        f.assert_problem(resp, 422, "feed.bad_cursor")
    hot_cursor = _cursor(["2026-01-01T00:00:00+00:00", "x"])
    f.assert_problem(
        await client.get(FEED, params={"tab": "hot", "cursor": hot_cursor}), 422, "feed.bad_cursor"
    )
    f.assert_problem(await client.get(FEED, params={"limit": 100000}), 422, "validation_error")
    f.assert_problem(await client.get(FEED, params={"tab": "trending"}), 422, "validation_error")
    f.assert_problem(await client.get(FEED, params={"tab": "following"}), 401, "auth.required")


async def test_a_pin_leads_every_latest_feed_it_belongs_to_and_ends_on_time(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    pinned = await f.publish(client, crew, topics=["food-safety"], audiences=["farmers"])
    await f.publish(client, crew, topics=["food-safety"], audiences=["farmers"])
    resp = await f.pin(client, crew.admin, pinned, utcnow() + timedelta(seconds=3))
    assert resp.status_code == 200
    for params in ({}, {"topic": "food-safety"}, {"audience": "farmers"}):
        items = (await client.get(FEED, params=params)).json()["items"]
        # Other tests' pins may lead too (one database for the session): ours is among the
        # pinned items ahead of every unpinned one, and listed once.
        leading = [c["id"] for c in itertools.takewhile(lambda c: c["pinned"], items)]
        assert pinned in leading
        assert [c["id"] for c in items].count(pinned) == 1
    other = (await client.get(FEED, params={"topic": "health"})).json()["items"]
    assert pinned not in [c["id"] for c in other]

    async def unpinned() -> bool:
        items = (await client.get(FEED, params={"topic": "food-safety"})).json()["items"]
        return any(c["id"] == pinned and c["pinned"] is False for c in items)

    await eventually(unpinned, within=10)


async def test_hot_ranks_by_interactions_and_pages_by_score(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    fans = [await f.person(services, "viewer") for _ in range(3)]
    loved = await f.publish(client, crew, topics=["carbon-neutrality"])
    await f.publish(client, crew, topics=["carbon-neutrality"])
    for fan in fans:
        resp = await client.post(f"/api/v1/contents/{loved}/like", headers=fan.auth)
        assert resp.status_code == 200
    ids = await _all_ids(client, tab="hot", topic="carbon-neutrality", limit=1)
    assert ids[0] == loved and len(ids) == len(set(ids)) >= 2


async def test_feed_pages_carry_an_etag_and_answer_304(client: httpx.AsyncClient) -> None:
    first = await client.get(FEED, params={"limit": 3})
    etag = first.headers["etag"]
    again = await client.get(FEED, params={"limit": 3}, headers={"If-None-Match": etag})
    assert again.status_code in (200, 304)
    if again.status_code == 304:
        assert again.content == b"" and again.headers["etag"] == etag
    else:  # the page changed meanwhile (another test published): a new tag
        assert again.headers["etag"] != etag


async def test_feeds_survive_redis_losing_them_and_are_rebuilt(
    client: httpx.AsyncClient, services: Services, app: FastAPI
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, topics=["rural-revitalization"])
    prefix = services.settings.redis_prefix
    # Empty this run's feeds (never the whole server: other runs share it).
    lost = [k async for k in services.redis.scan_iter(match=f"{prefix}:{{feed:*")]
    assert lost
    await services.redis.delete(*lost)
    await app.state.feeds.invalidate(feeds.EVERYTHING)
    # Served from the database meanwhile, still correct.
    assert content_id in await _all_ids(client, topic="rural-revitalization")
    count = await rebuild_feeds(services)
    assert count >= 1
    keys = feeds.FeedKeys(prefix)
    assert await services.redis.exists(keys.built)
    assert await services.redis.zscore(keys.feed("latest", "t:rural-revitalization"), content_id)
    assert content_id in await _all_ids(client, topic="rural-revitalization")


async def test_details_carry_an_etag_and_answer_304(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    first = await f.get(client, None, content_id)
    assert first.status_code == 200 and first.json()["title"] == "冬季如何科学预防流感"
    assert "冬季".encode() in first.content  # Chinese as-is, not \u-escaped
    etag = first.headers["etag"]
    again = await client.get(f"/api/v1/contents/{content_id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    fan = await f.person(services, "viewer")
    await client.post(f"/api/v1/contents/{content_id}/like", headers=fan.auth)
    changed = await client.get(f"/api/v1/contents/{content_id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["stats"]["likes"] == 1


async def test_kepu_feeds_rebuild_refills_redis_from_the_database(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, topics=["youth-stem"])
    keys = feeds.FeedKeys(settings.redis_prefix)
    latest = keys.feed("latest", "t:youth-stem")
    await services.redis.zrem(latest, content_id)
    kepu = str(Path(sys.executable).parent / "kepu")
    env = kepu_env(settings, KEPU_MODE="production", KEPU_LOG_LEVEL="WARNING")
    done = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            [kepu, "feeds", "rebuild"], env=env, capture_output=True, text=True, timeout=120
        )
    )
    assert done.returncode == 0, done.stderr
    assert "feeds rebuilt:" in done.stdout
    assert await services.redis.zscore(latest, content_id) is not None


async def test_a_page_of_cards_costs_the_same_queries_whatever_its_length(
    client: httpx.AsyncClient, services: Services
) -> None:
    from sqlalchemy import event

    from api import presenters

    crew = await f.crew(services)
    for _ in range(3):
        await f.publish(client, crew, topics=["rumor-debunk"])
    keys = feeds.FeedKeys(services.settings.redis_prefix)
    if not await services.redis.exists(keys.built):  # this test alone: feeds not built yet
        await rebuild_feeds(services)

    async def statements(limit: int) -> int:
        seen: list[str] = []
        async with services.read_sessions() as session:
            conn = await session.connection()
            event.listen(
                conn.sync_connection, "before_cursor_execute", lambda *a: seen.append(a[2])
            )
            query = feeds.FeedQuery(feeds.Tab.latest, topic="rumor-debunk", limit=limit)
            page = await feeds.page(session, services.redis, keys, query)
            await presenters.feed_page(session, services, page)
            assert len(page.cards) == limit and page.from_redis
        return len(seen)

    assert await statements(1) == await statements(3)  # no query per card


async def test_limit_counts_the_pins_and_paging_repeats_and_loses_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    kw = {"topics": ["health"], "audiences": ["officials"]}
    ids = [await f.publish(client, crew, **kw) for _ in range(5)]
    pins = ids[:3]  # more pins than a page holds
    soon = utcnow() + timedelta(minutes=5)
    for i, content_id in enumerate(pins):  # the last pinned ends last: it leads
        assert (await f.pin(client, crew.admin, content_id, soon + timedelta(seconds=i))).is_success
    try:
        expected = list(reversed(pins)) + list(reversed(ids[3:]))
        for limit in (1, 2, 3, 4):
            pages = await _pages(client, audience="officials", limit=limit)
            assert all(len(p) <= limit for p in pages), (limit, pages)
            seen = [i for p in pages for i in p]
            assert len(seen) == len(set(seen)), seen  # nothing twice
            assert [i for i in seen if i in ids] == expected  # nothing lost, pins first

        # The database path (Redis has no feeds under this prefix) pages the same way.
        keys = feeds.FeedKeys(f"unbuilt-{services.settings.redis_prefix}")
        async with services.read_sessions() as session:
            seen, cursor = [], None
            while True:
                query = feeds.FeedQuery(feeds.Tab.latest, None, "officials", cursor, limit=2)
                page = await feeds.page(session, services.redis, keys, query)
                assert not page.from_redis and len(page.cards) <= 2
                seen += [c.content.id for c in page.cards]
                if not (cursor := page.next_cursor):
                    break
        await services.redis.delete(keys.rebuild_lock)
        assert len(seen) == len(set(seen)) and [i for i in seen if i in ids] == expected
    finally:
        for content_id in pins:
            await client.delete(f"/api/v1/admin/contents/{content_id}/pin", headers=crew.admin.auth)
