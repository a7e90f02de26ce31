"""The daily record of views: what each flush adds to a content on each stats day, so the
statistics can say what happened on a day long after the viewers' own rows moved on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from content.engagement.views import Seen, Tally
from content.kit import STATS_TZ
from content.models import ViewDay
from infra.upsert import insert_for


def by_day(events: Iterable[Seen]) -> list[tuple[date, list[Seen]]]:
    """``events`` grouped by the stats day they happened on, earliest day first."""
    days: dict[date, list[Seen]] = defaultdict(list)
    for seen in events:
        days[seen.at.astimezone(STATS_TZ).date()].append(seen)
    return sorted(days.items())


async def record(session: AsyncSession, content_id: str, day: date, tally: Tally) -> None:
    """Add what one batch's events of ``day`` gave a content to that day's record."""
    if not (tally.views or tally.viewers or tally.completions or tally.watched_s):
        return
    table = ViewDay.__table__  # type: ignore[attr-defined]
    added = {
        "views": tally.views,
        "viewers": tally.viewers,
        "completions": tally.completions,
        "watched_s": tally.watched_s,
    }
    stmt = insert_for(session, ViewDay).values(content_id=content_id, day=day, **added)
    stmt = stmt.on_conflict_do_update(
        index_elements=["content_id", "day"],
        set_={name: table.c[name] + value for name, value in added.items()},
    )
    await session.exec(stmt)
