"""Working the screening pages over HTTP in tests: an operator signed in, a list's add form sent
with its one-time token, the page a form leads to, the message it shows, rows counted."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlmodel import col, func, select

from content.models import ClaimPattern, Rumor, ScreeningTerm
from infra.services import Services
from tests.console.harness import Console
from tests.factories import person


async def operator(console: Console, services: Services) -> None:
    await console.login(await person(services, "admin"))


def once_of(page: str) -> str:
    found = re.search(r'name="once" value="([^"]+)"', page)
    assert found, "the add form carries no one-time token"
    return found.group(1)


async def form_token(console: Console, path: str) -> str:
    """Open the page of an add form; its one-time token."""
    page = await console.get(path)
    assert page.status_code == 200, page.text
    return once_of(page.text)


PAGES = {
    "terms": "/console/screening",
    "claims": "/console/screening/claims",
    "rumors": "/console/screening/rumors",
}


async def add(console: Console, kind: str, fields: dict[str, str]) -> httpx.Response:
    """Open a list's page and send its add form with ``fields`` (and the form's one-time
    token), from that page."""
    page = PAGES[kind]
    once = await form_token(console, page)
    return await console.post(f"/console/screening/{kind}", {"once": once, **fields}, referer=page)


async def after(console: Console, resp: httpx.Response) -> str:
    """The page a form's 303 leads to, as the browser shows it (with the one-shot message)."""
    assert resp.status_code == 303, resp.text
    return (await console.get(resp.headers["location"])).text


async def count(services: Services, model: Any, where: Any) -> int:
    async with services.read_sessions() as session:
        return (await session.exec(select(func.count()).select_from(model).where(where))).one()


async def removed(console: Console, services: Services, model: Any, row_id: str, said: str) -> None:
    """Remove a row with its 删除 button: the list says ``said``, and the row is gone."""
    kind = {ClaimPattern: "claims", Rumor: "rumors", ScreeningTerm: "terms"}[model]
    resp = await console.post(f"/console/screening/{kind}/{row_id}/delete")
    assert said in message(await after(console, resp))
    assert await count(services, model, col(model.id) == row_id) == 0


def message(page: str) -> str:
    found = re.search(r'<p class="message [a-z]+" role="\w+">(.*?)</p>', page, re.S)
    assert found, "the page shows no message"
    return found.group(1)
