"""What operators read at /admin/stats: sums of the rollups over a range of days, never the raw
records (a year of them is a few hundred thousand rows; the rollups it reads are a few thousand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.kit import STATS_TZ
from content.models import (
    Action,
    ContentType,
    Report,
    Stage,
    StatsReviewDay,
    StatsSegmentDay,
)
from content.stats.days import DayRange


@dataclass
class Reach:
    views: int = 0
    viewers: int = 0
    completions: int = 0
    watched_s: float = 0.0
    likes: int = 0
    favorites: int = 0
    shares: int = 0

    @property
    def completion_rate(self) -> float:
        """People who got through a content over people who first viewed it, in the range."""
        return round(min(1.0, self.completions / self.viewers), 4) if self.viewers else 0.0

    def add(self, other: Reach) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class Segment:
    topic: str
    audience: str
    reach: Reach


@dataclass
class TypeReach:
    type: ContentType
    reach: Reach


@dataclass
class StageOutcome:
    """The decisions of one kind in one stage over the range, and how long they took."""

    stage: Stage
    action: Action
    decisions: int
    mean_in_stage_s: float
    max_in_stage_s: float


@dataclass
class DayDecisions:
    """The decisions of each stage on one day, the revisions published (science approvals), and
    the seconds those decisions' revisions had spent in their stage."""

    day: date
    by_stage: dict[Stage, int]
    published: int = 0
    in_stage_s: dict[Stage, float] = field(default_factory=dict)

    def mean_in_stage_s(self, stage: Stage) -> float | None:
        """How long a revision decided in ``stage`` that day had waited there, on average (None
        without decisions)."""
        n = self.by_stage.get(stage, 0)
        return _mean(self.in_stage_s.get(stage, 0.0), n) if n else None


@dataclass
class Publishing:
    """Science approvals (each publishes a revision): time from its submission."""

    published: int = 0
    mean_s: float = 0.0
    max_s: float = 0.0


@dataclass
class Overview:
    range: DayRange
    totals: Reach
    by_segment: list[Segment]
    by_type: list[TypeReach]
    stages: list[StageOutcome]
    throughput: list[DayDecisions]
    publishing: Publishing
    # Reports filed in the range, one `{reason, reports}` per reason, most reported first.
    reports_by_reason: list[dict[str, Any]] = field(default_factory=list)


_REACH = ("views", "viewers", "completions", "watched_s", "likes", "favorites", "shares")


def reach_sums(table: Any) -> list[Any]:
    return [func.coalesce(func.sum(getattr(table, name)), 0) for name in _REACH]


def reach_of(values: Any) -> Reach:
    views, viewers, completions, watched_s, likes, favorites, shares = values
    return Reach(
        int(views), int(viewers), int(completions), float(watched_s), int(likes), int(favorites),
        int(shares),
    )  # fmt: skip


async def overview(session: AsyncSession, days: DayRange) -> Overview:
    in_range = (col(StatsSegmentDay.day) >= days.first, col(StatsSegmentDay.day) <= days.last)
    t = StatsSegmentDay
    keys = (col(t.topic), col(t.audience), col(t.type))
    segments = await session.exec(select(*keys, *reach_sums(t)).where(*in_range).group_by(*keys))
    totals, by_segment, by_type = Reach(), list[Segment](), list[TypeReach]()
    found: list[tuple[Any, ...]] = [tuple(row) for row in segments.all()]
    for topic, audience, ctype, *values in found:
        reach = reach_of(tuple(values))
        if ctype:
            by_type.append(TypeReach(ContentType(ctype), reach))
            totals.add(reach)
        else:
            by_segment.append(Segment(topic, audience, reach))
    by_segment.sort(key=lambda s: (-s.reach.views, s.topic, s.audience))
    by_type.sort(key=lambda t: t.type.value)
    stages, throughput, publishing = await _review(session, days)
    reasons = await _reports_by_reason(session, days)
    return Overview(days, totals, by_segment, by_type, stages, throughput, publishing, reasons)


async def _reports_by_reason(session: AsyncSession, days: DayRange) -> list[dict[str, Any]]:
    # Reports are few next to views (one per person and content, by hand): counted from their
    # table by the indexed `created_at`, with no rollup of their own.
    start = datetime.combine(days.first, time(), STATS_TZ)
    end = datetime.combine(days.last + timedelta(days=1), time(), STATS_TZ)
    rows = await session.exec(
        select(col(Report.reason), func.count())
        .where(col(Report.created_at) >= start, col(Report.created_at) < end)
        .group_by(col(Report.reason))
    )
    found = sorted(rows.all(), key=lambda r: (-r[1], r[0].value))
    return [{"reason": reason.value, "reports": int(n)} for reason, n in found]


async def _review(
    session: AsyncSession, days: DayRange
) -> tuple[list[StageOutcome], list[DayDecisions], Publishing]:
    t = StatsReviewDay
    in_range = (col(t.day) >= days.first, col(t.day) <= days.last)
    outcomes = await session.exec(
        select(  # type: ignore[call-overload]
               col(t.stage), col(t.action), func.sum(t.decisions), func.sum(t.in_stage_s),
               func.max(t.in_stage_max_s), func.sum(t.since_submit_s),
               func.max(t.since_submit_max_s))
        .where(*in_range)
        .group_by(col(t.stage), col(t.action))
        .order_by(col(t.stage), col(t.action))
    )  # fmt: skip
    stages, publishing = [], Publishing()
    for stage, action, n, in_s, in_max, since_s, since_max in outcomes.all():
        n = int(n)
        stages.append(StageOutcome(Stage(stage), Action(action), n, _mean(in_s, n), in_max))
        if stage == Stage.science and action == Action.approve:
            publishing = Publishing(n, _mean(since_s, n), since_max)
    per_day = await session.exec(
        select(  # type: ignore[call-overload]
               col(t.day), col(t.stage), col(t.action), func.sum(t.decisions),
               func.sum(t.in_stage_s))
        .where(*in_range)
        .group_by(col(t.day), col(t.stage), col(t.action))
        .order_by(col(t.day), col(t.stage), col(t.action))
    )  # fmt: skip
    throughput: dict[date, DayDecisions] = {}
    for d, s, a, n, in_s in per_day.all():
        day = throughput.setdefault(d, DayDecisions(d, dict.fromkeys(Stage, 0)))
        stage = Stage(s)
        day.by_stage[stage] += int(n)
        day.in_stage_s[stage] = day.in_stage_s.get(stage, 0.0) + float(in_s)
        if stage == Stage.science and a == Action.approve:
            day.published += int(n)
    return stages, list(throughput.values()), publishing


def _mean(total: float, n: int) -> float:
    return round(total / n, 1) if n else 0.0
