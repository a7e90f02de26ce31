"""The console's review services: findings cut at their offsets, a character diff, and queues
that count, list and hand out exactly what the workflow's rules hand a reviewer (no own
content, not the same reviewer at both stages, only their disciplines)."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import review
from content.errors import NotFound
from content.models import Action, Severity, Stage
from infra.settings import Settings
from tests.factories import open_task_in_session, political_task_in_session, user_in_session


def test_findings_cut_the_text_at_their_offsets_overlaps_and_out_of_range_included() -> None:
    findings = [
        {"field": "body", "start": 2, "end": 6, "severity": "warn", "message": "a"},
        {"field": "body", "start": 4, "end": 8, "severity": "block", "message": "b"},
        {"field": "body", "start": 10, "end": 99, "severity": "info", "message": "c"},
        {"field": "title", "start": 0, "end": 0, "severity": "info", "message": "empty"},
    ]
    [body] = review.mark_findings({"title": "标题", "body": "零一二三四五六七八九十"}, findings)
    assert [(p.text, p.findings, p.severity) for p in body.pieces] == [
        ("零一", (), None),
        ("二三", (0,), Severity.warn),
        ("四五", (0, 1), Severity.block),
        ("六七", (1,), Severity.block),
        ("八九", (), None),
        ("十", (2,), Severity.info),
    ]
    assert [p.starts for p in body.pieces] == [(), (0,), (1,), (), (), (2,)]


def test_a_chinese_diff_is_by_character() -> None:
    changes = review.diff_text("吃蔬菜有益健康", "多吃新鲜蔬菜有益")
    assert [(c.kind, c.text) for c in changes] == [
        ("added", "多"),
        ("same", "吃"),
        ("added", "新鲜"),
        ("same", "蔬菜有益"),
        ("removed", "健康"),
    ]


async def test_queues_follow_the_workflows_rules(session: AsyncSession, settings: Settings) -> None:
    creator = await user_in_session(session, "creator", "political_reviewer")
    political = await user_in_session(session, "political_reviewer", "science_reviewer")
    other = await user_in_session(session, "political_reviewer")
    view, task_id = await political_task_in_session(session, settings, creator.id)
    # its own author does not see it, nor takes it
    own = await review.queue(session, creator, Stage.political, None)
    assert task_id not in {r.task_id for r in own.rows}
    # the reviewer who approved it politically is not handed its science task
    await review.decide(session, political, task_id, Action.approve, None)
    science_task = await open_task_in_session(session, view.content.id, Stage.science)
    political.disciplines = ["medicine"]
    science = await review.queue(session, political, Stage.science, "medicine")
    assert science_task not in {r.task_id for r in science.rows}
    counted = {(q.stage, q.discipline): q for q in await review.queue_summary(session, political)}
    assert set(counted) == {(Stage.political, None), (Stage.science, "medicine")}
    with pytest.raises(NotFound):
        await review.queue(session, political, Stage.science, "physics")
    with pytest.raises(NotFound):
        await review.review_page(session, other, science_task)  # not their stage
