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
from tests.console.operating import error_of, feed_ids, operator, report, stored


async def reports_of(services: Services, content_id: str) -> list[Report]:
    async with services.write_sessions() as session:
        rows = await session.exec(
            select(Report).where(Report.content_id == content_id).order_by(col(Report.id))
        )
        return list(rows.all())


async def status_of(services: Services, content_id: str) -> ContentStatus:
    return (await stored(services, Content, content_id)).status


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
    await operator(console, services)
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
    await operator(console, services)
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
    await operator(console, services)
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
    await operator(console, services)
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
    assert content_id not in await feed_ids(client)


async def test_bad_input_is_a_message_and_nothing_is_resolved(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, title="<b>加粗</b>的标题")
    report_id = await report(
        client, await f.person(services, "viewer"), content_id, "other", "<script>alert(1)</script>"
    )
    await operator(console, services)
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


async def test_a_refused_resolution_comes_back_with_its_note_and_action_once(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    refused_id = await f.publish(client, crew, title="备注过长的举报")
    other_id = await f.publish(client, crew, title="另一条被举报的文章")
    report_id = await report(client, await f.person(services, "viewer"), refused_id, "rumor")
    await report(client, await f.person(services, "viewer"), other_id, "other")
    await operator(console, services)
    page = await console.get("/console/reports")
    assert f'name="group" value="{refused_id}"' in page.text
    note = "<i>核实</i>" + "长" * 500  # over 500 characters: refused
    resp = await console.post(
        f"/console/reports/{report_id}/resolve",
        {"action": "takedown", "note": note, "group": refused_id},
        referer="/console/reports",
    )
    assert error_of(resp) == "422 invalid" and resp.headers["location"] == "/console/reports"
    page = await console.get("/console/reports")
    assert "字段：note" in page.text
    typed = "&lt;i&gt;核实&lt;/i&gt;" + "长" * 500
    # Back in the refused group's form only, takedown still chosen; the other group's untouched.
    assert f'id="note-{refused_id}" name="note" maxlength="500" class="grow" value="{typed}">' in (
        page.text
    )
    assert page.text.count(typed) == 1 and "<i>核实</i>" not in page.text
    assert f'id="takedown-{refused_id}" name="action" value="takedown" checked>' in page.text
    assert f'id="dismiss-{refused_id}" name="action" value="dismiss">' in page.text
    assert f'id="note-{other_id}" name="note" maxlength="500" class="grow" value="">' in page.text
    assert f'id="dismiss-{other_id}" name="action" value="dismiss" checked>' in page.text
    again = await console.get("/console/reports")
    assert "核实" not in again.text
    assert f'id="dismiss-{refused_id}" name="action" value="dismiss" checked>' in again.text
    assert [r.status for r in await reports_of(services, refused_id)] == [ReportStatus.open]
    assert await status_of(services, refused_id) == ContentStatus.published
