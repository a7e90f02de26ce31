"""The rules binding a human reviewer (``Transition.guards``), each one SQL expression that both
filters what a reviewer is handed and refuses one task, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import DomainError, Forbidden, NotFound
from content.models import Content, ReviewTask, TaskStatus, User


class Guard(StrEnum):
    """Rules binding the person who takes a human review decision (checked in this order)."""

    discipline = "discipline"  # science is judged by experts of the content's discipline
    not_author = "not_author"  # nobody reviews their own content
    one_stage_each = "one_stage_each"  # one person may not approve two stages of one revision


def _clause(guard: Guard, user: User) -> sa.ColumnElement[bool]:
    """``guard`` as SQL over a ReviewTask joined with its Content: true when ``user`` passes."""
    if guard is Guard.discipline:
        return col(ReviewTask.discipline).in_(user.disciplines or [""])
    if guard is Guard.not_author:
        return col(Content.owner_id) != user.id
    other = aliased(ReviewTask)
    return ~sa.exists().where(
        col(other.revision_id) == col(ReviewTask.revision_id),
        col(other.id) != col(ReviewTask.id),
        col(other.decided_by) == user.id,
        col(other.status) == TaskStatus.approved,
    )


_REFUSALS: dict[Guard, Callable[[], DomainError]] = {
    # Outside the reviewer's disciplines the task does not exist for them.
    Guard.discipline: lambda: NotFound("no such review task", code="review.not_found"),
    Guard.not_author: lambda: Forbidden(
        "nobody reviews their own content", code="review.self_review"
    ),
    Guard.one_stage_each: lambda: Forbidden(
        "you approved another stage of this revision; a different reviewer must take this one",
        code="review.same_reviewer",
    ),
}


def passes(user: User, guards: frozenset[Guard]) -> sa.ColumnElement[bool]:
    """SQL: ``user`` passes every one of ``guards`` for the task."""
    return sa.and_(sa.true(), *(_clause(g, user) for g in Guard if g in guards))


async def check(
    session: AsyncSession, user: User, guards: frozenset[Guard], task: sa.ColumnElement[bool]
) -> None:
    """Refuse ``user`` the task matched by ``task`` with the first of ``guards`` they fail."""
    ordered = [g for g in Guard if g in guards]
    if not ordered:
        return
    first_failed = sa.case(*((~_clause(g, user), g.value) for g in ordered), else_="")
    failed = (
        await session.exec(
            select(first_failed)
            .select_from(ReviewTask)
            .join(Content, col(Content.id) == col(ReviewTask.content_id))
            .where(task)
        )
    ).first()
    if failed is None:
        raise NotFound("no such review task", code="review.not_found")
    if failed:
        raise _REFUSALS[Guard(failed)]()
