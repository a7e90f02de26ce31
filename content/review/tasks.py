"""Human review tasks: the queue, claim leases and exactly-one decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from content.errors import Conflict, Forbidden, Invalid, NotFound
from content.kit import clean_text, page_by_id
from content.models import (
    Action,
    Content,
    ReviewTask,
    Revision,
    Stage,
    TaskStatus,
    User,
)
from content.review import guards, transitions, visibility, workflow
from infra.clock import utcnow

MAX_COMMENT = 5000  # characters of a reviewer's comment (the API schema uses it too)


@dataclass
class TaskView:
    task: ReviewTask
    revision: Revision
    content: Content
    author: User


def _with_content() -> Select[ReviewTask, Revision, Content, User]:
    return (
        select(ReviewTask, Revision, Content, User)
        .join(Revision, col(Revision.id) == col(ReviewTask.revision_id))
        .join(Content, col(Content.id) == col(ReviewTask.content_id))
        .join(User, col(User.id) == col(Content.owner_id))
    )


def check_stage(user: User, stage: Stage | None) -> list[Stage]:
    """Refuse a stage that is no human review stage, or not one of ``user``'s; their stages."""
    mine = transitions.stages_of(user)
    if stage is not None and stage not in transitions.STAGE_RULES:
        raise Invalid(
            "stage is one of " + ", ".join(transitions.STAGE_RULES) + " (or none: all yours)",
            field="stage",
        )
    if stage is not None and stage not in mine:
        raise Forbidden(
            f"the {stage} queue is for {transitions.STAGE_RULES[stage].role}s",
            code="auth.missing_role",
        )
    if not mine:
        raise Forbidden("review queues are for reviewers", code="auth.missing_role")
    return mine


async def list_tasks(
    session: AsyncSession,
    user: User,
    stage: Stage | None,
    status: TaskStatus | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[TaskView], str | None]:
    """Tasks of ``stage`` (or of every stage the reviewer works) that are handed to them: open
    ones the workflow's rules let them decide, and those they decided."""
    mine = check_stage(user, stage)
    stages = [stage] if stage is not None else mine
    query = _with_content().where(col(ReviewTask.stage).in_(stages), visibility.handed_to(user))
    if status is not None:
        query = query.where(ReviewTask.status == status)
    rows, next_cursor = await page_by_id(
        session, query, col(ReviewTask.id), cursor, limit, key=lambda row: row[0].id
    )
    return [TaskView(*row) for row in rows], next_cursor


async def _task_for(session: AsyncSession, user: User, task_id: str) -> TaskView:
    """A task the workflow's rules let ``user`` work on, whatever its status."""
    row = (await session.exec(_with_content().where(ReviewTask.id == task_id))).first()
    # A task outside the reviewer's stages does not exist for them.
    if row is None or not transitions.decides(user, row[0].stage):
        raise NotFound("no such review task", code="review.not_found")
    view = TaskView(*row)
    rule = transitions.STAGE_RULES[view.task.stage]
    await guards.check(session, user, rule.guards, col(ReviewTask.id) == task_id)
    return view


def _claimable_by(user_id: str, now: object) -> sa.ColumnElement[bool]:
    return or_(
        col(ReviewTask.claimed_by).is_(None),
        col(ReviewTask.claimed_by) == user_id,
        col(ReviewTask.claim_expires_at) < now,
    )


async def _why_not(session: AsyncSession, task_id: str) -> Conflict:
    task = await session.get(ReviewTask, task_id, populate_existing=True)
    if task is None or task.status != TaskStatus.open:
        return Conflict("this task has already been decided", code="review.task_closed")
    return Conflict(
        "another reviewer holds this task until its claim expires",
        code="review.already_claimed",
        claim_expires_at=task.claim_expires_at,
    )


async def claim(session: AsyncSession, user: User, task_id: str, lease_s: int) -> TaskView:
    view = await _task_for(session, user, task_id)
    now = utcnow()
    expires = now + timedelta(seconds=lease_s)
    result = await session.exec(
        sa.update(ReviewTask)
        .where(
            col(ReviewTask.id) == task_id,
            col(ReviewTask.status) == TaskStatus.open,
            _claimable_by(user.id, now),
        )
        .values(claimed_by=user.id, claim_expires_at=expires)
    )
    if result.rowcount != 1:
        raise await _why_not(session, task_id)
    view.task.claimed_by, view.task.claim_expires_at = user.id, expires
    return view


async def decide(
    session: AsyncSession, user: User, task_id: str, decision: Action, comment: str | None
) -> TaskView:
    if decision not in transitions.DECISIONS:
        raise Invalid(
            "decision is one of " + ", ".join(sorted(transitions.DECISIONS)), field="decision"
        )
    comment = clean_text(comment, "comment", MAX_COMMENT, required=False) or None
    if decision != Action.approve and not comment:
        raise Invalid(
            f"{decision.replace('_', ' ')} needs a comment for the author", field="comment"
        )
    if comment and len(comment) > MAX_COMMENT:
        raise Invalid(f"comment: at most {MAX_COMMENT} characters", field="comment")
    view = await _task_for(session, user, task_id)
    outcome = transitions.decision_outcome(view.task.stage, decision)
    now = utcnow()
    # The single conditional UPDATE is the arbiter: of two racing decisions exactly one matches.
    result = await session.exec(
        sa.update(ReviewTask)
        .where(
            col(ReviewTask.id) == task_id,
            col(ReviewTask.status) == TaskStatus.open,
            _claimable_by(user.id, now),
        )
        .values(status=outcome, decided_by=user.id, decided_at=now, comment=comment)
    )
    if result.rowcount != 1:
        raise await _why_not(session, task_id)
    await workflow.apply(session, view.content, view.revision, decision, user, comment=comment)
    view.task.status, view.task.decided_by, view.task.decided_at = outcome, user.id, now
    view.task.comment = comment
    return view
