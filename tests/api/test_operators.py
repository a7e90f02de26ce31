"""Operators keep the screening dictionary and the rumor library, and pin emergency content."""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from content.models import ScreeningTerm
from infra.clock import utcnow
from infra.services import Services
from tests import factories as f


async def test_a_term_added_by_an_operator_blocks_new_submissions_until_removed(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    creator = await f.person(services, "creator")
    word = "伪科学样例" + secrets.token_hex(2)
    added = await client.post(
        "/api/v1/admin/screening/terms",
        json={"term": word, "category": "fraud", "severity": "block"},
        headers=admin.auth,
    )
    assert added.status_code == 201
    blocked = await f.screened(client, creator, summary=f"本文介绍{word}的原理")
    assert blocked["status"] == "rejected"
    assert blocked["findings"][0]["excerpt"] == word

    again = await client.post(
        "/api/v1/admin/screening/terms",
        json={"term": word, "category": "fraud", "severity": "warn"},
        headers=admin.auth,
    )
    f.assert_problem(again, 409, "term.exists")
    async with services.read_sessions() as session:
        kept = await session.exec(select(ScreeningTerm).where(ScreeningTerm.term == word))
        assert [t.severity for t in kept.all()] == ["block"]  # the first entry, unchanged
    removed = await client.delete(
        f"/api/v1/admin/screening/terms/{added.json()['id']}", headers=admin.auth
    )
    assert removed.status_code == 204
    passed = await f.screened(client, creator, summary=f"本文介绍{word}的原理")
    assert passed["status"] == "in_review" and passed["review_stage"] == "political"


async def test_only_admins_keep_the_dictionary(
    client: httpx.AsyncClient, services: Services
) -> None:
    reviewer = await f.person(services, "political_reviewer")
    resp = await client.post(
        "/api/v1/admin/screening/terms",
        json={"term": "随便", "category": "x", "severity": "block"},
        headers=reviewer.auth,
    )
    assert resp.status_code == 403
    assert (
        await client.get("/api/v1/admin/screening/terms", headers=reviewer.auth)
    ).status_code == 403


async def test_rumor_library_match_travels_to_reviewers_with_the_truth(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    creator = await f.person(services, "creator")
    marker = secrets.token_hex(3)
    rumor = await client.post(
        "/api/v1/admin/rumors",
        json={
            "claim": f"吃{marker}能防癌",
            "truth": "没有任何单一食物能预防癌症。",
            "keywords": [marker, "防癌"],
            "source": "科学辟谣平台",
        },
        headers=admin.auth,
    )
    assert rumor.status_code == 201
    listed = (await client.get("/api/v1/admin/rumors", headers=admin.auth)).json()
    assert rumor.json()["id"] in [r["id"] for r in listed["items"]]
    judged = await f.screened(client, creator, body=f"听说每天吃{marker}就能防癌，是真的吗？")
    hits = [x for x in judged["findings"] if x["check"] == "rumor"]
    assert hits and "没有任何单一食物能预防癌症" in hits[0]["message"]


async def test_pinned_emergency_content_comes_first_until_unpinned(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    older = await f.publish(client, crew, topics=["emergency"], title="台风来临前的准备")
    await f.publish(client, crew, topics=["emergency"], title="暴雨天出行安全")
    pin = await f.pin(client, crew.admin, older, utcnow() + timedelta(hours=6))
    assert pin.status_code == 200
    first = (await client.get("/api/v1/feed", params={"topic": "emergency"})).json()["items"][0]
    assert first["id"] == older and first["pinned"] is True
    unpin = await client.delete(f"/api/v1/admin/contents/{older}/pin", headers=crew.admin.auth)
    assert unpin.status_code == 200
    items = (await client.get("/api/v1/feed", params={"topic": "emergency"})).json()["items"]
    assert items[0]["id"] != older and not any(c["pinned"] for c in items if c["id"] == older)


@pytest.mark.parametrize(
    "until", ["2020-01-01T00:00:00+00:00", "2099-01-01T00:00:00", "9999-12-31T23:59:59-14:00"]
)
async def test_a_past_or_unusable_pin_date_is_422_pin_invalid_until(
    client: httpx.AsyncClient, services: Services, until: str
) -> None:
    crew = await f.crew(services)
    published = await f.publish(client, crew, topics=["emergency"])
    body = f.assert_problem(await f.pin(client, crew.admin, published, until), 422)
    assert body["code"] == "pin.invalid_until" and body["field"] == "until"
    after = await client.get(f"/api/v1/contents/{published}")
    assert after.json()["pinned"] is False  # nothing was pinned


async def test_pinning_a_draft_is_409(client: httpx.AsyncClient, services: Services) -> None:
    crew = await f.crew(services)
    draft = await f.create(client, crew.creator)
    resp = await f.pin(client, crew.admin, draft["id"], utcnow() + timedelta(hours=1))
    f.assert_problem(resp, 409, "workflow.invalid_state")
    # Nothing was pinned: the draft reads as before, and it is in no feed.
    after = await client.get(f"/api/v1/contents/{draft['id']}", headers=crew.creator.auth)
    assert after.json()["pinned"] is False and after.json()["status"] == "draft"
    feed = (await client.get("/api/v1/feed")).json()["items"]
    assert draft["id"] not in [c["id"] for c in feed]


async def test_feed_pages_with_a_cursor_without_repeats(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    ids = [await f.publish(client, crew, topics=["youth-stem"]) for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"topic": "youth-stem", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/feed", params=params)).json()
        seen += [c["id"] for c in page["items"] if not c["pinned"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in ids] == list(reversed(ids))  # newest first
