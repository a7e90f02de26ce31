"""The rollups as CSV rows (``kepu stats export``): one row per day and content, the same
numbers /admin/stats sums."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import StatsContentDay

COLUMNS = (
    "day", "content_id", "owner_id", "type", "views", "viewers", "completions", "watched_s",
    "likes", "favorites", "shares",
)  # fmt: skip


async def content_day_rows(session: AsyncSession, day: date) -> list[list[object]]:
    """The rows of :data:`COLUMNS` of one day, content ids in order."""
    rows = await session.exec(
        select(StatsContentDay)
        .where(StatsContentDay.day == day)
        .order_by(col(StatsContentDay.content_id))
    )
    return [_row(r) for r in rows.all()]


def _row(r: StatsContentDay) -> list[object]:
    return [r.day.isoformat(), r.content_id, r.owner_id, r.type.value, r.views, r.viewers,
            r.completions, round(r.watched_s, 1), r.likes, r.favorites, r.shares]  # fmt: skip
