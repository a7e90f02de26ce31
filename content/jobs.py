"""Jobs a service asks for, and the outbox that makes sure they run: a row of the caller's
transaction, enqueued after its commit and relayed until a worker is done (docs/jobs.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects
from content.models import CronFiring, JobOutbox
from infra.clock import utcnow
from infra.queue import Job
from infra.upsert import insert_for

MACHINE_REVIEW = "machine_review"
PROCESS_MEDIA = "process_media"
SYNC_PUBLIC_MEDIA = "sync_public_media"
PURGE_CDN = "purge_cdn"
FEED_REBUILD = "feed_rebuild"
FLUSH_COUNTERS = "flush_counters"
STATS_ROLLUP = "stats_rollup"
PUSH_NOTIFICATION = "push_notification"

# A running job holds its row as a lease: its worker touches the row every HEARTBEAT_EVERY_S,
# and a row taken but not touched for STALE_AFTER_S (three beats missed) lost its worker
# (killed, or wedged) and is relayed to another; a worker that finds its lease gone stops the
# job. Short, so a killed worker's job runs again within seconds (docs/jobs.md); renewed while
# the worker lives, so a long transcode never runs twice.
HEARTBEAT_EVERY_S = 2.0
STALE_AFTER_S = 3 * HEARTBEAT_EVERY_S
# Relays of a job nobody takes back off (after, 2×after, 4×after… up to 64×after) and stop
# after MAX_RELAYS, so a job no worker can run does not flood the queue; /readyz shows it.
MAX_RELAYS = 20
_BACKOFF_CAP = 6

_TASK_PREFIX = "job-"


def task_id(outbox_id: str, relays: int) -> str:
    """The queue's id for one delivery of an outbox row (each relay is a new one)."""
    return f"{_TASK_PREFIX}{outbox_id}-{relays}"


def outbox_id_of(queue_task_id: str) -> str | None:
    """The outbox row a queue task belongs to; None for jobs enqueued without one (cron)."""
    if not queue_task_id.startswith(_TASK_PREFIX):
        return None
    return queue_task_id[len(_TASK_PREFIX) :].rpartition("-")[0] or None


def after_commit(session: AsyncSession, name: str, *args: Any) -> None:
    """Ask for job ``name(*args)`` once this session's transaction commits (and only then)."""
    row = JobOutbox(name=name, args=list(args), subject=str(args[0]) if args else "")
    session.add(row)
    effects.enqueue(session, Job(name, args, task_id(row.id, 0)))


async def take(session: AsyncSession, outbox_id: str, delivery: str) -> bool:
    """Mark the row taken by this delivery. False when there is nothing to do: the job is done
    (row gone) or a delivery of it is running and alive — a relayed duplicate, or the queue
    handing out again the very delivery a live worker runs (streaq reclaims a message whose
    renewal came late): only a lease gone quiet is taken over."""
    now = utcnow()
    result = await session.exec(
        sa.update(JobOutbox)
        .where(
            col(JobOutbox.id) == outbox_id,
            sa.or_(
                col(JobOutbox.taken_by).is_(None),
                col(JobOutbox.heartbeat_at) < now - timedelta(seconds=STALE_AFTER_S),
            ),
        )
        .values(taken_by=delivery, taken_at=now, heartbeat_at=now)
    )
    return bool(result.rowcount == 1)


async def beat(session: AsyncSession, deliveries: dict[str, str]) -> set[str]:
    """Renew the leases of these running jobs (outbox id → delivery); returns the outbox ids
    whose lease is lost (another delivery took the row over, or it is gone): stop those."""
    now = utcnow()
    lost: set[str] = set()
    for outbox_id, delivery in deliveries.items():
        result = await session.exec(
            sa.update(JobOutbox)
            .where(col(JobOutbox.id) == outbox_id, col(JobOutbox.taken_by) == delivery)
            .values(heartbeat_at=now)
        )
        if result.rowcount != 1:
            lost.add(outbox_id)
    return lost


async def release(session: AsyncSession, outbox_id: str, delivery: str, due_in_s: float) -> None:
    """The job will run again in ``due_in_s`` (a retry): expect it to be taken by then."""
    await session.exec(
        sa.update(JobOutbox)
        .where(col(JobOutbox.id) == outbox_id, col(JobOutbox.taken_by) == delivery)
        .values(
            taken_by=None,
            taken_at=None,
            heartbeat_at=None,
            due_at=utcnow() + timedelta(seconds=max(due_in_s, 0.0)),
        )
    )


async def done(session: AsyncSession, outbox_id: str, delivery: str) -> None:
    """The job ran: its row goes, unless another delivery has taken it over meanwhile."""
    await session.exec(
        sa.delete(JobOutbox).where(
            col(JobOutbox.id) == outbox_id, col(JobOutbox.taken_by) == delivery
        )
    )


def _overdue(now: datetime, after_s: float, quiet_s: float = STALE_AFTER_S) -> Any:
    """Rows not taken ``after_s`` past their due time, or taken but quiet for ``quiet_s``."""
    return sa.or_(
        sa.and_(
            col(JobOutbox.taken_by).is_(None),
            col(JobOutbox.due_at) < now - timedelta(seconds=after_s),
        ),
        sa.and_(
            col(JobOutbox.taken_by).is_not(None),
            col(JobOutbox.heartbeat_at) < now - timedelta(seconds=quiet_s),
        ),
    )


async def overdue(session: AsyncSession, after_s: float, limit: int = 100) -> list[JobOutbox]:
    """Rows due for a relay: not taken ``after_s`` (doubling with each relay) past their due
    time, or taken by a worker that went quiet."""
    now = utcnow()
    rows = await session.exec(
        select(JobOutbox)
        .where(_overdue(now, after_s), col(JobOutbox.relays) < MAX_RELAYS)
        .order_by(col(JobOutbox.due_at))
        .limit(limit)
    )
    return [
        row
        for row in rows.all()
        if row.taken_by is not None
        or row.due_at <= now - timedelta(seconds=after_s * 2 ** min(row.relays, _BACKOFF_CAP))
    ]


async def claim(session: AsyncSession, rows: list[JobOutbox], after_s: float) -> list[Job]:
    """Claim ``rows`` for relaying, each enqueued again once this transaction commits. Each
    claim is a conditional UPDATE on the relay count, so of several workers relaying at once
    exactly one enqueues a given row."""
    now = utcnow()
    claimed: list[Job] = []
    for row in rows:
        seen = row.relays
        result = await session.exec(
            sa.update(JobOutbox)
            .where(
                col(JobOutbox.id) == row.id,
                col(JobOutbox.relays) == seen,
                _overdue(now, after_s),
            )
            .values(relays=seen + 1, due_at=now, taken_by=None, taken_at=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            job = Job(row.name, tuple(row.args), task_id(row.id, seen + 1))
            effects.enqueue(session, job)
            claimed.append(job)
    return claimed


async def live_subjects(session: AsyncSession, name: str, subjects: list[str]) -> set[str]:
    """Which of ``subjects`` have a job ``name`` in the outbox (the relay looks after those)."""
    if not subjects:
        return set()
    rows = await session.exec(
        select(JobOutbox.subject).where(
            JobOutbox.name == name, col(JobOutbox.subject).in_(subjects)
        )
    )
    return set(rows.all())


@dataclass(frozen=True)
class Backlog:
    """Jobs not taken by a worker within the threshold (workers down, or all busy)."""

    waiting: int
    oldest_s: float


async def backlog(session: AsyncSession, older_than_s: float) -> Backlog:
    now = utcnow()
    waiting_since = sa.case(
        (col(JobOutbox.taken_by).is_(None), col(JobOutbox.due_at)),
        else_=col(JobOutbox.heartbeat_at),
    )
    result = await session.exec(
        select(func.count(), func.min(waiting_since)).where(
            _overdue(now, older_than_s, max(older_than_s, STALE_AFTER_S))
        )
    )
    count, oldest = result.one()
    oldest_s = (now - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(waiting=int(count), oldest_s=round(max(oldest_s, 0.0), 1))


async def pending(session: AsyncSession, name: str) -> Backlog:
    """Jobs ``name`` not done yet, whatever their state (waiting, running, retrying), and the
    age of the oldest: for work an operator waits on, such as the CDN's purges."""
    result = await session.exec(
        select(func.count(), func.min(JobOutbox.created_at)).where(JobOutbox.name == name)
    )
    count, oldest = result.one()
    oldest_s = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(waiting=int(count), oldest_s=round(max(oldest_s, 0.0), 1))


# Firings are kept this long: far longer than a failover, short enough to stay a small table.
FIRINGS_KEPT_S = 24 * 3600


async def first_firing(session: AsyncSession, name: str, firing_id: str) -> bool:
    """Record a firing of the scheduled job ``name``; False if it was recorded before (it ran,
    or runs, on some worker already)."""
    stmt = insert_for(session, CronFiring).values(id=firing_id, name=name, ran_at=utcnow())
    return bool((await session.exec(stmt.on_conflict_do_nothing())).rowcount == 1)


async def forget_old_firings(session: AsyncSession) -> int:
    cutoff = utcnow() - timedelta(seconds=FIRINGS_KEPT_S)
    stmt = delete(CronFiring).where(col(CronFiring.ran_at) < cutoff)
    return int((await session.exec(stmt)).rowcount or 0)
