"""Pure-ASGI middleware: a request id on every request and log line, request metrics, and a
limit on request body size."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from prometheus_client import Counter, Histogram
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from infra.ids import new_id
from infra.logging import request_id

log = logging.getLogger("kepu.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CLIENT_CLOSED = 499  # a request its client abandoned; no response was sent

REQUESTS = Counter("kepu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "kepu_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def request_id_from(incoming: bytes) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a new id."""
    text = incoming.decode("latin-1")
    return text if _VALID_ID.match(text) else new_id()


# The label children per (method, route, status): `labels()` takes a lock and builds a tuple on
# every call, a measurable share of a cached page's cost.
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe(method: str, route: str, status: int, elapsed: float) -> None:
    """Count a request and its latency under the route's template (never the raw path)."""
    pair = _children.get((method, route, status))
    if pair is None:
        pair = _children[method, route, status] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
    pair[0].inc()
    pair[1].observe(elapsed)


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_from(dict(scope["headers"]).get(b"x-request-id", b""))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client went away while sending its body (a phone losing its network in the
            # middle of an upload): nothing to answer and nothing of ours broken. Counted as
            # 499 (the status proxies use for it), never as a server error; whatever the
            # handler had received is not kept (it writes to a temp file it drops).
            if status == 500:
                status = CLIENT_CLOSED
            log.info(
                "%s %s: the client went away before sending its whole request",
                scope["method"],
                scope["path"],
            )
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            observe(scope["method"], path, status, elapsed)
            if status >= 500:
                log.warning("%s %s -> %s", scope["method"], scope["path"], status)
            request_id.reset(token)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before they fill memory: by their
    Content-Length when given, by counting otherwise. The signed storage route is exempt: it
    streams media to disk and enforces its own limits."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        exempt_prefix: str,
        pages: tuple[str, Callable[[Request, int], Response]] | None = None,
    ) -> None:
        self.app, self.limit, self.exempt = app, limit, exempt_prefix
        # Under this prefix (the console) a person reads the refusal: a page, not a problem.
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The app may turn the interrupted read into an error response of its own; the
            # client gets the 413 instead.
            nonlocal refused
            if not too_large:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            if not refused:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.pages and scope["path"].startswith(self.pages[0]):
            page = self.pages[1](Request(scope), self.limit)
            await page(scope, receive, send)
            return
        refusal = problems.problem(
            413,
            "request.too_large",
            f"request bodies are limited to {self.limit} bytes; media goes to the upload URLs",
        )
        await refusal(scope, receive, send)


NOSNIFF = (b"x-content-type-options", b"nosniff")


class SecurityHeaders:
    """Headers every answer carries: `nosniff`, so a browser never runs a JSON or media answer as
    script or HTML; and a `Cache-Control` default where the route set none — `private, no-store`
    when the request carried credentials (a personal answer must not land in a shared cache),
    `no-store` otherwise (a takedown must not outlive itself in a cache). Routes that may be
    cached (public feed pages) set their own header and keep it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        personal = b"authorization" in request_headers or b"cookie" in request_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if NOSNIFF[0] not in names:
                    headers.append(NOSNIFF)
                if b"cache-control" not in names:
                    headers.append(
                        (b"cache-control", b"private, no-store" if personal else b"no-store")
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
