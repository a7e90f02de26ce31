"""The reviewers' and operators' console: server-rendered pages under ``/console`` on the same
app and the same content/ services as the API (docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.console import errors, pages
from api.console.errors import PREFIX, too_large
from api.console.routes import contents, login, reports, review, screening, stats, users

__all__ = ["PREFIX", "install", "router", "too_large"]

router = APIRouter(prefix="/console", include_in_schema=False)
for _module in (login, review, contents, screening, reports, users, stats):
    router.include_router(_module.router)


class _Assets(StaticFiles):
    """The console's own files; their URLs carry a content hash (pages.static_url), so a
    browser keeps them as long as it likes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", b"public, max-age=31536000, immutable"),
                ]
            await send(message)

        await super().__call__(scope, receive, send_cached)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/console/static", _Assets(directory=pages.STATIC), name="console-static")
    errors.install(app)
