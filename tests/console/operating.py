"""What the operators' console tests share: a row as the database holds it now, a viewer's report
through the API, an operator signed in, the error a console response names, a fresh search word."""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

import httpx
from sqlmodel import SQLModel

from infra.services import Services
from tests import factories as f
from tests.console.harness import Console

Row = TypeVar("Row", bound=SQLModel)


def word() -> str:
    """A made-up word no other test's title holds (one search word)."""
    return "qz" + "".join(secrets.choice("bcdfghjkmnpqrstvwxz") for _ in range(8))


async def stored(services: Services, model: type[Row], row_id: Any) -> Row:
    """The ``model`` row ``row_id`` as a fresh session reads it (what was written)."""
    async with services.write_sessions() as session:
        found = await session.get(model, row_id)
        assert found is not None, f"no {model.__name__} {row_id}"
        return found


async def report(
    client: httpx.AsyncClient, who: f.Person, content_id: str, reason: str, detail: str = ""
) -> str:
    """A viewer's report, filed through the API as the app files it; its id."""
    resp = await client.post(
        "/api/v1/reports",
        json={"content_id": content_id, "reason": reason, "detail": detail},
        headers=who.auth,
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def operator(console: Console, services: Services) -> f.Person:
    """A new admin, signed in to ``console``."""
    admin = await f.person(services, "admin")
    await console.login(admin)
    return admin


def error_of(resp: httpx.Response) -> str | None:
    """The console's error header: ``"422 invalid"``, ``"409 report.resolved"``; None if none."""
    return resp.headers.get("x-console-error")


async def feed_ids(client: httpx.AsyncClient) -> list[str]:
    """The ids in the public feed's latest tab, pinned ones first, as the app reads them."""
    resp = await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["items"]]
