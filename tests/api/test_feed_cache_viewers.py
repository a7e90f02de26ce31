"""The following tab is personal: its pages sit in the same near-cache as the shared ones, keyed
by viewer, so two viewers in one API process never get each other's page."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from api.feedcache import FeedPageKey, FeedRuntime
from content import feeds
from infra.services import Services
from tests import factories as f
from tests.helpers import eventually

API = "/api/v1"


async def _following(client: httpx.AsyncClient, who: f.Person) -> list[str]:
    resp = await client.get(f"{API}/feed", params={"tab": "following"}, headers=who.auth)
    assert resp.status_code == 200, resp.text
    assert "private" in resp.headers["cache-control"]  # and no shared cache downstream keeps it
    return [card["id"] for card in resp.json()["items"]]


async def test_two_viewers_warm_the_following_cache_and_each_gets_their_own_page(
    app: FastAPI, client: httpx.AsyncClient, services: Services
) -> None:
    runtime: FeedRuntime = app.state.feeds

    async def caching() -> bool:
        return runtime.cache.enabled

    await eventually(caching)  # subscribed to invalidations: pages are cached
    crews = [await f.crew(services), await f.crew(services)]
    items = [await f.publish(client, crew) for crew in crews]
    viewers = [await f.person(services, "viewer") for _ in crews]
    for viewer, crew in zip(viewers, crews, strict=True):
        follow = await client.post(f"{API}/users/{crew.creator.id}/follow", headers=viewer.auth)
        assert follow.status_code == 200, follow.text
    # Each viewer asks twice, in turn: the second round is served from this process's cache.
    for _ in range(2):
        for viewer, item in zip(viewers, items, strict=True):
            assert await _following(client, viewer) == [item]
    for viewer, item in zip(viewers, items, strict=True):
        key = FeedPageKey(feeds.Tab.following, None, None, None, 20, viewer.id)
        cached = runtime.cache.get(key)
        assert cached is not None and item.encode() in cached.body
