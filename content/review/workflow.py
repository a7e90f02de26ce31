"""`apply`, the only way a workflow state changes: it checks the transition table
(transitions.py) and the actor, moves the rows with conditional updates and records the event
(docs/review-workflow.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects, feeds, jobs, notifications, search
from content.errors import Conflict, Forbidden
from content.models import (
    Action,
    Content,
    ContentAudience,
    ContentStatus,
    ContentTopic,
    NotificationKind,
    ReviewEvent,
    ReviewTask,
    Revision,
    RevisionState,
    Stage,
    TaskStatus,
    User,
)
from content.review import guards
from content.review.transitions import (
    ENDED,
    STAGE_RULES,
    Party,
    State,
    Transition,
    content_status_for,
    find,
    revision_state,
)
from infra.clock import utcnow

# A revision in one of these states was decided (its decided_at is set).
_DECIDED = (RevisionState.published, RevisionState.rejected, RevisionState.changes_requested)


def _refuse_state(content: Content, revision: Revision, action: Action) -> Conflict:
    if content.status in ENDED:
        return Conflict(
            f"this content was {content.status.replace('_', ' ')}; it cannot change any more",
            code="workflow.invalid_state",
        )
    hint = ""
    if action == Action.submit and find(content, revision, Action.edit) is not None:
        hint = "; make your changes first (PUT or PATCH the content), then submit"
    return Conflict(
        f"cannot {action.replace('_', ' ')} content that is {content.status}"
        f" (revision at {revision_state(revision)}){hint}",
        code="workflow.invalid_state",
    )


async def _check_actor(
    session: AsyncSession, t: Transition, content: Content, revision: Revision, actor: User | None
) -> None:
    if t.by is Party.machine:
        if actor is not None:
            raise Forbidden("only the machine stage takes this action", code="workflow.forbidden")
        return
    if actor is None:
        raise Forbidden("this action needs a person", code="workflow.forbidden")
    if t.by is Party.owner:
        if actor.id != content.owner_id:
            raise Forbidden("only the author may do this", code="workflow.forbidden")
        return
    if t.by not in actor.roles:
        raise Forbidden(f"this needs the role {t.by}", code="auth.missing_role")
    await guards.check(
        session,
        actor,
        t.guards,
        sa.and_(
            col(ReviewTask.revision_id) == revision.id, col(ReviewTask.stage) == revision.stage
        ),
    )


async def apply(
    session: AsyncSession,
    content: Content,
    revision: Revision,
    action: Action,
    actor: User | None,
    *,
    comment: str | None = None,
    values: dict[str, Any] | None = None,
) -> Revision:
    """Apply ``action`` to the content's working ``revision`` (or to the content itself).
    ``values`` are the columns of the new revision an edit starts. Returns the working revision
    afterwards."""
    transition = find(content, revision, action)
    if transition is None:
        raise _refuse_state(content, revision, action)
    await _check_actor(session, transition, content, revision, actor)
    now = utcnow()
    from_status, from_state = content.status, revision_state(revision)
    revision, new_status, changes = await _carry_out(
        session, transition, content, revision, comment, values or {}, now
    )
    await _set_content_status(session, content, from_status, new_status, changes, now)
    session.add(
        ReviewEvent(
            content_id=content.id,
            revision_id=revision.id,
            revision_number=revision.number,
            actor_id=actor.id if actor else None,
            action=action,
            stage=from_state if isinstance(from_state, Stage) else None,
            from_status=from_status,
            to_status=new_status,
            comment=comment,
            created_at=now,
        )
    )
    await _tell_owner(session, content, revision, action, comment)
    return revision


async def _tell_owner(
    session: AsyncSession, content: Content, revision: Revision, action: Action, comment: str | None
) -> None:
    """The creator hears of every decision on their work: one row in this transaction, its
    WeChat push after the commit (content/notifications)."""
    texts = notifications.texts
    if action in (Action.reject, Action.block):
        text = texts.rejected(revision.title, comment)
    elif action == Action.request_changes:
        text = texts.changes_requested(revision.title, comment)
    elif action == Action.approve and revision.state == RevisionState.published:
        text = texts.published(revision.title)
    elif action == Action.takedown:
        text = texts.taken_down(revision.title, comment)
    else:
        return
    await notifications.tell(
        session,
        content.owner_id,
        NotificationKind.review_outcome,
        text,
        content_id=content.id,
        data={"action": action.value, "revision": revision.number},
    )


async def _carry_out(
    session: AsyncSession,
    transition: Transition,
    content: Content,
    revision: Revision,
    comment: str | None,
    values: dict[str, Any],
    now: datetime,
) -> tuple[Revision, ContentStatus, dict[str, Any]]:
    """End the content, start a new revision, or move this one: the working revision after,
    the content's new status and the content columns to write with it."""
    to, ends = transition.to, transition.ends
    if ends is not None:
        return revision, ends, await _end_content(session, content, revision, comment, now)
    if to is None:
        raise ValueError("a transition moves the revision or ends the content")  # see Transition
    if transition.starts_revision:
        revision, changes = await _start_revision(session, content, revision, values)
        return revision, content_status_for(content.live_revision_id is not None, to), changes
    await _move_revision(session, revision, to, now)
    changes = await _enter(session, content, revision, to, now)
    live = changes.get("live_revision_id", content.live_revision_id) is not None
    return revision, content_status_for(live, to), changes


def _stale(what: str) -> Conflict:
    return Conflict(f"this {what} changed meanwhile; reload and try again", code="workflow.stale")


def _columns(state: State) -> tuple[RevisionState, Stage | None]:
    """A workflow state as the (state, stage) columns of a revision row."""
    if isinstance(state, Stage):
        return RevisionState.in_review, state
    return state, None


async def _move_revision(
    session: AsyncSession, revision: Revision, to: State, now: datetime
) -> None:
    old_state, old_stage = revision.state, revision.stage
    new_state, new_stage = _columns(to)
    stage_clause = (
        col(Revision.stage).is_(None) if old_stage is None else col(Revision.stage) == old_stage
    )
    values: dict[str, object] = {"state": new_state, "stage": new_stage, "updated_at": now}
    if to == Stage.machine:
        values["submitted_at"] = now
    if new_state in (
        RevisionState.published,
        RevisionState.rejected,
        RevisionState.changes_requested,
    ):
        values["decided_at"] = now
    result = await session.exec(
        sa.update(Revision)
        .where(col(Revision.id) == revision.id, col(Revision.state) == old_state, stage_clause)
        .values(**values)
    )
    if result.rowcount != 1:
        raise _stale("revision")
    for key, value in values.items():
        setattr(revision, key, value)


async def _start_revision(
    session: AsyncSession, content: Content, revision: Revision, values: dict[str, Any]
) -> tuple[Revision, dict[str, Any]]:
    """A new draft revision after ``revision`` was decided; submitted revisions never change."""
    new = Revision(
        content_id=content.id, number=revision.number + 1, author_id=content.owner_id, **values
    )
    try:
        async with session.begin_nested():
            session.add(new)
            await session.flush()
    except IntegrityError as exc:  # a concurrent edit started revision n+1 first
        raise _stale("content") from exc
    return new, {"working_revision_id": new.id}


async def _set_content_status(
    session: AsyncSession,
    content: Content,
    old: ContentStatus,
    new: ContentStatus,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    """Write the content's new status with the columns the transition's side effects changed,
    if nobody moved the content (its status or working revision) meanwhile."""
    values = {"status": new, "updated_at": now, **changes}
    result = await session.exec(
        sa.update(Content)
        .where(
            col(Content.id) == content.id,
            col(Content.status) == old,
            col(Content.working_revision_id) == content.working_revision_id,
        )
        .values(**values)
    )
    if result.rowcount != 1:
        raise _stale("content")
    for key, value in values.items():
        setattr(content, key, value)


async def _enter(
    session: AsyncSession, content: Content, revision: Revision, state: State, now: datetime
) -> dict[str, Any]:
    """Side effects of a revision entering ``state``: the next review task, or going live.
    Returns the content columns to write with its new status."""
    if state in STAGE_RULES:
        session.add(
            ReviewTask(
                content_id=content.id,
                revision_id=revision.id,
                stage=Stage(state),
                discipline=revision.discipline,
            )
        )
    elif state == RevisionState.published:
        if content.live_revision_id and content.live_revision_id != revision.id:
            await session.exec(
                sa.update(Revision)
                .where(col(Revision.id) == content.live_revision_id)
                .values(state=RevisionState.superseded)
            )
        await _index_live(session, content.id, revision)
        await search.index(session, content.id, revision, content.published_at or now)
        jobs.after_commit(session, jobs.SYNC_PUBLIC_MEDIA, content.id)
        await feeds.on_published(session, content.id, content.published_at or now)
        return {"live_revision_id": revision.id, "published_at": content.published_at or now}
    return {}


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
    reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Withdrawal or takedown: off every feed at once, and no review goes on. Returns the
    content columns to write with its new status."""
    await session.exec(
        sa.update(ReviewTask)
        .where(col(ReviewTask.content_id) == content.id, col(ReviewTask.status) == TaskStatus.open)
        .values(status=TaskStatus.cancelled, decided_at=now)
    )
    await session.exec(
        sa.update(Revision)
        .where(
            col(Revision.content_id) == content.id, col(Revision.state) == RevisionState.in_review
        )
        .values(state=RevisionState.withdrawn, stage=None, updated_at=now)
    )
    if revision.state == RevisionState.in_review:
        revision.state, revision.stage = RevisionState.withdrawn, None
    await _index_live(session, content.id, None)
    await search.remove(session, content.id)
    jobs.after_commit(session, jobs.SYNC_PUBLIC_MEDIA, content.id)
    effects.sync_feeds(session, content.id)
    return {"live_revision_id": None, "removed_reason": reason}
