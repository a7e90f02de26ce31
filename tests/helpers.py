"""What tests share besides fixtures and factories: the machine's servers, running an app in a
test, waiting for background work, a service's refusal, a free port, a scratch database, the
statements a session sends."""

from __future__ import annotations

import asyncio
import contextlib
import html
import importlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import Scope

from api import problems
from content.errors import DomainError
from infra.settings import Settings

PG_ADMIN_URL = os.environ.get("KEPU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KEPU_TEST_REDIS", "redis://127.0.0.1:6379/0")
T = TypeVar("T")
# The methods WeChat's wx.request can send (no PATCH); TRACE and CONNECT no API serves.
WX_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
# The Python client generated from the app's OpenAPI document (the `python_client` fixture).
CLIENT_PACKAGE = "kepu_client"
VENV_BIN = Path(sys.executable).parent
_IMG = re.compile(r"<img ([^>]*)>")
_ATTR = re.compile(r'([a-z]+)="([^"]*)"')


@contextlib.asynccontextmanager
async def scratch_database(name: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database on the machine's server, dropped afterwards; yields its URL."""
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kepu.test") as client:
            yield client


@contextlib.asynccontextmanager
async def hosted(opening: contextlib.AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter ``opening`` in a task of its own: pytest-asyncio may set a fixture up and tear it
    down in different tasks, and a task group inside (the app's lifespan, the queue client)
    must exit in the task where it entered."""
    ready: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def host() -> None:
        try:
            async with opening as value:
                ready.set_result(value)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    task = asyncio.create_task(host())
    try:
        yield await ready
    finally:
        stop.set()
        await task


def serving(app: FastAPI) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
    """The app served in a task of its own (see ``hosted``), through an httpx client."""
    return hosted(running(app))


async def load_media(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """GET a media URL as a phone's `<image>` or `<video>` does: from the API's own storage
    route (``client`` reaches the app), or from S3 or a CDN over the network."""
    parts = urlsplit(url)
    if parts.path.startswith("/api/v1/storage/"):
        return await client.get(f"{parts.path}?{parts.query}", headers=headers)
    async with httpx.AsyncClient() as phone:
        return await phone.get(url, headers=headers)


def images_in(body_html: str) -> list[dict[str, str]]:
    """The attributes of each `<img>` of a served body, as HTML reads them (`&amp;` is `&`)."""
    return [
        {name: html.unescape(value) for name, value in _ATTR.findall(tag)}
        for tag in _IMG.findall(body_html)
    ]


def embedded_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings as a newcomer has them: nothing configured but a data directory (and
    ``overrides``)."""
    return Settings(_env_file=None, data_dir=data_dir, worker_idle_timeout_s=5, **overrides)  # type: ignore[call-arg]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def eventually(check: object, within: float = 15.0, interval: float = 0.1) -> object:
    """Poll an async predicate until it returns something truthy (jobs run in the background)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()  # type: ignore[operator]
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last: {result!r})")
        await asyncio.sleep(interval)


async def refused(code: str, call: Awaitable[object]) -> DomainError:
    """The domain error awaiting ``call`` raises, which must carry ``code``."""
    with pytest.raises(DomainError) as refusal:
        await call
    assert refusal.value.code == code, refusal.value
    return refusal.value


@contextlib.asynccontextmanager
async def statements(session: AsyncSession) -> AsyncIterator[list[str]]:
    """The SQL statements ``session`` sends while the block runs, as a list that fills up."""
    seen: list[str] = []
    conn = (await session.connection()).sync_connection
    assert conn is not None

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(conn, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", record)


# Any route may answer these: a bug of ours, or the database gone mid-request.
ANSWERED_ANYWHERE = {"internal_error", "dependency.down"}


def undeclared_problem(scope: Scope, status: int, code: str) -> str | None:
    """Why a problem a route just answered is missing from its OpenAPI responses, or None."""
    route = scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return None  # no route matched (a 404 or 405 of the router), or one kept out of the spec
    if code in ANSWERED_ANYWHERE:
        return None
    method = scope["method"].lower()
    # The route knows its path without the prefix it was included under: the document's path is
    # the one that ends with it and whose prefix the request's path starts with.
    paths = scope["app"].openapi()["paths"]
    path = max(
        (
            p
            for p in paths
            if p.endswith(route.path_format)
            and scope["path"].startswith(p[: len(p) - len(route.path_format)])
        ),
        key=len,
        default=None,
    )
    if path is None:  # a copy kept out of the document (the probes at the root)
        return None
    operation = paths[path].get(method)
    if operation is None:  # HEAD on a GET route
        return None
    declared = operation["responses"].get(str(status))
    if declared is None:
        return f"{method.upper()} {path} answered {status} without declaring it"
    if code not in declared.get(problems.CODES_KEY, ()):
        return (
            f'{method.upper()} {path} answered {status} "{code}": name it in '
            "its responses=problems.responses(…)"
        )
    return None


def run_tool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command-line tool (a client generator, a compiler), capturing what it says."""
    # The venv first on PATH: openapi-python-client formats what it writes with its ruff.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def generated_operation(operation_id: str) -> ModuleType | None:
    """The generated client's module for an operation id (`getFeed` →
    `kepu_client.api.<tag>.get_feed`), or None when the document has no such operation."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
    root = Path(sys.modules[CLIENT_PACKAGE].__path__[0]) / "api"
    found = list(root.glob(f"*/{name}.py"))
    assert len(found) <= 1, found
    if not found:
        return None
    return importlib.import_module(f"{CLIENT_PACKAGE}.api.{found[0].parent.name}.{name}")
