"""The rollups as CSV rows (``kepu stats export``): one row per day and content, the same
numbers /admin/stats sums."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import StatsContentDay
from content.stats.days import DayRange

COLUMNS = (
    "day", "content_id", "owner_id", "type", "views", "viewers", "completions", "watched_s",
    "likes", "favorites", "shares",
)  # fmt: skip


async def content_days(session: AsyncSession, days: DayRange) -> AsyncIterator[list[object]]:
    """Rows of :data:`COLUMNS`, a day at a time (earliest first), content ids in order."""
    day = days.first
    while day <= days.last:
        rows = await session.exec(
            select(StatsContentDay)
            .where(StatsContentDay.day == day)
            .order_by(col(StatsContentDay.content_id))
        )
        for r in rows.all():
            yield [
                r.day.isoformat(), r.content_id, r.owner_id, r.type.value, r.views, r.viewers,
                r.completions, round(r.watched_s, 1), r.likes, r.favorites, r.shares,
            ]  # fmt: skip
        day += timedelta(days=1)
