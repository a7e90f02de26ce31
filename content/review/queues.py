"""A reviewer's queues as the console shows them: how many open tasks each stage (and each
discipline, for science) holds for them, the queue itself oldest first, taking the next task,
and what a review page needs beside the task (the previous revision, the history, who holds the
claim). Every query of open tasks filters with ``transitions.workable`` — the workflow's stage
rules and guards, what ``visibility.handed_to`` (the API's list) says of open tasks — and a single
task is read through ``tasks._task_for``, as claims and decisions are: what a reviewer may not
take is neither counted, listed nor shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict, NotFound
from content.models import (
    Content,
    ContentType,
    Discipline,
    ReviewTask,
    Revision,
    Stage,
    TaskStatus,
    User,
)
from content.review import transitions
from content.review.guards import Guard
from content.review.history import HistoryEntry, history
from content.review.tasks import TaskView, _task_for, check_stage, claim
from infra.clock import utcnow

QUEUE_PAGE = 100  # rows a queue page lists (the oldest); its count says how many there are
_NEXT_TRIES = 5  # candidates "next" tries when other reviewers take them first


def by_discipline(stage: Stage) -> bool:
    """Whether a stage's queues are one per discipline (its reviewers judge their disciplines)."""
    return Guard.discipline in transitions.STAGE_RULES[stage].guards


@dataclass(frozen=True)
class QueueSummary:
    """One queue of a reviewer: a stage, and for science one of their disciplines."""

    stage: Stage
    discipline: str | None
    discipline_name: str | None
    open: int
    unclaimed: int
    oldest: datetime | None  # when the oldest open task was created


@dataclass(frozen=True)
class QueueRow:
    task_id: str
    content_id: str
    title: str
    type: ContentType
    author: str
    discipline: str
    waiting_since: datetime
    claimed_by: str | None  # display name while the claim holds
    claim_expires_at: datetime | None  # while the claim holds


@dataclass(frozen=True)
class Queue:
    stage: Stage
    discipline: str | None
    discipline_name: str | None
    more: bool  # more open tasks than ``rows`` (the queues page counts them)
    rows: list[QueueRow]
    names: dict[str, str]  # discipline slug → name, for the rows


@dataclass(frozen=True)
class ReviewPage:
    """A task with what its review page shows beside it."""

    view: TaskView
    previous: Revision | None  # the content's revision before this one, if any
    history: list[HistoryEntry]
    claimed_by: str | None  # display name of the claim's holder while it holds
    discipline_name: str


def _holds(now: datetime) -> sa.ColumnElement[bool]:
    """A claim that holds at ``now``."""
    return sa.and_(col(ReviewTask.claimed_by).is_not(None), col(ReviewTask.claim_expires_at) >= now)


def _queue_where(user: User, stage: Stage, discipline: str | None) -> list[sa.ColumnElement[bool]]:
    where = [
        col(ReviewTask.status) == TaskStatus.open,
        col(ReviewTask.stage) == stage,
        # Open tasks only: handed_to's other half (tasks the reviewer decided) cannot match, and
        # left in, its OR keeps PostgreSQL from planning the guards as an anti-join.
        transitions.workable(user),
    ]
    if discipline is not None:
        where.append(col(ReviewTask.discipline) == discipline)
    return where


def _check_queue(user: User, stage: Stage, discipline: str | None) -> str | None:
    """The queue's discipline (None: every one of the reviewer's, or a stage without them);
    a discipline the reviewer does not judge is no queue of theirs."""
    check_stage(user, stage)
    if not by_discipline(stage):
        return None
    if discipline is not None and discipline not in (user.disciplines or []):
        raise NotFound("no such review queue", code="review.not_found")
    return discipline


async def _discipline_names(session: AsyncSession, slugs: set[str]) -> dict[str, str]:
    if not slugs:
        return {}
    rows = await session.exec(
        select(Discipline.slug, Discipline.name).where(col(Discipline.slug).in_(slugs))
    )
    return {slug: name for slug, name in rows.all()}


async def queue_summary(session: AsyncSession, user: User) -> list[QueueSummary]:
    """Every queue ``user`` works, with its open tasks, the unclaimed ones and the oldest; a
    queue of theirs without tasks is listed too, with zeros."""
    stages = transitions.stages_of(user)
    now = utcnow()
    unclaimed = sa.func.count().filter(sa.not_(_holds(now)))
    rows = await session.exec(
        select(  # type: ignore[call-overload]
            col(ReviewTask.stage),
            col(ReviewTask.discipline),
            sa.func.count(),
            unclaimed,
            sa.func.min(col(ReviewTask.created_at)),
        )
        .join(Content, col(Content.id) == col(ReviewTask.content_id))
        .where(col(ReviewTask.status) == TaskStatus.open, transitions.workable(user))
        .group_by(col(ReviewTask.stage), col(ReviewTask.discipline))
    )
    counts: dict[tuple[Stage, str | None], tuple[int, int, datetime | None]] = {}
    for stage, discipline, n, free, oldest in rows.all():
        key = (Stage(stage), discipline if by_discipline(Stage(stage)) else None)
        had_n, had_free, had_oldest = counts.get(key, (0, 0, None))
        first = oldest if had_oldest is None or oldest < had_oldest else had_oldest
        counts[key] = (had_n + n, had_free + free, first)
    mine = list(user.disciplines or [])
    per_discipline = any(by_discipline(s) for s in stages)
    names = await _discipline_names(session, set(mine)) if per_discipline else {}
    out = []
    for stage in stages:
        for d in mine if by_discipline(stage) else [None]:
            n, free, oldest = counts.get((stage, d), (0, 0, None))
            out.append(QueueSummary(stage, d, names.get(d, d) if d else None, n, free, oldest))
    return out


async def queue(
    session: AsyncSession, user: User, stage: Stage, discipline: str | None, limit: int = QUEUE_PAGE
) -> Queue:
    """The open tasks of one of ``user``'s queues, oldest first (the first ``limit``, and
    whether there are more: not a count, which would read the whole queue), with who holds a
    claim on each and until when."""
    discipline = _check_queue(user, stage, discipline)
    now = utcnow()
    holder = aliased(User)
    author = aliased(User)
    where = _queue_where(user, stage, discipline)
    holds = _holds(now)
    rows = await session.exec(
        select(  # type: ignore[call-overload]
            ReviewTask,
            col(Revision.title),
            col(Content.type),
            col(author.display_name),
            sa.case((holds, holder.display_name), else_=None),
        )
        .join(Content, col(Content.id) == col(ReviewTask.content_id))
        .join(Revision, col(Revision.id) == col(ReviewTask.revision_id))
        .join(author, col(author.id) == col(Content.owner_id))
        .join(holder, col(holder.id) == col(ReviewTask.claimed_by), isouter=True)
        .where(*where)
        .order_by(col(ReviewTask.created_at), col(ReviewTask.id))
        .limit(limit + 1)
    )
    found = rows.all()
    out = []
    for task, title, kind, author_name, held_by in found[:limit]:
        out.append(
            QueueRow(
                task_id=task.id,
                content_id=task.content_id,
                title=title,
                type=ContentType(kind),
                author=author_name,
                discipline=task.discipline,
                waiting_since=task.created_at,
                claimed_by=held_by,
                claim_expires_at=task.claim_expires_at if held_by else None,
            )
        )
    slugs = {r.discipline for r in out} | ({discipline} if discipline else set())
    names = await _discipline_names(session, slugs)
    return Queue(
        stage,
        discipline,
        names.get(discipline, discipline) if discipline else None,
        len(found) > limit,
        out,
        names,
    )


async def claim_next(
    session: AsyncSession,
    user: User,
    stage: Stage,
    discipline: str | None,
    lease_s: int,
    skip: str | None = None,
) -> TaskView | None:
    """Claim the oldest task of the queue nobody holds (or whose claim expired), through
    ``claim``; when there is none, the oldest ``user`` holds already. ``skip``: a task passed
    over (the one on screen). None when there is nothing to take. A task another reviewer takes
    first is passed over for the next one."""
    discipline = _check_queue(user, stage, discipline)
    now = utcnow()
    where = _queue_where(user, stage, discipline)
    if skip:
        where.append(col(ReviewTask.id) != skip)
    for free in (sa.not_(_holds(now)), col(ReviewTask.claimed_by) == user.id):
        candidates = await session.exec(
            select(ReviewTask.id)
            .join(Content, col(Content.id) == col(ReviewTask.content_id))
            .where(*where, free)
            .order_by(col(ReviewTask.created_at), col(ReviewTask.id))
            .limit(_NEXT_TRIES)
        )
        for task_id in candidates.all():
            try:
                return await claim(session, user, task_id, lease_s)
            except Conflict:  # taken or decided meanwhile: the next one
                continue
    return None


async def review_page(session: AsyncSession, user: User, task_id: str) -> ReviewPage:
    """A task ``user`` may work on (the same refusals as claiming it), with the revision before
    it, the content's review history and the name of whoever holds its claim."""
    view = await _task_for(session, user, task_id)
    previous = None
    if view.revision.number > 1:
        previous = (
            await session.exec(
                select(Revision).where(
                    col(Revision.content_id) == view.content.id,
                    col(Revision.number) == view.revision.number - 1,
                )
            )
        ).first()
    entries = await history(session, user, view.content.id)
    task, holder = view.task, None
    if task.claimed_by and task.claim_expires_at and task.claim_expires_at >= utcnow():
        found = await session.get(User, task.claimed_by)
        holder = found.display_name if found else None
    names = await _discipline_names(session, {task.discipline})
    return ReviewPage(view, previous, entries, holder, names.get(task.discipline, task.discipline))
