"""Statistics, the creator's dashboard and the rankings, end to end: views, likes and shares
flushed and rolled up by the jobs, then read through the API."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from content.models import StatsContentDay
from infra.services import Services
from tests import factories as f
from tests.helpers import eventually
from workers.feeds import flush_counters
from workers.stats import roll_up_recent

API = "/api/v1"


async def _admin_stats(http: httpx.AsyncClient, admin: f.Person, **params: str) -> dict[str, Any]:
    resp = await http.get(f"{API}/admin/stats", params=params, headers=admin.auth)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def _rows(services: Services, content_id: str) -> list[tuple[Any, ...]]:
    async with services.read_sessions() as session:
        rows = await session.exec(
            select(StatsContentDay).where(col(StatsContentDay.content_id) == content_id)
        )
        return [tuple(r.model_dump().items()) for r in rows.all()]


async def _engaged(client: httpx.AsyncClient, services: Services, crew: f.Crew) -> str:
    """A published article three people viewed, two liked and one shared, flushed and rolled
    up; returns its id."""
    content_id = await f.publish(client, crew, topics=["health"], audiences=["elderly"])
    viewers = [await f.person(services, "viewer") for _ in range(3)]
    for who in viewers:
        resp = await client.post(
            f"{API}/contents/{content_id}/views", json={"progress": 0.2}, headers=who.auth
        )
        assert resp.status_code == 202, resp.text
    for who in viewers[:2]:
        assert (await client.post(f"{API}/contents/{content_id}/like", headers=who.auth)).is_success
    share = await client.post(f"{API}/contents/{content_id}/share", headers=viewers[0].auth)
    assert share.is_success, share.text
    await flush_counters(services)
    await roll_up_recent(services)
    return content_id


async def test_engagement_rolls_up_into_operator_stats_and_a_rerun_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    await roll_up_recent(services)
    before = await _admin_stats(client, crew.admin)
    content_id = await _engaged(client, services, crew)
    after = await _admin_stats(client, crew.admin)

    def gained(part: dict[str, Any], was: dict[str, Any] | None) -> dict[str, int]:
        names = ("views", "viewers", "likes", "shares")
        return {n: part[n] - (was[n] if was else 0) for n in names}

    expected = {"views": 3, "viewers": 3, "likes": 2, "shares": 1}
    assert gained(after["totals"], before["totals"]) == expected

    def segment(body: dict[str, Any]) -> dict[str, Any] | None:
        pairs = {(s["topic"], s["audience"]): s for s in body["by_topic_audience"]}
        return pairs.get(("health", "elderly"))

    assert gained(segment(after) or {}, segment(before)) == expected
    articles = {t["type"]: t for t in before["by_type"]}.get("article")
    assert gained({t["type"]: t for t in after["by_type"]}["article"], articles) == expected
    # The publication went through both human stages: both counted, and its submission time.
    published_before = before["review"]["submit_to_publish"]["published"]
    assert after["review"]["submit_to_publish"]["published"] == published_before + 1
    decided = {(s["stage"], s["action"]) for s in after["review"]["stages"]}
    assert {("machine", "pass"), ("political", "approve"), ("science", "approve")} <= decided
    assert after["reports_by_reason"] == before["reports_by_reason"]  # nobody reported

    rows = await _rows(services, content_id)
    assert len(rows) == 1
    await roll_up_recent(services)
    assert await _rows(services, content_id) == rows  # a re-run gives the same rows


async def test_stats_refuse_bad_ranges_naming_the_field(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    cases = [
        ({"from": "2026-12-02", "to": "2026-12-01"}, "stats.range_reversed", "from"),
        ({"from": "2016-01-01", "to": "2026-01-01"}, "stats.range_too_long", "to"),
        ({"from": "2026-13-01"}, "stats.bad_date", "from"),
        ({"to": "tomorrow"}, "stats.bad_date", "to"),
    ]
    for params, code, field in cases:
        resp = await client.get(f"{API}/admin/stats", params=params, headers=admin.auth)
        assert f.assert_problem(resp, 422, code)["field"] == field
    year = await _admin_stats(client, admin, **{"from": "2025-01-01", "to": "2026-01-01"})
    assert year["days"] == 366
    viewer = await f.person(services, "viewer")
    resp = await client.get(f"{API}/admin/stats", headers=viewer.auth)
    f.assert_problem(resp, 403, "auth.missing_role")


async def test_rankings_list_published_content_and_drop_a_takedown_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await _engaged(client, services, crew)
    resp = await client.get(f"{API}/rankings", params={"period": "week"})
    assert resp.status_code == 200, resp.text
    ranked = {i["id"]: i for i in resp.json()["items"]}
    # 3 viewers × 1 + 2 likes × 2 + 1 share × 4
    assert ranked[content_id]["score"] == 11.0
    assert resp.json()["computed_at"] is not None
    again = await client.get(
        f"{API}/rankings",
        params={"period": "week"},
        headers={"If-None-Match": resp.headers["etag"]},
    )
    assert (again.status_code, again.content) == (304, b"")
    creators = await client.get(f"{API}/rankings", params={"period": "month", "kind": "creators"})
    people = {p["id"]: p for p in creators.json()["items"]}
    assert people[crew.creator.id]["score"] >= 11.0
    assert set(people[crew.creator.id]) == {"rank", "id", "display_name", "avatar_url", "score"}

    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    after = await client.get(f"{API}/rankings", params={"period": "week"})
    assert content_id not in {i["id"] for i in after.json()["items"]}
    bad = await client.get(f"{API}/rankings", params={"period": "decade"})
    assert f.assert_problem(bad, 422, "validation_error")["field"] == "period"


async def test_a_creator_sees_the_reach_of_their_own_contents_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await _engaged(client, services, crew)
    resp = await client.get(f"{API}/me/stats", headers=crew.creator.auth)
    assert resp.status_code == 200, resp.text
    mine = {i["content_id"]: i for i in resp.json()["items"]}
    got = mine[content_id]
    assert (got["views"], got["viewers"], got["likes"], got["shares"]) == (3, 3, 2, 1)
    assert (got["last_7_days"]["views"], got["last_7_days"]["likes"]) == (3, 2)
    assert got["completion_rate"] == 0.0

    other = await f.person(services, "creator")
    theirs = await client.get(f"{API}/me/stats", headers=other.auth)
    assert theirs.json() == {"items": [], "next_cursor": None}
    viewer = await f.person(services, "viewer")
    f.assert_problem(
        await client.get(f"{API}/me/stats", headers=viewer.auth), 403, "auth.missing_role"
    )


async def test_the_job_alone_brings_a_like_into_the_rankings_within_a_minute(
    client: httpx.AsyncClient, services: Services
) -> None:
    """No job is called by hand: the worker's own schedule (default settings) does it."""
    assert services.settings.stats_rollup_s == 30
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    assert (await client.post(f"{API}/contents/{content_id}/like", headers=fan.auth)).is_success

    async def ranked() -> object:
        resp = await client.get(f"{API}/rankings", params={"period": "week"})
        found = {i["id"]: i["score"] for i in resp.json()["items"]}
        return found.get(content_id) == 2.0  # one like × 2

    assert await eventually(ranked, within=60, interval=1.0)


async def test_reports_filed_in_the_range_are_counted_by_reason(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    await roll_up_recent(services)

    def by_reason(body: dict[str, Any]) -> dict[str, int]:
        return {r["reason"]: r["reports"] for r in body["reports_by_reason"]}

    before = by_reason(await _admin_stats(client, crew.admin))
    for reason in ("rumor", "rumor", "pseudoscience"):
        who = await f.person(services, "viewer")
        resp = await client.post(
            f"{API}/reports",
            json={"content_id": content_id, "reason": reason},
            headers=who.auth,
        )
        assert resp.status_code == 201, resp.text
    await roll_up_recent(services)  # a new run drops the answers saved since the last one
    after = by_reason(await _admin_stats(client, crew.admin))
    assert after.get("rumor", 0) - before.get("rumor", 0) == 2
    assert after.get("pseudoscience", 0) - before.get("pseudoscience", 0) == 1
    assert after.get("political", 0) == before.get("political", 0)
    long_ago = await _admin_stats(client, crew.admin, **{"from": "2020-01-01", "to": "2020-01-31"})
    assert long_ago["reports_by_reason"] == []
