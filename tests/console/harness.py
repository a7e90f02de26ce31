"""Driving the console: over HTTP as a browser would (cookies, CSRF tokens from the pages), and in
Debian's Chromium through Playwright, with screenshots kept as artifacts and an axe-core audit."""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from infra.services import Services
from tests.factories import PASSWORD, Person

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "clients" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("KEPU_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "console"
CHROMIUM = os.environ.get("KEPU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes advise: no background traffic to Google's hosts from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LOGIN = re.compile(r'name="login_token" value="([^"]+)"')


def sent_to_login(resp: httpx.Response) -> bool:
    """Whether the console answered by sending the browser to its login page."""
    return resp.status_code == 303 and resp.headers["location"].startswith("/console/login")


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


class Console:
    """One browser's worth of console over HTTP: its cookie jar, and the CSRF token of the last
    page it loaded (forms send it back, as a browser's would)."""

    def __init__(self, app: FastAPI) -> None:
        # https: the session cookie is Secure, and a browser sends it only to a secure origin.
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://kepu.test"
        )
        self.csrf = ""

    async def __aenter__(self) -> Console:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        resp = await self.http.get(path, **kw)
        if found := _CSRF.search(resp.text):
            self.csrf = found.group(1)
        return resp

    async def post(
        self, path: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        """A form sent from a console page (its CSRF token and Referer, as a browser sends them)."""
        form = {"csrf_token": self.csrf, **(data or {})}
        headers = {
            "Referer": str(self.http.base_url.join(kw.pop("referer", path))),
            **kw.pop("headers", {}),
        }
        return await self.http.post(path, data=form, headers=headers, **kw)

    async def login(
        self, who: Person | str, password: str = PASSWORD, next: str = ""
    ) -> httpx.Response:
        username = who if isinstance(who, str) else who.username
        page = await self.http.get("/console/login")
        token = _LOGIN.search(page.text)
        assert token, page.text
        resp = await self.http.post(
            "/console/login",
            data={
                "username": username,
                "password": password,
                "login_token": token.group(1),
                "next": next,
            },
        )
        if resp.status_code == 303:
            await self.get(resp.headers["location"])
        return resp


async def log_in(
    page: Any, who: Person | str, password: str = PASSWORD, *, next: str = "", lands_on: str = ""
) -> None:
    """Log in from the login page at the keyboard, as staff do: the username field has the focus
    when the page opens (waited for: Chromium gives it after the load), Tab, password, Enter."""
    await page.goto("/console/login" + (f"?next={next}" if next else ""))
    await page.wait_for_function("() => document.activeElement?.id === 'username'")
    await page.keyboard.type(who if isinstance(who, str) else who.username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(
        re.compile(rf".*{re.escape(lands_on) if lands_on else '/console/(?!login)'}.*")
    )


async def tab_to(page: Any, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user moves through a form."""
    for _ in range(40):
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def audit(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as it stands (contrast, labels, names)."""
    # Evaluated through the DevTools protocol: the console's CSP (no inline or foreign script)
    # stays in force for the page itself.
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text() + "\n;0")
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


async def shot(page: Any, name: str) -> Path:
    """A full-page screenshot kept as a test artifact (var/test-artifacts/console/<name>.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


_counting: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "counting", default=None
)


@contextlib.contextmanager
def queries(services: Services) -> Iterator[list[str]]:
    """The SQL statements requests made from this task send while the block runs (the worker's
    jobs, in other tasks, are not counted): ``len()`` of it is what a page costs the database."""
    seen: list[str] = []

    def record(*args: object) -> None:
        found = _counting.get()
        if found is not None:
            found.append(str(args[2]))

    engine = services.engine.sync_engine
    token = _counting.set(seen)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        _counting.reset(token)
