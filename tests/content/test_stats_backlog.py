"""What the operators' statistics page reads besides the rollups' sums: the review backlog as it
stands (open tasks per stage, science per discipline, the oldest one's wait), and each day's
publications and time in stage from the review rollups."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from content import kit, review, stats
from content.models import Action, ReviewTask, Stage
from infra.clock import utcnow
from infra.settings import Settings
from tests import factories as f


def _by_stage(backlog: list[stats.StageBacklog]) -> dict[Stage, stats.StageBacklog]:
    return {s.stage: s for s in backlog}


async def test_the_backlog_counts_open_tasks_per_stage_and_science_per_discipline(
    session: AsyncSession, settings: Settings
) -> None:
    await kit.add_discipline(session, "stats-geology", "地质学")
    before = _by_stage(await stats.review_backlog(session))
    assert list(before) == [Stage.political, Stage.science]  # both stages, even when empty
    assert "stats-geology" not in {d.discipline for d in before[Stage.science].by_discipline}

    owner = await f.user_in_session(session, "creator")
    political = await f.user_in_session(session, "political_reviewer")
    _, waiting = await f.political_task_in_session(session, settings, owner.id)
    view, task_id = await f.political_task_in_session(
        session, settings, owner.id, discipline="stats-geology"
    )
    await review.decide(session, political, task_id, Action.approve, None)
    science_task = await f.open_task_in_session(session, view.content.id, Stage.science)
    # The science task has waited three hours.
    await session.exec(
        sa.update(ReviewTask)
        .where(col(ReviewTask.id) == science_task)
        .values(created_at=utcnow() - timedelta(hours=3))
    )

    after = _by_stage(await stats.review_backlog(session))
    assert after[Stage.political].waiting.open == before[Stage.political].waiting.open + 1
    assert after[Stage.science].waiting.open == before[Stage.science].waiting.open + 1
    geology = next(d for d in after[Stage.science].by_discipline if d.discipline == "stats-geology")
    assert (geology.name, geology.waiting.open) == ("地质学", 1)
    assert 3 * 3600 <= geology.waiting.oldest_wait_s < 3 * 3600 + 120
    assert after[Stage.science].waiting.oldest_wait_s >= geology.waiting.oldest_wait_s
    assert after[Stage.political].by_discipline == []  # one political queue, whatever the field

    # A decided task leaves the backlog.
    await review.decide(session, political, waiting, Action.approve, None)
    decided = _by_stage(await stats.review_backlog(session))
    assert decided[Stage.political].waiting.open == before[Stage.political].waiting.open


async def test_each_day_says_what_was_published_and_how_long_decisions_waited(
    session: AsyncSession, settings: Settings
) -> None:
    today = stats.today()
    days = stats.DayRange(today, today)
    await stats.roll_up(session, today)
    before = await stats.overview(session, days)
    await f.published_in_session(session, settings)
    await stats.roll_up(session, today)
    after = await stats.overview(session, days)

    def day(o: stats.Overview) -> stats.DayDecisions:
        return (
            o.throughput[0] if o.throughput else stats.DayDecisions(today, dict.fromkeys(Stage, 0))
        )

    was, now = day(before), day(after)
    assert now.day == today
    assert now.published == was.published + 1 == after.publishing.published
    for stage in Stage:
        assert now.by_stage[stage] == was.by_stage[stage] + 1
    # The per-day mean agrees with the range's outcomes when the range is this one day.
    decided = sum(s.decisions for s in after.stages if s.stage == Stage.science)
    waited = sum(s.mean_in_stage_s * s.decisions for s in after.stages if s.stage == Stage.science)
    mean = now.mean_in_stage_s(Stage.science)
    assert mean is not None and abs(mean - waited / decided) < 0.2
    assert stats.DayDecisions(today, dict.fromkeys(Stage, 0)).mean_in_stage_s(Stage.science) is None
