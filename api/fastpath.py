"""The fast path for what signed-out viewers read most: a feed page or a content detail already
in this process's near-cache is answered here, before routing, dependency resolution and the
other middleware, with the bytes and headers the route would send (the request id, metrics and
`nosniff` included). A miss, a token, an `Origin` (CORS), a body, HEAD, any other route: the app.

Only what a route has already served lands here: a detail by its id, a feed page by a query
string the feed route validated (`FeedRuntime.queries`), so no input is parsed twice or
differently. docs/feeds.md ("Speed") has the measurements."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from api.feedcache import CachedPage, FeedRuntime
from api.middleware import observe, request_id_from

# A request carrying one of these is not the signed-out, bodiless GET a cached page answers.
_NOT_SHARED = frozenset({b"authorization", b"origin", b"transfer-encoding"})


class PageSource:
    """Where the fast path finds this process's caches: set by the lifespan once open."""

    runtime: FeedRuntime | None = None


class CachedPages:
    def __init__(self, app: ASGIApp, source: PageSource, prefix: str) -> None:
        self.app, self.source = app, source
        self.feed = f"{prefix}/feed"
        self.details = f"{prefix}/contents/"
        # The metrics' route labels: the routes' templates, as RequestContext records them.
        self.feed_route = self.feed
        self.details_route = f"{self.details}{{content_id}}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        page, route = self._cached(scope)
        if page is None:
            await self.app(scope, receive, send)
            return
        incoming = b""
        if_none_match: bytes | None = None
        for name, value in scope["headers"]:
            if name in _NOT_SHARED or (name == b"content-length" and value != b"0"):
                await self.app(scope, receive, send)
                return
            if name == b"x-request-id":
                incoming = value  # the last one, as RequestContext reads it
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value
        rid = (b"x-request-id", request_id_from(incoming).encode())
        if if_none_match == page.etag_bytes:
            status, headers, body = 304, [*page.not_modified_headers, rid], b""
        else:
            status, headers, body = 200, [*page.headers, rid], page.body
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        observe("GET", route, status, time.perf_counter() - started)

    def _cached(self, scope: Scope) -> tuple[CachedPage | None, str]:
        runtime = self.source.runtime
        if runtime is None or scope["type"] != "http" or scope["method"] != "GET":
            return None, ""
        path: str = scope["path"]
        if path == self.feed:
            key = runtime.queries.get(scope["query_string"])
            return (None if key is None else runtime.cache.get(key)), self.feed_route
        if path.startswith(self.details):
            # A key holds no "/": only ids the detail route served are stored.
            return runtime.details.get(path[len(self.details) :]), self.details_route
        return None, ""
