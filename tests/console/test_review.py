"""The reviewers' pages over HTTP: the queues with their counts, a queue oldest first, taking the
next task, the review page (findings marked, references, the diff, the history) and decisions —
and what goes wrong: another stage's or discipline's task, another reviewer's claim, a double
click, HTML in a comment, a reject without one. Each page costs a few SQL statements, whatever
the number of tasks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from content import review
from content.models import (
    Action,
    ReviewEvent,
    ReviewTask,
    Revision,
    Stage,
    TaskStatus,
    User,
)
from infra.services import Services
from tests.console.harness import Console, queries
from tests.console.reviewing import (
    FLAGGED_BODY,
    bulk_science_tasks,
    new_discipline,
    political_task,
    science_queue,
    science_task,
)
from tests.factories import Person, open_task_in_session, person


async def events_of(services: Services, content_id: str) -> list[ReviewEvent]:
    async with services.read_sessions() as s:
        rows = await s.exec(
            select(ReviewEvent)
            .where(ReviewEvent.content_id == content_id)
            .order_by(col(ReviewEvent.created_at))
        )
        return list(rows.all())


async def task_row(services: Services, task_id: str) -> ReviewTask:
    async with services.read_sessions() as s:
        task = await s.get(ReviewTask, task_id)
        assert task is not None
        return task


async def a_political_reviewer_on_a_task(
    console: Console, services: Services, **article: Any
) -> tuple[Person, str, str]:
    """A political reviewer logged in, and a creator's article waiting for them: (the
    reviewer, content id, task id)."""
    creator = await person(services, "creator")
    political = await person(services, "political_reviewer")
    content_id, task_id = await political_task(services, creator, **article)
    await console.login(political)
    return political, content_id, task_id


async def test_the_queues_page_counts_open_and_unclaimed_tasks_per_queue(
    console: Console, services: Services
) -> None:
    discipline = await new_discipline(services)
    creator = await person(services, "creator")
    science = await person(services, "science_reviewer", disciplines=(discipline, "medicine"))
    other = await person(services, "science_reviewer", disciplines=(discipline,))
    await science_task(services, creator, discipline)
    _, second = await science_task(services, creator, discipline)
    async with services.write_sessions() as s:
        holder = await s.get(User, other.id)
        assert holder is not None
        await review.claim(s, holder, second, 600)
        await s.commit()
    await console.login(science)
    with queries(services) as seen:
        page = await console.get("/console/review")
    assert page.status_code == 200
    assert len(seen) <= 4, seen
    text = page.text
    row = text[text.index(f"?discipline={discipline}") :].split("</tr>")[0]
    # 2 open, 1 unclaimed, waiting for seconds; one queue per discipline the reviewer holds
    assert [c.split(">")[-1] for c in row.split("</td>")[:3]] == [
        "2",
        "1",
        row.split("</td>")[2].split(">")[-1],
    ]
    assert "秒" in row.split("</td>")[2]
    assert "科学审核 · 医学" in text or "科学审核 · medicine" in text
    assert "政治审核" not in text  # no stage they do not work


async def test_a_queue_lists_oldest_first_and_costs_the_same_queries_for_3_or_300_tasks(
    console: Console, services: Services
) -> None:
    few, many = await new_discipline(services), await new_discipline(services)
    creator = await person(services, "creator")
    science = await person(services, "science_reviewer", disciplines=(few, many))
    await bulk_science_tasks(services, creator, few, 3)
    await bulk_science_tasks(services, creator, many, 300)
    await console.login(science)
    costs = []
    for discipline, n in ((few, 3), (many, 300)):
        with queries(services) as seen:
            page = await console.get(f"/console/review/queue/science?discipline={discipline}")
        assert page.status_code == 200
        costs.append(len(seen))
        assert page.text.count("<tr>") == 1 + min(n, 100)
    assert costs[0] == costs[1] and costs[0] <= 6, costs
    titles = [t.split("<")[0] for t in page.text.split("批量文章 ")[1:]]
    assert titles[:3] == ["0", "1", "2"]  # oldest first, the first 100 listed
    assert "下表列出等待最久的 100 条，队列里还有更多" in page.text
    assert 'data-shortcut="n"' in page.text and "开始审核下一条" in page.text


async def test_next_claims_the_oldest_task_and_an_empty_queue_says_so(
    console: Console, services: Services
) -> None:
    discipline, science, [(_, first), (_, second)] = await science_queue(
        services, "第一篇", "第二篇"
    )
    await console.login(science)
    await console.get(f"/console/review/queue/science?discipline={discipline}")
    resp = await console.post("/console/review/queue/science/next", {"discipline": discipline})
    assert resp.status_code == 303 and resp.headers["location"] == f"/console/review/tasks/{first}"
    assert (await task_row(services, first)).claimed_by == science.id
    # "next" from the task's page passes it over and takes the one after
    resp = await console.post(
        "/console/review/queue/science/next", {"discipline": discipline, "skip": first}
    )
    assert resp.headers["location"] == f"/console/review/tasks/{second}"
    async with services.write_sessions() as s:
        await s.exec(
            sa.update(ReviewTask)
            .where(col(ReviewTask.id).in_([first, second]))
            .values(status=TaskStatus.cancelled)
        )
        await s.commit()
    resp = await console.post("/console/review/queue/science/next", {"discipline": discipline})
    assert resp.status_code == 303
    assert resp.headers["location"] == f"/console/review/queue/science?discipline={discipline}"
    page = await console.get(resp.headers["location"])
    assert "这个队列里没有可以领取的任务了" in page.text


async def test_the_review_page_marks_findings_and_shows_references_diff_and_history(
    console: Console, services: Services
) -> None:
    _, content_id, task_id = await a_political_reviewer_on_a_task(
        console, services, title="偏方能治病吗", body=FLAGGED_BODY
    )
    with queries(services) as seen:
        page = await console.get(f"/console/review/tasks/{task_id}")
    assert page.status_code == 200, page.text
    assert len(seen) <= 8, "\n".join(seen)
    text = page.text
    assert '<mark class="finding warn" title="' in text
    assert "根治</mark>" in text and "100%有效</mark>" in text
    assert 'id="mark-0"' in text and 'href="#mark-0"' in text
    assert (
        'target="_blank" rel="noopener noreferrer"' in text and "https://example.org/guide" in text
    )
    assert "<h2" in text and text.count("<h1") == 1
    assert "提交" in text and "机审通过" in text  # the history so far
    for key in ("a", "r", "c", "n"):
        assert f'data-shortcut="{key}"' in text and f"<kbd>{key}</kbd>" in text
    assert 'data-fills="#comment"' in text and "缺少参考来源" in text
    assert "尚未认领" in text
    # the article the API serves, sanitised
    assert "<h2>老偏方</h2>" in text
    assert content_id


async def test_the_review_page_of_a_second_revision_shows_what_changed(
    console: Console, services: Services
) -> None:
    from content import items
    from content.items import Draft

    creator = await person(services, "creator")
    political = await person(services, "political_reviewer")
    other = await person(services, "political_reviewer")
    content_id, task_id = await political_task(services, creator, body="吃蔬菜有益健康。")
    async with services.write_sessions() as s:
        reviewer = await s.get(User, other.id)
        owner = await s.get(User, creator.id)
        assert reviewer is not None and owner is not None
        await review.decide(s, reviewer, task_id, Action.request_changes, "请补充来源")
        await items.edit(
            s,
            services.settings,
            owner,
            content_id,
            Draft(body="多吃新鲜蔬菜有益健康。", given={"body"}),
        )
        await items.submit(s, owner, content_id)
        rev = (
            await s.exec(
                select(Revision).where(Revision.content_id == content_id, Revision.number == 2)
            )
        ).one()
        assert await review.run_machine_stage(s, rev.id) == "passed"
        second = await open_task_in_session(s, content_id, Stage.political)
        await s.commit()
    await console.login(political)
    page = await console.get(f"/console/review/tasks/{second}")
    assert page.status_code == 200, page.text
    assert "与第 1 版相比" in page.text
    assert "<ins>多</ins>" in page.text and "<ins>新鲜</ins>" in page.text
    assert "请补充来源" in page.text  # the earlier comment


async def test_a_decision_opens_the_next_task_of_the_queue_with_what_was_decided(
    console: Console, services: Services
) -> None:
    discipline, science, [(first_id, first), (_, second)] = await science_queue(
        services, "先来的", "后到的"
    )
    await console.login(science)
    page = await console.get(f"/console/review/tasks/{first}")
    with queries(services) as seen:
        resp = await console.post(
            f"/console/review/tasks/{first}/decision", {"decision": "approve", "comment": ""}
        )
    assert resp.status_code == 303 and resp.headers["location"] == f"/console/review/tasks/{second}"
    assert len(seen) <= 25, len(seen)  # the decision and its publication, then the next claim
    page = await console.get(resp.headers["location"])
    assert "已通过：《先来的》" in page.text and "由你认领" in page.text
    assert (await task_row(services, first)).status == TaskStatus.approved
    assert (await task_row(services, second)).claimed_by == science.id
    resp = await console.post(
        f"/console/review/tasks/{second}/decision",
        {"decision": "request_changes", "comment": "请补充来源"},
    )
    assert resp.headers["location"] == f"/console/review/queue/science?discipline={discipline}"
    page = await console.get(resp.headers["location"])
    assert "已要求修改：《后到的》。队列里没有更多任务了" in page.text
    assert first_id


async def test_another_stages_or_disciplines_task_does_not_exist_for_a_reviewer(
    console: Console, services: Services
) -> None:
    mine, theirs = await new_discipline(services), await new_discipline(services)
    creator = await person(services, "creator")
    political = await person(services, "political_reviewer")
    science = await person(services, "science_reviewer", disciplines=(mine,))
    _, political_task_id = await political_task(services, creator)
    _, other_discipline = await science_task(services, creator, theirs)
    await console.login(science)
    for task_id in (political_task_id, other_discipline):
        page = await console.get(f"/console/review/tasks/{task_id}")
        assert page.status_code == 404 and "找不到该审核任务" in page.text
        resp = await console.post(
            f"/console/review/tasks/{task_id}/decision",
            {"decision": "approve"},
            referer="/console/review",
        )
        assert resp.headers["x-console-error"] == "404 review.not_found"
        assert (await task_row(services, task_id)).status == TaskStatus.open
    page = await console.get(f"/console/review/queue/science?discipline={theirs}")
    assert page.status_code == 404
    page = await console.get("/console/review/queue/political")
    assert page.status_code == 403
    await console.login(political)
    page = await console.get(f"/console/review/tasks/{other_discipline}")
    assert page.status_code == 404


async def test_a_task_claimed_in_another_tab_says_who_holds_it_and_nothing_is_written(
    console: Console, services: Services, app: Any
) -> None:
    creator = await person(services, "creator")
    alice = await person(services, "political_reviewer")
    bob = await person(services, "political_reviewer")
    content_id, task_id = await political_task(services, creator)
    await console.login(bob)
    await console.get(f"/console/review/tasks/{task_id}")  # bob's tab, opened first
    async with Console(app) as other:
        await other.login(alice)
        await other.get(f"/console/review/tasks/{task_id}")
        claimed = await other.post(f"/console/review/tasks/{task_id}/claim")
        assert claimed.status_code == 303
    before = len(await events_of(services, content_id))
    typed = "第三段的数据来源需要<b>补充</b>，请作者附上原始研究。"
    resp = await console.post(
        f"/console/review/tasks/{task_id}/decision",
        {"decision": "request_changes", "comment": typed},
        referer=f"/console/review/tasks/{task_id}",
    )
    assert (
        resp.status_code == 303 and resp.headers["x-console-error"] == "409 review.already_claimed"
    )
    assert resp.headers["location"] == f"/console/review/tasks/{task_id}"
    page = await console.get(resp.headers["location"])
    until = (await task_row(services, task_id)).claim_expires_at
    assert "该任务已被其他审核员领取" in page.text
    assert f"<strong>{alice.username}</strong> 已认领，至" in page.text
    from api.console.pages import local_time

    assert local_time(until, with_date=False) in page.text
    # What bob typed is back in the box (escaped), not lost with the refusal — once.
    assert (
        ">第三段的数据来源需要&lt;b&gt;补充&lt;/b&gt;，请作者附上原始研究。</textarea>" in page.text
    )
    again = await console.get(resp.headers["location"])
    assert "第三段的数据来源需要" not in again.text
    assert (await task_row(services, task_id)).status == TaskStatus.open
    assert len(await events_of(services, content_id)) == before
    resp = await console.post(f"/console/review/tasks/{task_id}/claim")
    assert resp.headers["x-console-error"] == "409 review.already_claimed"
    assert (await task_row(services, task_id)).claimed_by == alice.id


async def test_a_double_clicked_approve_moves_the_workflow_once(
    console: Console, services: Services
) -> None:
    political, content_id, task_id = await a_political_reviewer_on_a_task(console, services)
    await console.get(f"/console/review/tasks/{task_id}")
    referer = f"/console/review/tasks/{task_id}"
    first = await console.post(
        f"/console/review/tasks/{task_id}/decision", {"decision": "approve"}, referer=referer
    )
    second = await console.post(
        f"/console/review/tasks/{task_id}/decision", {"decision": "approve"}, referer=referer
    )
    assert first.status_code == 303 and "x-console-error" not in first.headers
    assert second.status_code == 303
    assert second.headers["x-console-error"] == "409 review.task_closed"
    page = await console.get(second.headers["location"])
    assert "该审核任务已结束" in page.text
    approvals = [e for e in await events_of(services, content_id) if e.action == Action.approve]
    assert len(approvals) == 1 and approvals[0].actor_id == political.id


async def test_html_in_a_comment_is_shown_as_text(console: Console, services: Services) -> None:
    _, _, task_id = await a_political_reviewer_on_a_task(console, services, title="<b>粗体</b>标题")
    await console.get(f"/console/review/tasks/{task_id}")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    resp = await console.post(
        f"/console/review/tasks/{task_id}/decision",
        {"decision": "request_changes", "comment": evil},
    )
    assert resp.status_code == 303 and "x-console-error" not in resp.headers
    page = await console.get(f"/console/review/tasks/{task_id}")  # decided by them: still theirs
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;粗体&lt;/b&gt;标题" in page.text


async def test_a_reject_without_a_comment_is_refused_and_nothing_is_written(
    console: Console, services: Services
) -> None:
    _, content_id, task_id = await a_political_reviewer_on_a_task(console, services)
    await console.get(f"/console/review/tasks/{task_id}")
    before = len(await events_of(services, content_id))
    for comment in ("", "   "):
        resp = await console.post(
            f"/console/review/tasks/{task_id}/decision", {"decision": "reject", "comment": comment}
        )
        assert resp.status_code == 303 and resp.headers["x-console-error"] == "422 invalid"
        page = await console.get(resp.headers["location"])
        assert "comment" in page.text or "意见" in page.text
    assert (await task_row(services, task_id)).status == TaskStatus.open
    assert len(await events_of(services, content_id)) == before
    too_long = await console.post(
        f"/console/review/tasks/{task_id}/decision",
        {"decision": "reject", "comment": "长" * (review.MAX_COMMENT + 1)},
    )
    assert too_long.headers["x-console-error"].startswith("422")
    assert (await task_row(services, task_id)).status == TaskStatus.open


async def test_a_claim_ending_on_another_day_shows_its_date(
    console: Console, services: Services
) -> None:
    from datetime import timedelta

    from api.console.pages import local_time
    from api.console.routes.review import claim_until
    from infra.clock import utcnow

    discipline, alice, [(_, task_id)] = await science_queue(services, "明天还在审的文章")
    bob = await person(services, "science_reviewer", disciplines=(discipline,))
    until = utcnow() + timedelta(days=3)
    async with services.write_sessions() as s:
        await s.exec(
            sa.update(ReviewTask)
            .where(col(ReviewTask.id) == task_id)
            .values(claimed_by=alice.id, claim_expires_at=until)
        )
        await s.commit()
    await console.login(bob)
    shown = local_time(until)  # 2026-12-10 15:30: China's date and time
    assert len(shown) == 16
    for url in (
        f"/console/review/queue/science?discipline={discipline}",
        f"/console/review/tasks/{task_id}",
    ):
        page = (await console.get(url)).text
        assert f"，至 {shown}" in page, url
    # Today's end is the time alone.
    now = utcnow()
    assert claim_until(now, now) == local_time(now, with_date=False)
