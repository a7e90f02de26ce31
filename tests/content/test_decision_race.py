"""Exactly one of several racing decisions on a task wins, made deterministic: every racer runs
``review.decide`` in its own transaction on PostgreSQL, and a barrier holds each one's first
write until all of them have done their reads. A guard that checks in Python and then writes
unconditionally lets a second decision through (or trips over the first) in every round."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import review
from content.errors import DomainError
from content.models import Action, ReviewEvent, ReviewTask, TaskStatus, User
from infra.services import Services
from tests import factories as f

ROUNDS = 5
DECISIONS = [Action.approve, Action.reject, Action.request_changes] * 2


async def _task_in_political(services: Services, owner_id: str) -> tuple[str, str]:
    """A submitted article past the machine stage: (content id, its political task id)."""
    async with services.write_sessions() as session:
        view, task_id = await f.political_task_in_session(session, services.settings, owner_id)
        await session.commit()
        return view.content.id, task_id


def _hold_first_write(session: AsyncSession, barrier: asyncio.Barrier) -> None:
    """Make the session wait at ``barrier`` before its first UPDATE/INSERT/DELETE."""
    original: Callable[..., Awaitable[Any]] = session.exec
    held = False

    async def exec_(statement: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal held
        if not held and isinstance(statement, sa.sql.dml.UpdateBase):
            held = True
            await asyncio.wait_for(barrier.wait(), 30)
        return await original(statement, *args, **kwargs)

    session.exec = exec_  # type: ignore[method-assign]


async def _racer(
    services: Services, reviewer_id: str, task_id: str, decision: Action, barrier: asyncio.Barrier
) -> str:
    """Decide in a transaction of its own; returns "won" or what refused it."""
    async with services.write_sessions() as session:
        user = await session.get(User, reviewer_id)
        assert user is not None
        _hold_first_write(session, barrier)
        try:
            await review.decide(session, user, task_id, decision, "同时提交")
            await session.commit()
        except DomainError as exc:
            await session.rollback()
            return exc.code
        except SQLAlchemyError as exc:  # a broken guard trips over the winner's rows
            await session.rollback()
            return type(exc).__name__
        return "won"


async def test_racing_decisions_in_separate_transactions_exactly_one_wins(
    services: Services,
) -> None:
    crew = await f.crew(services)
    reviewers = [(await f.person(services, "political_reviewer")).id for _ in DECISIONS]
    for _ in range(ROUNDS):
        content_id, task_id = await _task_in_political(services, crew.creator.id)
        barrier = asyncio.Barrier(len(reviewers))
        results = await asyncio.gather(
            *(
                _racer(services, r, task_id, d, barrier)
                for r, d in zip(reviewers, DECISIONS, strict=True)
            )
        )
        assert sorted(results) == ["review.task_closed"] * (len(results) - 1) + ["won"], results
        winner = results.index("won")
        async with services.read_sessions() as session:
            task = await session.get(ReviewTask, task_id)
            assert task is not None
            assert task.decided_by == reviewers[winner]
            assert (
                task.status
                == {
                    Action.approve: TaskStatus.approved,
                    Action.reject: TaskStatus.rejected,
                    Action.request_changes: TaskStatus.changes_requested,
                }[DECISIONS[winner]]
            )
            events = await session.exec(
                select(ReviewEvent.action, ReviewEvent.actor_id).where(
                    ReviewEvent.content_id == content_id, col(ReviewEvent.stage) == "political"
                )
            )
            assert list(events.all()) == [(DECISIONS[winner], reviewers[winner])]
