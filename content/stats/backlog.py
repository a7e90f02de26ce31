"""The review backlog as it stands: open human review tasks per stage (and per discipline, the
way science reviewers are split), and how long the oldest has waited. Read live from the tasks
(one grouped query on their status), not from the rollups: a backlog is a now, not a day."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import Discipline, ReviewTask, Stage, TaskStatus
from infra.clock import utcnow

# The stages a person decides: the machine stage has no tasks.
HUMAN_STAGES = (Stage.political, Stage.science)


@dataclass
class Waiting:
    """Open tasks of one group, and the oldest one's wait in seconds (0 with none)."""

    open: int = 0
    oldest_wait_s: float = 0.0


@dataclass
class DisciplineBacklog:
    discipline: str
    name: str
    waiting: Waiting


@dataclass
class StageBacklog:
    stage: Stage
    waiting: Waiting
    # Science only: its reviewers judge their own disciplines, so its queue is one per discipline.
    by_discipline: list[DisciplineBacklog] = field(default_factory=list)


def _fold(into: Waiting, open_: int, oldest_wait_s: float) -> None:
    into.open += open_
    into.oldest_wait_s = max(into.oldest_wait_s, oldest_wait_s)


async def review_backlog(session: AsyncSession) -> list[StageBacklog]:
    """Every human stage (empty ones too), in workflow order; science's disciplines by most
    open tasks, then name."""
    now = utcnow()
    t = ReviewTask
    rows = await session.exec(
        select(  # type: ignore[call-overload]
               col(t.stage), col(t.discipline), col(Discipline.name), func.count(),
               func.min(t.created_at))
        .join(Discipline, col(Discipline.slug) == col(t.discipline), isouter=True)
        .where(col(t.status) == TaskStatus.open)
        .group_by(col(t.stage), col(t.discipline), col(Discipline.name))
    )  # fmt: skip
    stages = {s: StageBacklog(s, Waiting()) for s in HUMAN_STAGES}
    for stage, discipline, name, n, oldest in rows.all():
        if oldest.tzinfo is None:  # SQLite gives naive UTC back
            oldest = oldest.replace(tzinfo=now.tzinfo)
        wait = round(max(0.0, (now - oldest).total_seconds()), 1)
        found = stages.setdefault(Stage(stage), StageBacklog(Stage(stage), Waiting()))
        _fold(found.waiting, int(n), wait)
        if found.stage == Stage.science:
            found.by_discipline.append(
                DisciplineBacklog(discipline, name or discipline, Waiting(int(n), wait))
            )
    for s in stages.values():
        s.by_discipline.sort(key=lambda d: (-d.waiting.open, d.name))
    return list(stages.values())
