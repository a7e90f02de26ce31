"""What a transaction asks to happen once it has committed (jobs, feed syncs, cached pages to
drop), declared on its session, so a rollback drops them; `content/drain.py` runs them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from infra.queue import Job

_KEY = "kepu.after_commit"


@dataclass
class Effects:
    """What one session has declared so far."""

    jobs: list[Job] = field(default_factory=list)
    # content id → whether every process must drop its cached pages too (publish, takedown,
    # pin), or only Redis follow (a like moves the hot rank; pages catch up within their TTL)
    feed_syncs: dict[str, bool] = field(default_factory=dict)
    # users whose cached following pages every process must drop (they followed or unfollowed)
    following_changed: set[str] = field(default_factory=set)
    # contents whose cached comment pages every process must drop (a comment shown or gone)
    comments_changed: set[str] = field(default_factory=set)


def _declared(session: AsyncSession) -> Effects:
    declared: Effects | None = session.info.get(_KEY)
    if declared is None:
        declared = session.info[_KEY] = Effects()
    return declared


def enqueue(session: AsyncSession, job: Job) -> None:
    """Enqueue ``job`` once this session's transaction commits (``jobs.after_commit`` also
    writes its outbox row, which is what services call)."""
    _declared(session).jobs.append(job)


def sync_feeds(session: AsyncSession, content_id: str, *, invalidate: bool = True) -> None:
    """After the commit, put ``content_id`` where its row says in every feed; with
    ``invalidate``, every process drops its cached pages before the writer returns."""
    syncs = _declared(session).feed_syncs
    syncs[content_id] = syncs.get(content_id, False) or invalidate


def following_changed(session: AsyncSession, user_id: str) -> None:
    """After the commit, every process drops ``user_id``'s cached following pages."""
    _declared(session).following_changed.add(user_id)


def comments_changed(session: AsyncSession, content_id: str) -> None:
    """After the commit, every process drops ``content_id``'s cached comment pages."""
    _declared(session).comments_changed.add(content_id)


def take(session: AsyncSession) -> Effects:
    """Everything declared on ``session``, removed from it: call once it has committed."""
    declared: Effects | None = session.info.pop(_KEY, None)
    return declared if declared is not None else Effects()
