"""Fixtures of the console's tests: a browser-like HTTP client, the app on a real port, and
Debian's Chromium driven by Playwright (one browser for the whole run)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.console.harness import CHROMIUM, CHROMIUM_ARGS, Console
from tests.helpers import free_port


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[Console]:
    async with Console(app) as c:
        yield c


@pytest.fixture(scope="session")
async def console_url(app: FastAPI) -> AsyncIterator[str]:
    """The test app (already started) served by uvicorn on a loopback port, for the browser."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per run
        if os.environ.get("KEPU_REQUIRE_BROWSER"):
            pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium")
        pytest.skip("no Chromium here: apt-get install chromium (.ci/run does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def tabs(browser: Any, console_url: str) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
    """Opens tabs, each in a fresh browser profile (one person each) at 1280×800 in Chinese,
    pointed at the console; a script error on any of them fails the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    async def open_tab() -> Any:
        context = await browser.new_context(
            base_url=console_url, viewport={"width": 1280, "height": 800}, locale="zh-CN"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = await context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        return tab

    yield open_tab
    for context in contexts:
        await context.close()
    assert not errors, f"the page's script failed: {errors}"


@pytest.fixture
async def page(tabs: Callable[[], Awaitable[Any]]) -> Any:
    """One tab: a fresh browser profile at 1280×800 in Chinese, pointed at the console."""
    return await tabs()
