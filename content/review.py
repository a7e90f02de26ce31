"""Review work: the machine stage, and human tasks with claim leases and exactly-one decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from content import guards, visibility, workflow
from content.dictionary import current_screener
from content.errors import Conflict, Forbidden, Invalid, NotFound
from content.models import (
    Action,
    Content,
    Media,
    MediaStatus,
    ReviewTask,
    Revision,
    RevisionState,
    Stage,
    TaskStatus,
    User,
)
from content.screening import Finding, blocking
from content.text import clean_text
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
    mine = workflow.stages_of(user)
    if stage is not None and stage not in workflow.STAGE_RULES:
        raise Invalid(
            "stage is one of " + ", ".join(workflow.STAGE_RULES) + " (or none: all yours)",
            field="stage",
        )
    if stage is not None and stage not in mine:
        raise Forbidden(
            f"the {stage} queue is for {workflow.STAGE_RULES[stage].role}s",
            code="auth.missing_role",
        )
    if not mine:
        raise Forbidden("review queues are for reviewers", code="auth.missing_role")
    stages = [stage] if stage is not None else mine
    query = (
        _with_content()
        .where(col(ReviewTask.stage).in_(stages), visibility.handed_to(user))
        .order_by(col(ReviewTask.id))
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(ReviewTask.status == status)
    if cursor:
        query = query.where(col(ReviewTask.id) > cursor)
    rows = [TaskView(*row) for row in (await session.exec(query)).all()]
    page = rows[:limit]
    return page, (page[-1].task.id if len(rows) > limit and page else None)


async def _task_for(session: AsyncSession, user: User, task_id: str) -> TaskView:
    """A task the workflow's rules let ``user`` work on, whatever its status."""
    row = (await session.exec(_with_content().where(ReviewTask.id == task_id))).first()
    # A task outside the reviewer's stages does not exist for them.
    if row is None or not workflow.decides(user, row[0].stage):
        raise NotFound("no such review task", code="review.not_found")
    view = TaskView(*row)
    rule = workflow.STAGE_RULES[view.task.stage]
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
        claim_expires_at=task.claim_expires_at.isoformat() if task.claim_expires_at else None,
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
    if decision not in workflow.DECISIONS:
        raise Invalid(
            "decision is one of " + ", ".join(sorted(workflow.DECISIONS)), field="decision"
        )
    comment = clean_text(comment, "comment", MAX_COMMENT, required=False) or None
    if decision != Action.approve and not comment:
        raise Invalid(
            f"{decision.replace('_', ' ')} needs a comment for the author", field="comment"
        )
    if comment and len(comment) > MAX_COMMENT:
        raise Invalid(f"comment: at most {MAX_COMMENT} characters", field="comment")
    view = await _task_for(session, user, task_id)
    outcome = workflow.decision_outcome(view.task.stage, decision)
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


def _screened(revision: Revision) -> dict[str, str]:
    """The texts of a revision the machine stage screens, by field."""
    return {
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body or "",
        "references": "\n".join(r.get("title", "") for r in revision.references),
    }


async def _media_of(session: AsyncSession, revision: Revision) -> list[tuple[str, Media | None]]:
    """The revision's media (a video and its cover), by field; None where it is gone."""
    return [
        (field, await session.get(Media, media_id))
        for field, media_id in (
            ("media_id", revision.media_id),
            ("cover_media_id", revision.cover_media_id),
        )
        if media_id is not None  # a video without media_id never passes validation
    ]


async def texts_for_second_opinion(
    session: AsyncSession, revision_id: str
) -> tuple[dict[str, str], str | None] | None:
    """What the machine stage would screen now, and its author's WeChat openid (WeChat's check
    needs it): None while the revision is not ready for the stage, so WeChat is not asked for
    nothing. Read before the stage's own transaction, which must not wait on WeChat."""
    revision = await session.get(Revision, revision_id)
    if revision is None or workflow.revision_state(revision) != Stage.machine:
        return None
    if any(
        m is None or m.status != MediaStatus.ready for _, m in await _media_of(session, revision)
    ):
        return None
    author = await session.exec(
        select(User.wechat_openid)
        .join(Content, col(Content.owner_id) == col(User.id))
        .where(Content.id == revision.content_id)
    )
    return _screened(revision), author.first()


async def run_machine_stage(
    session: AsyncSession, revision_id: str, second_opinion: Sequence[Finding] = ()
) -> str:
    """Screen a revision in the machine stage and move it on, with WeChat's findings on it
    (`second_opinion`, asked beforehand) next to ours. Returns what happened; safe to run twice
    (a revision no longer in the machine stage is left alone)."""
    revision = await session.get(Revision, revision_id)
    if revision is None or workflow.revision_state(revision) != Stage.machine:
        return "skipped"
    content = await session.get(Content, revision.content_id)
    if content is None:  # the foreign key rules it out; nothing to screen then
        return "skipped"
    # Media must be processed before anyone sees it: wait for it, or stop here if it failed.
    for field, media in await _media_of(session, revision):
        if media is None or media.status == MediaStatus.failed:
            reason = media.error if media and media.error else "the media could not be processed"
            return await _block_for_media(session, content, revision, field, reason)
        if media.status != MediaStatus.ready:
            return "waiting_for_media"
    screener = await current_screener(session)
    findings = screener.scan(_screened(revision), has_references=bool(revision.references))
    # Stamped with the dictionary of this screening, like ours.
    findings += [replace(f, dictionary_version=screener.version) for f in second_opinion]
    revision.findings = [f.as_dict() for f in findings]
    session.add(revision)
    if blocking(findings):
        first = next(f for f in findings if f.severity == "block")
        await workflow.apply(session, content, revision, Action.block, None, comment=first.message)
        return "blocked"
    await workflow.apply(session, content, revision, Action.pass_, None)
    return "passed"


async def _block_for_media(
    session: AsyncSession, content: Content, revision: Revision, field: str, reason: str
) -> str:
    revision.findings = [
        {
            "check": "media",
            "severity": "block",
            "field": field,
            "start": 0,
            "end": 0,
            "excerpt": "",
            "message": reason,
        }
    ]
    session.add(revision)
    await workflow.apply(session, content, revision, Action.block, None, comment=reason)
    return "blocked"


async def stuck_in_machine_stage(session: AsyncSession, older_than_s: float) -> list[str]:
    """Revisions submitted over ``older_than_s`` ago and still waiting for the machine stage
    (their job was lost, or their media is still processing)."""
    rows = await session.exec(
        select(Revision.id).where(
            Revision.state == RevisionState.in_review,
            Revision.stage == Stage.machine,
            col(Revision.submitted_at) < utcnow() - timedelta(seconds=older_than_s),
        )
    )
    return list(rows.all())
