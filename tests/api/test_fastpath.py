"""The fast path (api/fastpath.py): a signed-out hit on a cached feed page or content detail is
answered before routing with the route's bytes and headers; whatever it must not answer (a
token, an Origin, a body, a personal page, what changed) still reaches the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY
from starlette.types import Receive, Scope, Send

from api.fastpath import CachedPages, PageSource
from infra.services import Services
from tests import factories as f

API = "/api/v1"
FEED = f"{API}/feed"
COMPARED = ("etag", "cache-control", "content-type", "content-length", "x-content-type-options")


class Refusing:
    """The app behind the fast path in these tests: records what reached it, answers 599."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _fast(app: FastAPI) -> tuple[httpx.AsyncClient, Refusing]:
    """A client of the fast path alone, on the test app's own caches."""
    source = PageSource()
    source.runtime = app.state.feeds
    behind = Refusing()
    transport = httpx.ASGITransport(app=CachedPages(behind, source, API))
    return httpx.AsyncClient(transport=transport, base_url="http://test"), behind


async def _warm_then(
    client: httpx.AsyncClient, url: str, call: Callable[[], Awaitable[httpx.Response]]
) -> tuple[httpx.Response, httpx.Response]:
    """The route's answer to ``url`` (twice: the second from the cache), then ``call``'s. Another
    test's publish may drop the page in between: tried again then, a few times."""
    for _ in range(5):
        await client.get(url)
        routed = await client.get(url)
        answer = await call()
        if answer.status_code != 599:
            break
    return routed, answer


def _requests(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("kepu_http_requests_total", labels) or 0.0


async def test_a_warm_signed_out_page_is_answered_before_routing_as_the_route_would(
    client: httpx.AsyncClient, services: Services, app: FastAPI
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fast, behind = _fast(app)
    detail = f"{API}/contents/{content_id}"
    counted: list[float] = []  # the route's count just before each call of the fast path
    for url, route in ((f"{FEED}?limit=3", FEED), (detail, f"{API}/contents/{{content_id}}")):

        async def fast_get(url: str = url, route: str = route) -> httpx.Response:
            counted.append(_requests(route, "200"))
            return await fast.get(url, headers={"X-Request-ID": "trace-7"})

        routed, answer = await _warm_then(client, url, fast_get)
        assert behind.reached == [] and answer.status_code == 200
        assert answer.content == routed.content
        assert {h: answer.headers[h] for h in COMPARED} == {h: routed.headers[h] for h in COMPARED}
        assert answer.headers["x-request-id"] == "trace-7"  # the client's id, as in the logs
        assert _requests(route, "200") == counted[-1] + 1  # under the route's template, as routed
        again = await fast.get(url, headers={"If-None-Match": routed.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == routed.headers["etag"]
        assert len(again.headers["x-request-id"]) == 26  # a new id when the client sent none
    assert behind.reached == []


async def test_what_the_fast_path_must_not_answer_reaches_the_app(
    client: httpx.AsyncClient, services: Services, app: FastAPI
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fast, behind = _fast(app)
    detail = f"{API}/contents/{content_id}"
    await _warm_then(client, detail, lambda: fast.get(detail))
    behind.reached.clear()
    # A token must be checked (a forged one is refused), CORS answers an Origin, a body is
    # counted against the limit; HEAD and other paths are the app's too.
    await fast.get(detail, headers={"Authorization": "Bearer forged"})
    await fast.get(detail, headers={"Origin": "https://elsewhere.example"})
    await fast.request("GET", detail, content=b"{}")
    await fast.head(detail)
    await fast.get(f"{detail}/reviews")
    assert behind.reached == [detail] * 4 + [f"{detail}/reviews"]
    forged = await client.get(detail, headers={"Authorization": "Bearer forged"})
    f.assert_problem(forged, 401, "auth.invalid_token")


async def test_a_personal_page_is_never_answered_to_someone_signed_out(
    client: httpx.AsyncClient, services: Services
) -> None:
    fan = await f.person(services, "viewer")
    mine = await client.get(FEED, params={"tab": "following"}, headers=fan.auth)
    assert mine.status_code == 200
    mine = await client.get(FEED, params={"tab": "following"}, headers=fan.auth)  # cached now
    assert mine.status_code == 200
    anonymous = await client.get(FEED, params={"tab": "following"})
    f.assert_problem(anonymous, 401, "auth.required")


async def test_the_owner_reads_their_edit_while_signed_out_readers_get_the_live_revision(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    edit = await client.patch(
        f"{API}/contents/{content_id}", json={"title": "改过的标题"}, headers=crew.creator.auth
    )
    assert edit.status_code == 200, edit.text
    for _ in range(2):  # the second from the cache, on either side
        public = await f.get(client, None, content_id)
        assert public.json()["title"] == "冬季如何科学预防流感"
        assert public.headers["cache-control"] == "public, no-cache"
        own = await f.get(client, crew.creator, content_id)
        assert own.json()["title"] == "改过的标题"
        assert own.headers["cache-control"] == "private, no-cache"


async def test_a_takedown_drops_a_cached_detail_before_it_returns(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    for _ in range(2):
        assert (await f.get(client, None, content_id)).status_code == 200
    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    f.assert_problem(await f.get(client, None, content_id), 404, "content.not_found")
