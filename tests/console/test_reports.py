"""The operators' reports page over HTTP: viewers' reports grouped by content, surges first, with
their status and reasons; resolving a content's open reports (dismiss, or take it down) through
the API's service, the outcome as a message; bad input refused with nothing written; a handful of
SQL statements however many groups there are."""

from __future__ import annotations

import httpx
from sqlmodel import col, select

from content.models import Content, ContentStatus, Report, ReportAction, ReportStatus
from infra.services import Services
from tests import factories as f
from tests.console.harness import Console, queries


async def report(
    client: httpx.AsyncClient, who: f.Person, content_id: str, reason: str, detail: str = ""
) -> str:
    resp = await client.post(
        "/api/v1/reports",
        json={"content_id": content_id, "reason": reason, "detail": detail},
        headers=who.auth,
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def reports_of(services: Services, content_id: str) -> list[Report]:
    async with services.write_sessions() as session:
        rows = await session.exec(
            select(Report).where(Report.content_id == content_id).order_by(col(Report.id))
        )
        return list(rows.all())


async def status_of(services: Services, content_id: str) -> ContentStatus:
    async with services.write_sessions() as session:
        content = await session.get(Content, content_id)
        assert content is not None
        return content.status


def error_of(resp: httpx.Response) -> str | None:
    return resp.headers.get("x-console-error")


async def test_reports_are_grouped_by_content_with_surges_first(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    surging = await f.publish(client, crew, title="被大量举报的文章")
    calm = await f.publish(client, crew, title="只被举报一次的文章")
    count = services.settings.report_surge_count
    viewers = [await f.person(services, "viewer") for _ in range(count)]
    for i, viewer in enumerate(viewers):
        await report(client, viewer, surging, "rumor" if i % 2 else "pseudoscience", f"第{i}条")
    await report(client, viewers[0], calm, "other", "标题党")  # the newest, yet below the surge
    admin = await f.person(services, "admin")
    await console.login(admin)
    with queries(services) as seen:
        page = await console.get("/console/reports")
    assert page.status_code == 200
    text = page.text
    assert text.index("被大量举报的文章") < text.index("只被举报一次的文章")
    assert "激增" in text and f"待处理 <strong>{count}</strong> 条" in text
    assert "谣言" in text and "伪科学" in text and "其他问题" in text and "标题党" in text
    assert len(seen) <= 5, seen
    resolved = await console.get("/console/reports", params={"status": "resolved"})
    assert "被大量举报的文章" not in resolved.text
    bad = await console.get("/console/reports", params={"status": "nonsense"})
    assert bad.status_code == 422 and error_of(bad) == "422 invalid"


async def test_the_page_costs_the_same_statements_for_one_group_or_many(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    viewer = await f.person(services, "viewer")
    admin = await f.person(services, "admin")
    await console.login(admin)
    await report(client, viewer, await f.publish(client, crew), "rumor")
    with queries(services) as few:
        await console.get("/console/reports", params={"status": "all"})
    for _ in range(3):
        await report(client, viewer, await f.publish(client, crew), "rumor")
    with queries(services) as many:
        page = await console.get("/console/reports", params={"status": "all"})
    assert page.text.count('class="card report-group') >= 4
    assert len(many) == len(few) <= 5, many


async def test_dismissing_closes_every_open_report_of_the_content_and_says_so(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, title="其实没问题的文章")
    first = await report(client, await f.person(services, "viewer"), content_id, "rumor")
    await report(client, await f.person(services, "viewer"), content_id, "other")
    admin = await f.person(services, "admin")
    await console.login(admin)
    page = await console.get("/console/reports")
    assert 'action="/console/reports/' in page.text
    resp = await console.post(
        f"/console/reports/{first}/resolve",
        {"action": "dismiss", "note": "经核实内容准确"},
        referer="/console/reports?status=open",
    )
    assert resp.status_code == 303 and error_of(resp) is None
    assert resp.headers["location"] == "/console/reports?status=open"
    after = await console.get(resp.headers["location"])
    assert "已驳回 2 条举报" in after.text
    rows = await reports_of(services, content_id)
    assert {(r.status, r.resolution, r.note) for r in rows} == {
        (ReportStatus.resolved, ReportAction.dismiss, "经核实内容准确")
    }
    assert await status_of(services, content_id) == ContentStatus.published

    # The same form again (another tab, a double click): the service's conflict, readable.
    again = await console.post(
        f"/console/reports/{first}/resolve", {"action": "dismiss"}, referer="/console/reports"
    )
    assert error_of(again) == "409 report.resolved"
    assert "该举报已处理" in (await console.get(again.headers["location"])).text


async def test_taking_down_through_a_report_removes_the_content_from_the_feed(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, title="确实是谣言的文章")
    report_id = await report(client, await f.person(services, "viewer"), content_id, "rumor")
    admin = await f.person(services, "admin")
    await console.login(admin)
    await console.get("/console/reports")
    resp = await console.post(
        f"/console/reports/{report_id}/resolve",
        {"action": "takedown", "note": "与权威辟谣一致"},
        referer="/console/reports",
    )
    assert resp.status_code == 303 and error_of(resp) is None
    assert "已下架该内容，关闭 1 条举报" in (await console.get("/console/reports")).text
    assert await status_of(services, content_id) == ContentStatus.taken_down
    assert (await f.get(client, None, content_id)).status_code == 404
    feed = await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})
    assert content_id not in [c["id"] for c in feed.json()["items"]]


async def test_bad_input_is_a_message_and_nothing_is_resolved(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, title="<b>加粗</b>的标题")
    report_id = await report(
        client, await f.person(services, "viewer"), content_id, "other", "<script>alert(1)</script>"
    )
    admin = await f.person(services, "admin")
    await console.login(admin)
    page = await console.get("/console/reports")
    assert (
        "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    )
    assert "<b>加粗</b>" not in page.text and "&lt;b&gt;加粗&lt;/b&gt;" in page.text

    too_long = await console.post(
        f"/console/reports/{report_id}/resolve",
        {"action": "dismiss", "note": "长" * 501},
        referer="/console/reports",
    )
    assert error_of(too_long) == "422 invalid"
    assert "字段：note" in (await console.get(too_long.headers["location"])).text
    unknown_action = await console.post(
        f"/console/reports/{report_id}/resolve", {"action": "ignore"}, referer="/console/reports"
    )
    assert error_of(unknown_action) == "422 validation_error"
    unknown = await console.post(
        "/console/reports/01jzzzzzzzzzzzzzzzzzzzzzzz/resolve",
        {"action": "dismiss"},
        referer="/console/reports",
    )
    assert error_of(unknown) == "404 report.not_found"
    assert [r.status for r in await reports_of(services, content_id)] == [ReportStatus.open]
    assert await status_of(services, content_id) == ContentStatus.published
