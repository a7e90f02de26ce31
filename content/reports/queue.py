"""The operators' report list: reports grouped by content, surging contents first, then the
most recently reported; one query for the page of groups, one for their reports."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Invalid
from content.models import Content, ContentStatus, Report, ReportReason, ReportStatus, Revision
from infra.clock import utcnow

# A group shows at most this many of its reports, newest first (the counts count them all).
REPORTS_SHOWN = 20


@dataclass(frozen=True)
class Surge:
    """At least ``count`` open reports within ``minutes`` put a content at the top."""

    count: int
    minutes: int


@dataclass
class Group:
    content_id: str
    title: str
    status: ContentStatus
    reports: int
    open: int
    reasons: dict[ReportReason, int]
    latest_at: datetime
    surge: bool
    items: list[Report] = field(default_factory=list)


def _encode(surge: int, latest: datetime, content_id: str) -> str:
    raw = json.dumps([surge, latest.isoformat(), content_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, datetime, str]:
    bad = Invalid("cursor is not one this API gave out", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        surge, at, content_id = json.loads(raw)
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise bad from exc
    if surge not in (0, 1) or when.tzinfo is None or not isinstance(content_id, str):
        raise bad
    return surge, when.astimezone(UTC), content_id


def _count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return func.sum(sa.case((condition, 1), else_=0))


async def groups(
    session: AsyncSession,
    status: ReportStatus | None,
    surge: Surge,
    cursor: str | None,
    limit: int,
) -> tuple[list[Group], str | None]:
    """Contents with reports (with open ones for ``status=open``, with resolved ones for
    ``resolved``), surging first, then by their latest report, newest first."""
    agg = _per_content(status, surge).subquery()
    surging = sa.case((agg.c.recent >= surge.count, 1), else_=0)
    title_of = sa.func.coalesce(col(Content.live_revision_id), col(Content.working_revision_id))
    query: Any = (
        sa.select(agg, surging.label("surge"), col(Content.status), col(Revision.title))
        .join(Content, col(Content.id) == agg.c.content_id)
        .outerjoin(Revision, col(Revision.id) == title_of)
    )
    if status == ReportStatus.open:
        query = query.where(agg.c.open > 0)
    elif status == ReportStatus.resolved:
        query = query.where(agg.c.reports > agg.c.open)
    if cursor:
        query = query.where(_after(_decode(cursor), surging, agg))
    query = query.order_by(surging.desc(), agg.c.latest_at.desc(), agg.c.content_id.desc())
    rows = (await session.exec(query.limit(limit + 1))).all()
    page = [_group(row) for row in rows[:limit]]
    await _attach_reports(session, page, status)
    next_cursor = None
    if len(rows) > limit and page:
        last = page[-1]
        next_cursor = _encode(int(last.surge), last.latest_at, last.content_id)
    return page, next_cursor


def _per_content(status: ReportStatus | None, surge: Surge) -> Any:
    """One row per reported content: its counts, reasons, latest report and recent open ones."""
    since = utcnow() - timedelta(minutes=surge.minutes)
    is_open = col(Report.status) == ReportStatus.open
    reasons = [_count_where(col(Report.reason) == r).label(f"r_{r.value}") for r in ReportReason]
    grouped: Any = sa.select(
        col(Report.content_id).label("content_id"),
        func.count().label("reports"),
        _count_where(is_open).label("open"),
        func.max(col(Report.created_at)).label("latest_at"),
        _count_where(sa.and_(is_open, col(Report.created_at) >= since)).label("recent"),
        *reasons,
    ).group_by(col(Report.content_id))
    if status is not None:
        # Only contents with a report in that status are aggregated (through the status index),
        # not the whole table.
        having = select(Report.content_id).where(Report.status == status)
        grouped = grouped.where(col(Report.content_id).in_(having))
    return grouped


def _after(mark: tuple[int, datetime, str], surging: Any, agg: Any) -> Any:
    """Groups that come after ``mark`` (surge, latest report, content id) in the list's order."""
    s, at, cid = mark
    return sa.or_(
        surging < s,
        sa.and_(surging == s, agg.c.latest_at < at),
        sa.and_(surging == s, agg.c.latest_at == at, agg.c.content_id < cid),
    )


def _group(row: Any) -> Group:
    return Group(
        content_id=row.content_id,
        title=row.title or "",
        status=row.status,
        reports=int(row.reports),
        open=int(row.open),
        reasons={r: int(getattr(row, f"r_{r.value}")) for r in ReportReason},
        latest_at=row.latest_at,
        surge=bool(row.surge),
    )


async def _attach_reports(
    session: AsyncSession, page: list[Group], status: ReportStatus | None
) -> None:
    if not page:
        return
    by_id = {g.content_id: g for g in page}
    query = select(Report).where(col(Report.content_id).in_(by_id))
    if status is not None:
        query = query.where(Report.status == status)
    query = query.order_by(col(Report.created_at).desc(), col(Report.id).desc())
    for report in (await session.exec(query)).all():
        shown = by_id[report.content_id].items
        if len(shown) < REPORTS_SHOWN:
            shown.append(report)
