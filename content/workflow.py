"""The review workflow as data: one table of allowed transitions, one function applying them.

No router or job changes a content's state any other way. Each transition is a conditional
UPDATE (``… WHERE state = :expected``) so two racing actions cannot both win, and it writes a
``ReviewEvent`` row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import feeds, jobs
from content.errors import Conflict, Forbidden
from content.models import (
    Content,
    ContentAudience,
    ContentStatus,
    ContentTopic,
    ReviewEvent,
    ReviewTask,
    Revision,
    Role,
    Stage,
    TaskStatus,
    User,
)
from infra.clock import utcnow

# Who may take an action: the content's owner, the machine stage, a reviewer of the stage, an admin.
Actor = Literal["owner", "system", "political_reviewer", "science_reviewer", "admin"]
# "revision": the state is the working revision's (its stage while in review);
# "content": the state is the content's status.
Scope = Literal["revision", "content"]


@dataclass(frozen=True)
class Transition:
    scope: Scope
    to: str
    actor: Actor


# (state, action) → transition. Review states of a revision are its stage while in review.
TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("draft", "submit"): Transition("revision", "machine", "owner"),
    ("machine", "pass"): Transition("revision", "political", "system"),
    ("machine", "block"): Transition("revision", "rejected", "system"),
    ("political", "approve"): Transition("revision", "science", "political_reviewer"),
    ("political", "reject"): Transition("revision", "rejected", "political_reviewer"),
    ("political", "request_changes"): Transition(
        "revision", "changes_requested", "political_reviewer"
    ),
    ("science", "approve"): Transition("revision", "published", "science_reviewer"),
    ("science", "reject"): Transition("revision", "rejected", "science_reviewer"),
    ("science", "request_changes"): Transition("revision", "changes_requested", "science_reviewer"),
    **{
        (s, "withdraw"): Transition("content", "withdrawn", "owner")
        for s in ("draft", "in_review", "changes_requested", "rejected", "published")
    },
    ("published", "takedown"): Transition("content", "taken_down", "admin"),
}

ENDED = (ContentStatus.withdrawn, ContentStatus.taken_down)
REVIEW_STAGES = (Stage.machine.value, Stage.political.value, Stage.science.value)


def revision_state(revision: Revision) -> str:
    """The workflow state of a revision: its stage while in review, else its state."""
    if revision.state == "in_review" and revision.stage is not None:
        return revision.stage.value if isinstance(revision.stage, Stage) else str(revision.stage)
    return revision.state


def _split(state: str) -> tuple[str, Stage | None]:
    """A workflow state as the (state, stage) columns of a revision row."""
    if state in REVIEW_STAGES:
        return "in_review", Stage(state)
    return state, None


def content_status_for(content: Content, revision_state_: str) -> ContentStatus:
    """The contract's status: live content stays ``published`` while an edit is reviewed."""
    if content.live_revision_id is not None:
        return ContentStatus.published
    if revision_state_ in REVIEW_STAGES:
        return ContentStatus.in_review
    return ContentStatus(revision_state_)


def _check_actor(t: Transition, content: Content, actor: User | None) -> None:
    if t.actor == "system":
        if actor is not None:
            raise Forbidden("only the machine stage takes this action", code="workflow.forbidden")
        return
    if actor is None:
        raise Forbidden("this action needs a person", code="workflow.forbidden")
    if t.actor == "owner":
        if actor.id != content.owner_id:
            raise Forbidden("only the author may do this", code="workflow.forbidden")
        return
    if t.actor not in actor.roles:
        raise Forbidden(f"this needs the role {t.actor}", code="auth.missing_role")
    if t.actor != Role.admin.value and actor.id == content.owner_id:
        raise Forbidden("nobody reviews their own content", code="review.self_review")


async def apply(
    session: AsyncSession,
    content: Content,
    revision: Revision,
    action: str,
    actor: User | None,
    *,
    comment: str | None = None,
) -> None:
    """Apply ``action`` to the content's working ``revision`` (or to the content itself)."""
    if content.status in ENDED:
        raise Conflict(
            f"this content was {content.status.value.replace('_', ' ')}; it cannot change any more",
            code="workflow.invalid_state",
        )
    scope_state = {
        "revision": revision_state(revision),
        "content": content.status.value,
    }
    transition = next(
        (
            t
            for scope, state in scope_state.items()
            if (t := TRANSITIONS.get((state, action))) is not None and t.scope == scope
        ),
        None,
    )
    if transition is None:
        raise Conflict(
            f"cannot {action.replace('_', ' ')} content that is {content.status.value}"
            + (f" (revision at {revision_state(revision)})" if revision else ""),
            code="workflow.invalid_state",
        )
    _check_actor(transition, content, actor)
    now = utcnow()
    from_status = content.status
    if transition.scope == "revision":
        await _move_revision(session, revision, transition.to, now)
        await _enter(session, content, revision, transition.to, now)
        new_status = content_status_for(content, transition.to)
    else:
        new_status = ContentStatus(transition.to)
        await _end_content(session, content, revision, new_status, comment, now)
    await _set_content_status(session, content, from_status, new_status, now)
    session.add(
        ReviewEvent(
            content_id=content.id,
            revision_id=revision.id,
            revision_number=revision.number,
            actor_id=actor.id if actor else None,
            action=action,
            stage=scope_state["revision"] if scope_state["revision"] in REVIEW_STAGES else None,
            from_status=from_status.value,
            to_status=new_status.value,
            comment=comment,
            created_at=now,
        )
    )


async def _move_revision(session: AsyncSession, revision: Revision, to: str, now: datetime) -> None:
    old_state, old_stage = revision.state, revision.stage
    new_state, new_stage = _split(to)
    stage_clause = (
        col(Revision.stage).is_(None) if old_stage is None else col(Revision.stage) == old_stage
    )
    values: dict[str, object] = {"state": new_state, "stage": new_stage, "updated_at": now}
    if to == "machine":
        values["submitted_at"] = now
    if new_state in ("published", "rejected", "changes_requested"):
        values["decided_at"] = now
    result = await session.exec(
        sa.update(Revision)
        .where(col(Revision.id) == revision.id, col(Revision.state) == old_state, stage_clause)
        .values(**values)
    )
    if result.rowcount != 1:
        raise Conflict(
            "this revision changed meanwhile; reload and try again", code="workflow.stale"
        )
    for key, value in values.items():
        setattr(revision, key, value)


async def _set_content_status(
    session: AsyncSession,
    content: Content,
    old: ContentStatus,
    new: ContentStatus,
    now: datetime,
) -> None:
    result = await session.exec(
        sa.update(Content)
        .where(col(Content.id) == content.id, col(Content.status) == old)
        .values(
            status=new,
            live_revision_id=content.live_revision_id,
            published_at=content.published_at,
            removed_reason=content.removed_reason,
            updated_at=now,
        )
    )
    if result.rowcount != 1:
        raise Conflict(
            "this content changed meanwhile; reload and try again", code="workflow.stale"
        )
    content.status = new
    content.updated_at = now


async def _enter(
    session: AsyncSession, content: Content, revision: Revision, state: str, now: datetime
) -> None:
    """Side effects of a revision entering ``state``: the next review task, or going live."""
    if state in (Stage.political.value, Stage.science.value):
        session.add(
            ReviewTask(
                content_id=content.id,
                revision_id=revision.id,
                stage=Stage(state),
                discipline=revision.discipline,
            )
        )
    elif state == "published":
        if content.live_revision_id and content.live_revision_id != revision.id:
            await session.exec(
                sa.update(Revision)
                .where(col(Revision.id) == content.live_revision_id)
                .values(state="superseded")
            )
        content.live_revision_id = revision.id
        content.published_at = content.published_at or now
        await _index_live(session, content.id, revision)
        jobs.after_commit(session, jobs.SYNC_PUBLIC_MEDIA, content.id)
        await feeds.on_published(session, content)


async def _index_live(session: AsyncSession, content_id: str, revision: Revision | None) -> None:
    """Keep the feed's topic and audience links equal to the live revision's."""
    await session.exec(delete(ContentTopic).where(col(ContentTopic.content_id) == content_id))
    await session.exec(delete(ContentAudience).where(col(ContentAudience.content_id) == content_id))
    if revision is None:
        return
    session.add_all(ContentTopic(content_id=content_id, topic_slug=t) for t in revision.topics)
    session.add_all(
        ContentAudience(content_id=content_id, audience_slug=a) for a in revision.audiences
    )


async def _end_content(
    session: AsyncSession,
    content: Content,
    revision: Revision,
    status: ContentStatus,
    reason: str | None,
    now: datetime,
) -> None:
    """Withdrawal or takedown: off every feed at once, and no review goes on."""
    await session.exec(
        sa.update(ReviewTask)
        .where(col(ReviewTask.content_id) == content.id, col(ReviewTask.status) == TaskStatus.open)
        .values(status=TaskStatus.cancelled, decided_at=now)
    )
    await session.exec(
        sa.update(Revision)
        .where(col(Revision.content_id) == content.id, col(Revision.state) == "in_review")
        .values(state="withdrawn", stage=None, updated_at=now)
    )
    if revision.state == "in_review":
        revision.state, revision.stage = "withdrawn", None
    content.live_revision_id = None
    content.removed_reason = reason
    await _index_live(session, content.id, None)
    jobs.after_commit(session, jobs.SYNC_PUBLIC_MEDIA, content.id)
    feeds.after_commit_sync(session, content.id)


async def open_task(session: AsyncSession, revision_id: str, stage: Stage) -> ReviewTask | None:
    return (
        await session.exec(
            select(ReviewTask).where(
                ReviewTask.revision_id == revision_id,
                ReviewTask.stage == stage,
                ReviewTask.status == TaskStatus.open,
            )
        )
    ).first()
