"""Traffic for fault and load tests: writers and readers at once, remembering every write the
server acknowledged, so afterwards the database can be asked whether each is there, once."""

from __future__ import annotations

import asyncio
import collections
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories as f


@dataclass
class Tally:
    """What the clients saw: acknowledged creates (title → id), edits (id → titles) and
    submissions, every status by kind of request, and transport errors (no answer at all)."""

    created: dict[str, str] = field(default_factory=dict)
    edited: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    submitted: set[str] = field(default_factory=set)
    statuses: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    no_answer: int = 0

    def answered(self, kind: str) -> list[int]:
        return sorted(s for (k, s), n in self.statuses.items() if k == kind for _ in range(n))


async def _call(
    tally: Tally, kind: str, client: httpx.AsyncClient, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    try:
        resp = await client.request(method, url, **kw)
    except httpx.TransportError:
        tally.no_answer += 1
        return None
    tally.statuses[(kind, resp.status_code)] += 1
    if resp.status_code >= 500:
        assert resp.status_code == 503, resp.text  # a dependency down, never a crash
        assert resp.headers.get("retry-after"), resp.headers
    return resp


async def writer(
    client: httpx.AsyncClient, who: f.Person, tally: Tally, stop: asyncio.Event, pause: float = 0
) -> None:
    """Create, edit, and now and then submit, until ``stop``; each title is unique, so a write
    found twice in the database is a write done twice."""
    n = 0
    while not stop.is_set():
        n += 1
        title = f"负载{secrets.token_hex(6)}"
        resp = await _call(
            tally, "create", client, "POST", "/api/v1/contents",
            json=f.article(title=title), headers=who.auth,
        )  # fmt: skip
        if resp is not None and resp.status_code == 201:
            content_id = resp.json()["id"]
            tally.created[title] = content_id
            new_title = f"改{title}"
            edit = await _call(
                tally, "edit", client, "PATCH", f"/api/v1/contents/{content_id}",
                json={"title": new_title}, headers=who.auth,
            )  # fmt: skip
            if edit is not None and edit.status_code == 200:
                tally.edited[content_id].append(new_title)
            if n % 3 == 0:
                sub = await _call(
                    tally, "submit", client, "POST", f"/api/v1/contents/{content_id}/submit",
                    headers=who.auth,
                )  # fmt: skip
                if sub is not None and sub.status_code == 202:
                    tally.submitted.add(content_id)
        await asyncio.sleep(pause)


async def reader(
    client: httpx.AsyncClient, who: f.Person, tally: Tally, stop: asyncio.Event, pause: float = 0
) -> None:
    while not stop.is_set():
        await _call(tally, "feed", client, "GET", "/api/v1/feed")
        await _call(tally, "mine", client, "GET", "/api/v1/me/contents", headers=who.auth)
        if tally.created:
            content_id = next(reversed(tally.created.values()))
            await _call(
                tally, "detail", client, "GET", f"/api/v1/contents/{content_id}", headers=who.auth
            )
        await asyncio.sleep(pause)


async def check_database(engine: AsyncEngine, owner_id: str, tally: Tally) -> dict[str, int]:
    """Every acknowledged write is in the database exactly once and whole; returns counts."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT c.id, c.status, r.title, r.state FROM content c "
                    "JOIN revision r ON r.id = c.working_revision_id WHERE c.owner_id = :o"
                ),
                {"o": owner_id},
            )
        ).all()
        orphans = (
            await conn.execute(
                sa.text(
                    "SELECT count(*) FROM content c LEFT JOIN revision r "
                    "ON r.id = c.working_revision_id WHERE c.owner_id = :o AND r.id IS NULL"
                ),
                {"o": owner_id},
            )
        ).scalar_one()
    assert orphans == 0, f"{orphans} contents without their revision (half-written)"
    by_id = {r.id: r for r in rows}
    titles = collections.Counter(r.title.removeprefix("改") for r in rows)
    doubled = [t for t, n in titles.items() if n > 1]
    assert not doubled, f"written twice: {doubled}"
    lost = [t for t, cid in tally.created.items() if cid not in by_id]
    assert not lost, f"acknowledged creates missing from the database: {lost}"
    for content_id, titles_seen in tally.edited.items():
        assert by_id[content_id].title == titles_seen[-1], "an acknowledged edit was lost"
    for content_id in tally.submitted:
        assert by_id[content_id].status != "draft", "an acknowledged submission was lost"
    return {"rows": len(rows), "created": len(tally.created), "submitted": len(tally.submitted)}
