"""The daily records and rollups behind the statistics, on their services: a view counts on the
China-time day it happened, and rolling a day up again gives the same rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import engagement, stats
from content.kit import STATS_TZ
from content.models import StatsContentDay, StatsSegmentDay, ViewDay
from infra.settings import Settings
from tests import factories as f

DAY = date(2026, 6, 1)


def _at(day: date, hour: int, minute: int) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STATS_TZ).timestamp()


def _view(content_id: str, user_id: str, at: float) -> dict[str, object]:
    return {"k": "view", "c": content_id, "u": user_id, "e": "start", "w": None, "p": 0.1, "t": at}


async def test_a_batch_across_midnight_counts_each_view_on_its_own_day(
    session: AsyncSession, settings: Settings
) -> None:
    view = await f.published_in_session(session, settings)
    cid = view.content.id
    late, early = await f.user_in_session(session), await f.user_in_session(session)
    next_day = DAY + timedelta(days=1)
    events = [
        _view(cid, late.id, _at(DAY, 23, 59)),
        _view(cid, late.id, _at(next_day, 0, 1)),  # the same person's same view, after midnight
        _view(cid, early.id, _at(next_day, 0, 2)),
    ]
    assert await engagement.apply_batch(session, None, events) == 1
    days = await session.exec(
        select(ViewDay.day, ViewDay.views, ViewDay.viewers).where(ViewDay.content_id == cid)
    )
    assert sorted(days.all()) == [(DAY, 1, 1), (next_day, 1, 1)]

    for day in (DAY, next_day):
        assert await stats.roll_up(session, day) >= 1
    first = await _rolled(session, cid)
    assert [(r.day, r.views, r.viewers) for r in first] == [(DAY, 1, 1), (next_day, 1, 1)]
    segments = await session.exec(
        select(StatsSegmentDay).where(StatsSegmentDay.day == DAY, StatsSegmentDay.topic == "health")
    )
    assert [(s.audience, s.views) for s in segments.all()] == [("elderly", 1)]

    for day in (DAY, next_day):
        await stats.roll_up(session, day)
    again = await _rolled(session, cid)
    assert [r.model_dump() for r in again] == [r.model_dump() for r in first]


async def _rolled(session: AsyncSession, content_id: str) -> list[StatsContentDay]:
    rows = await session.exec(
        select(StatsContentDay)
        .where(StatsContentDay.content_id == content_id)
        .order_by(col(StatsContentDay.day))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())
