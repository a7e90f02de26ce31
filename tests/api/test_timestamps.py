"""Every time in a response has one form: UTC with milliseconds and `Z`, as JavaScript's
`Date.prototype.toISOString` writes it, so a client parses them all the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
from fastapi import FastAPI

from api.schemas import utc_iso
from infra.clock import utcnow
from infra.services import Services
from tests import factories as f

FORM = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _times(value: Any, path: str = "") -> dict[str, str]:
    """Every non-null field named like a time (``*_at``, ``*_until``), by its path."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            if (key.endswith("_at") or key.endswith("_until")) and inner is not None:
                found[f"{path}.{key}"] = inner
            else:
                found |= _times(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found |= _times(inner, f"{path}[{i}]")
    return found


def test_the_one_form_is_utc_with_milliseconds() -> None:
    china = timezone(timedelta(hours=8))
    assert utc_iso(datetime(2026, 12, 7, 19, 20, 22, 123999, china)) == "2026-12-07T11:20:22.123Z"
    assert utc_iso(datetime(2026, 12, 7, 11, 20, 22)) == "2026-12-07T11:20:22.000Z"  # stored UTC
    assert utc_iso(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"


async def test_cards_details_uploads_tasks_and_my_contents_write_times_one_way(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    published = await f.publish(client, crew, topics=["emergency"])
    pinned = await f.pin(client, crew.admin, published, utcnow() + timedelta(hours=2))
    content_id, task_id = await f.in_political(client, crew)
    claimed = await f.claim(client, crew.political, task_id)
    other = await f.person(services, "political_reviewer")
    held = await f.claim(client, other, task_id)
    f.assert_problem(held, 409, "review.already_claimed")
    upload = await f.start_upload(client, crew.creator, 1000)
    answers = {
        "feed": await client.get("/api/v1/feed", params={"topic": "emergency"}),
        "detail": await f.get(client, crew.creator, content_id),
        "pin": pinned,
        "task": claimed,
        "tasks": await client.get("/api/v1/review/tasks", headers=crew.political.auth),
        "upload": upload,
        "held": held,
        "mine": await client.get("/api/v1/me/contents", headers=crew.creator.auth),
        "history": await client.get(
            f"/api/v1/contents/{content_id}/reviews", headers=crew.creator.auth
        ),
    }
    seen: dict[str, str] = {}
    for name, resp in answers.items():
        assert resp.status_code < 300 or name == "held", (name, resp.text)
        seen |= _times(resp.json(), name)
    wrong = {where: value for where, value in seen.items() if not FORM.match(value)}
    assert not wrong, wrong
    # Each kind of time was seen, so the walk above covered it.
    for where in (
        "feed.items[0].published_at",
        "detail.created_at",
        "detail.updated_at",
        "pin.extra.pinned_until",
        "task.claim_expires_at",
        "held.claim_expires_at",
        "upload.expires_at",
        "mine.items[0].updated_at",
        "history[0].created_at",
    ):
        assert where in seen, (where, sorted(seen))


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _date_times(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node] if node.get("format") == "date-time" else []
        return own + [d for v in node.values() for d in _date_times(v)]
    if isinstance(node, list):
        return [d for v in node for d in _date_times(v)]
    return []


def test_every_time_a_response_schema_declares_is_a_timestamp(app: FastAPI) -> None:
    # A response field typed `datetime` would be written in pydantic's own form; `Timestamp`
    # (api/schemas/common.py) is the one form, and its schema carries its example.
    document = app.openapi()
    schemas = document["components"]["schemas"]
    todo = {
        name
        for item in document["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        for name in _refs(response)
    }
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= _refs(schemas[name]) - seen
    untyped = [
        name
        for name in sorted(seen)
        for node in _date_times(schemas[name])
        if node.get("examples") != [utc_iso(datetime(2026, 12, 7, 11, 20, 22, 123000, UTC))]
    ]
    assert "CardOut" in seen and not untyped, f"type these times as Timestamp: {untyped}"
