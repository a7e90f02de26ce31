"""A creator's dashboard: each of their contents that was ever published, with its lifetime
counters (live) and the last week from the rollups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.accounts import require_role
from content.kit import page_by_id
from content.models import Content, ContentStats, Revision, Role, StatsContentDay, User
from content.stats.days import DayRange, today
from content.stats.report import Reach, reach_of, reach_sums

RECENT_DAYS = 7


@dataclass
class MyContentStats:
    content: Content
    revision: Revision
    stats: ContentStats | None
    recent: Reach

    @property
    def completion_rate(self) -> float:
        s = self.stats
        return round(min(1.0, s.completions / s.viewers), 4) if s and s.viewers else 0.0


async def my_stats(
    session: AsyncSession, user: User, cursor: str | None, limit: int
) -> tuple[list[MyContentStats], str | None]:
    """The caller's contents that were ever published, newest first."""
    require_role(user, Role.creator)
    revision_id = sa.func.coalesce(col(Content.live_revision_id), col(Content.working_revision_id))
    query = (
        select(Content, Revision, ContentStats)
        .join(Revision, col(Revision.id) == revision_id)
        .join(ContentStats, col(ContentStats.content_id) == col(Content.id), isouter=True)
        .where(Content.owner_id == user.id, col(Content.published_at).is_not(None))
    )
    rows, next_cursor = await page_by_id(
        session, query, col(Content.id), cursor, limit, key=lambda row: row[0].id, newest_first=True
    )
    recent = await _recent(session, [c.id for c, _, _ in rows])
    out = [MyContentStats(c, r, s, recent.get(c.id, Reach())) for c, r, s in rows]
    return out, next_cursor


async def _recent(session: AsyncSession, ids: list[str]) -> dict[str, Reach]:
    if not ids:
        return {}
    window = DayRange.ending(today(), RECENT_DAYS)
    t = StatsContentDay
    rows = await session.exec(
        select(col(t.content_id), *reach_sums(t))
        .where(col(t.content_id).in_(ids), col(t.day) >= window.first, col(t.day) <= window.last)
        .group_by(col(t.content_id))
    )
    found: list[tuple[Any, ...]] = [tuple(row) for row in rows.all()]
    return {str(row[0]): reach_of(row[1:]) for row in found}
