"""Viewers report published content; operators see reports grouped by content, surging ones
first, and resolve a content's open reports together; every reporter hears the outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlmodel import select

from content.models import Content, ContentStatus, Report, ReportStatus
from infra.services import Services
from tests import factories as f

REPORTS = "/api/v1/reports"


async def _report(
    client: httpx.AsyncClient, who: f.Person, content_id: str, reason: str = "rumor", **kw: Any
) -> httpx.Response:
    return await client.post(
        REPORTS, json={"content_id": content_id, "reason": reason, **kw}, headers=who.auth
    )


async def _rows(services: Services, content_id: str) -> list[Report]:
    async with services.read_sessions() as session:
        rows = await session.exec(select(Report).where(Report.content_id == content_id))
        return list(rows.all())


async def _notifications(client: httpx.AsyncClient, who: f.Person) -> dict[str, Any]:
    resp = await client.get("/api/v1/me/notifications", headers=who.auth)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def _all_groups(client: httpx.AsyncClient, admin: f.Person, **query: str) -> list[Any]:
    """Every group of the operators' list, page by page."""
    groups: list[Any] = []
    cursor = ""
    while True:
        resp = await client.get(
            "/api/v1/admin/reports",
            params={**query, "cursor": cursor, "limit": "5"},
            headers=admin.auth,
        )
        assert resp.status_code == 200, resp.text
        groups += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return groups


async def test_a_viewer_reports_published_content_once_while_the_report_is_open(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    viewer = await f.person(services, "viewer")
    made = await _report(client, viewer, content_id, "pseudoscience", detail="  宣称包治百病  ")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "open" and body["reason"] == "pseudoscience"
    assert body["detail"] == "宣称包治百病" and body["created_at"].endswith("Z")

    again = await _report(client, viewer, content_id, "rumor")
    f.assert_problem(again, 409, "report.exists")
    rows = await _rows(services, content_id)
    assert [(r.user_id, r.reason) for r in rows] == [(viewer.id, "pseudoscience")]


async def test_only_published_content_can_be_reported_and_bad_input_writes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    viewer = await f.person(services, "viewer")
    draft = (await f.create(client, crew.creator))["id"]
    f.assert_problem(await _report(client, viewer, draft), 404, "content.not_found")
    f.assert_problem(await _report(client, viewer, "nope"), 404, "content.not_found")
    gone = await f.publish(client, crew)
    assert (await f.takedown(client, crew.admin, gone)).status_code == 200
    f.assert_problem(await _report(client, viewer, gone), 404, "content.not_found")

    live = await f.publish(client, crew)
    unknown = await _report(client, viewer, live, "boring")
    assert f.assert_problem(unknown, 422, "validation_error")["field"] == "reason"
    invisible = await _report(client, viewer, live, detail="\u200b\u200d\u2060")
    assert f.assert_problem(invisible, 422, "invalid")["field"] == "detail"
    too_long = await _report(client, viewer, live, detail="谣" * 501)
    assert f.assert_problem(too_long, 422, "invalid")["field"] == "detail"
    assert await _rows(services, live) == []
    anonymous = await client.post(REPORTS, json={"content_id": live, "reason": "rumor"})
    f.assert_problem(anonymous, 401)


async def test_many_reports_in_a_short_time_put_a_content_at_the_top(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.settings, "report_surge_count", 3)
    crew = await f.crew(services)
    surging, quiet = await f.publish(client, crew), await f.publish(client, crew)
    reporters = [await f.person(services, "viewer") for _ in range(3)]
    for who, reason in zip(reporters, ["rumor", "rumor", "political"], strict=True):
        assert (await _report(client, who, surging, reason)).status_code == 201
    # Reported after the surge: the newest report, yet below the surging content.
    assert (await _report(client, reporters[0], quiet, "other")).status_code == 201

    groups = await _all_groups(client, crew.admin, status="open")
    ids = [g["content_id"] for g in groups]
    assert len(ids) == len(set(ids))  # paging neither repeats nor skips a group
    top = groups[ids.index(surging)]
    assert top["surge"] is True and ids.index(surging) < ids.index(quiet)
    assert (top["reports"], top["open"], top["status"]) == (3, 3, "published")
    assert top["reasons"] == {"rumor": 2, "pseudoscience": 0, "political": 1, "other": 0}
    assert top["title"] and len(top["items"]) == 3
    assert [i["created_at"] for i in top["items"]] == sorted(
        (i["created_at"] for i in top["items"]), reverse=True
    )
    assert groups[ids.index(quiet)]["surge"] is False
    # The surging groups come before every other one.
    flags = [g["surge"] for g in groups]
    assert flags == sorted(flags, reverse=True)

    bad = await client.get(
        "/api/v1/admin/reports", params={"cursor": "garbage"}, headers=crew.admin.auth
    )
    assert f.assert_problem(bad, 422, "invalid")["field"] == "cursor"
    viewer_looks = await client.get("/api/v1/admin/reports", headers=reporters[0].auth)
    f.assert_problem(viewer_looks, 403, "auth.missing_role")


async def test_dismissing_closes_every_open_report_on_the_content_and_tells_each_reporter(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    first, second = await f.person(services, "viewer"), await f.person(services, "viewer")
    report_id = (await _report(client, first, content_id)).json()["id"]
    assert (await _report(client, second, content_id, "other")).status_code == 201

    resolved = await client.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        json={"action": "dismiss", "note": "经核查无误"},
        headers=crew.admin.auth,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["content_status"] == "published"
    assert len(resolved.json()["resolved"]) == 2
    rows = await _rows(services, content_id)
    assert {(r.status, r.resolution, r.resolved_by) for r in rows} == {
        (ReportStatus.resolved, "dismiss", crew.admin.id)
    }
    for reporter in (first, second):
        told = await _notifications(client, reporter)
        assert told["unread"] == 1
        [note] = told["items"]
        assert note["kind"] == "report_outcome" and note["content_id"] == content_id
        assert "未发现问题" in note["text"] and note["read"] is False
    assert (await f.get(client, None, content_id)).status_code == 200

    again = await client.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        json={"action": "takedown"},
        headers=crew.admin.auth,
    )
    f.assert_problem(again, 409, "report.resolved")
    assert (await f.get(client, None, content_id)).status_code == 200
    # Resolved, the viewer may report it anew.
    assert (await _report(client, first, content_id)).status_code == 201
    missing = await client.post(
        "/api/v1/admin/reports/nope/resolve", json={"action": "dismiss"}, headers=crew.admin.auth
    )
    f.assert_problem(missing, 404, "report.not_found")


async def test_a_takedown_from_a_report_removes_the_content_and_tells_reporters_and_creator(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    viewer = await f.person(services, "viewer")
    report_id = (await _report(client, viewer, content_id, "rumor")).json()["id"]

    resolved = await client.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        json={"action": "takedown", "note": "与权威辟谣不符"},
        headers=crew.admin.auth,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["content_status"] == "taken_down"
    assert (await f.get(client, None, content_id)).status_code == 404
    async with services.read_sessions() as session:
        content = await session.get(Content, content_id)
        assert content is not None and content.status == ContentStatus.taken_down
        assert content.removed_reason == "用户举报（谣言）：与权威辟谣不符"
    [told] = (await _notifications(client, viewer))["items"]
    assert told["kind"] == "report_outcome" and "已下架" in told["text"]
    creator_told = (await _notifications(client, crew.creator))["items"]
    assert creator_told[0]["kind"] == "review_outcome"
    assert "已被下架" in creator_told[0]["text"] and "谣言" in creator_told[0]["text"]
    resolved_list = await _all_groups(client, crew.admin, status="resolved")
    [group] = [g for g in resolved_list if g["content_id"] == content_id]
    assert group["status"] == "taken_down" and group["open"] == 0
    assert group["items"][0]["resolution"] == "takedown"


async def test_two_operators_resolving_at_once_close_the_reports_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    other_admin = await f.person(services, "admin")
    content_id = await f.publish(client, crew)
    viewer = await f.person(services, "viewer")
    report_id = (await _report(client, viewer, content_id)).json()["id"]
    answers = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/admin/reports/{report_id}/resolve",
                json={"action": action},
                headers=who.auth,
            )
            for who, action in ((crew.admin, "dismiss"), (other_admin, "takedown"))
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    f.assert_problem(loser, 409, "report.resolved")
    winner = next(a for a in answers if a.status_code == 200).json()
    [row] = await _rows(services, content_id)
    assert row.resolution == winner["action"]
    # The reporter hears once, of the decision that stood.
    assert len((await _notifications(client, viewer))["items"]) == 1
