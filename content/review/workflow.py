"""The review workflow as data: one table of allowed transitions, from which who may do what is
derived, and `apply`, the only way a state changes (docs/review-workflow.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects, feeds, jobs
from content.errors import Conflict, Forbidden
from content.models import (
    Action,
    Content,
    ContentAudience,
    ContentStatus,
    ContentTopic,
    ReviewEvent,
    ReviewTask,
    Revision,
    RevisionState,
    Role,
    Stage,
    TaskStatus,
    User,
)
from content.review import guards
from content.review.guards import Guard
from infra.clock import utcnow


class Party(StrEnum):
    """Who takes an action when it is not a role's: the content's author, or no person at all."""

    owner = "owner"
    machine = "machine"


Actor = Party | Role
# A revision's place in the workflow: its stage while in review, else its state.
State = RevisionState | Stage


@dataclass(frozen=True)
class Transition:
    """Exactly one of ``to`` (the working revision's next state) and ``ends`` (the content's end,
    whatever its revision is doing) is set."""

    by: Actor
    to: State | None = None
    ends: ContentStatus | None = None
    guards: frozenset[Guard] = frozenset()
    task: TaskStatus | None = None  # set on a human decision: what the stage's task becomes
    starts_revision: bool = False  # ``to`` is a new working revision, the old one stays as it is
    live_only: bool = False  # only while an earlier revision of the content is live

    def __post_init__(self) -> None:
        if (self.to is None) == (self.ends is None):
            raise ValueError("a transition moves the revision or ends the content, not both")


_POLITICAL = frozenset({Guard.not_author, Guard.one_stage_each})
_SCIENCE = _POLITICAL | {Guard.discipline}
_RS, _ST, _CS = RevisionState, Stage, ContentStatus


def _decision(by: Role, to: State, guards: frozenset[Guard], task: TaskStatus) -> Transition:
    return Transition(by, to=to, guards=guards, task=task)


def _edit(*, live_only: bool = False) -> Transition:
    return Transition(Party.owner, to=_RS.draft, starts_revision=True, live_only=live_only)


# (state, action) → transition. A revision-moving transition is keyed by the working revision's
# state; a content-ending one by the content's status.
TRANSITIONS: dict[tuple[State | ContentStatus, Action], Transition] = {
    (_RS.draft, Action.submit): Transition(Party.owner, to=_ST.machine),
    (_ST.machine, Action.pass_): Transition(Party.machine, to=_ST.political),
    (_ST.machine, Action.block): Transition(Party.machine, to=_RS.rejected),
    (_ST.political, Action.approve): _decision(
        Role.political_reviewer, _ST.science, _POLITICAL, TaskStatus.approved
    ),
    (_ST.political, Action.reject): _decision(
        Role.political_reviewer, _RS.rejected, _POLITICAL, TaskStatus.rejected
    ),
    (_ST.political, Action.request_changes): _decision(
        Role.political_reviewer, _RS.changes_requested, _POLITICAL, TaskStatus.changes_requested
    ),
    (_ST.science, Action.approve): _decision(
        Role.science_reviewer, _RS.published, _SCIENCE, TaskStatus.approved
    ),
    (_ST.science, Action.reject): _decision(
        Role.science_reviewer, _RS.rejected, _SCIENCE, TaskStatus.rejected
    ),
    (_ST.science, Action.request_changes): _decision(
        Role.science_reviewer, _RS.changes_requested, _SCIENCE, TaskStatus.changes_requested
    ),
    (_RS.changes_requested, Action.edit): _edit(),
    (_RS.published, Action.edit): _edit(),
    # A rejected item ends there, unless an earlier revision of it is live.
    (_RS.rejected, Action.edit): _edit(live_only=True),
    **{
        (s, Action.withdraw): Transition(Party.owner, ends=_CS.withdrawn)
        for s in (_CS.draft, _CS.in_review, _CS.changes_requested, _CS.rejected, _CS.published)
    },
    (_CS.published, Action.takedown): Transition(Role.admin, ends=_CS.taken_down),
}

ENDED = (ContentStatus.withdrawn, ContentStatus.taken_down)


@dataclass(frozen=True)
class StageRule:
    """Who decides a human review stage, and the rules binding them."""

    role: Role
    guards: frozenset[Guard]


def _stage_rules() -> dict[Stage, StageRule]:
    rules: dict[Stage, StageRule] = {}
    for (state, _), t in TRANSITIONS.items():
        if t.task is None:
            continue
        if not isinstance(t.by, Role) or not isinstance(state, Stage):
            raise TypeError(f"a decision is a reviewer's, in a review stage: {state}")
        if rules.setdefault(state, StageRule(t.by, t.guards)) != StageRule(t.by, t.guards):
            raise ValueError(f"every decision of the {state} stage needs the same reviewer")
    return rules


# Derived from the table: the human stages and who decides each, and the decisions.
STAGE_RULES: dict[Stage, StageRule] = _stage_rules()
DECISIONS: frozenset[Action] = frozenset(a for (_, a), t in TRANSITIONS.items() if t.task)


def stages_of(user: User) -> list[Stage]:
    """The human review stages ``user`` decides."""
    return [stage for stage, rule in STAGE_RULES.items() if rule.role in user.roles]


def decides(user: User, stage: Stage) -> bool:
    return stage in stages_of(user)


def decision_outcome(stage: Stage, decision: Action) -> TaskStatus:
    """What a task of ``stage`` becomes when ``decision`` is taken on it."""
    t = TRANSITIONS.get((stage, decision))
    if t is None or t.task is None:
        raise Conflict(
            f"{decision} is no decision of the {stage} stage", code="workflow.invalid_state"
        )
    return t.task


def workable(user: User, stages: list[Stage] | None = None) -> sa.ColumnElement[bool]:
    """SQL over a ReviewTask joined with its Content: the tasks ``user`` may claim and decide,
    by the table's rules for each stage they work (``stages``: only those)."""
    return sa.or_(
        sa.false(),
        *(
            sa.and_(
                col(ReviewTask.stage) == stage,
                guards.passes(user, STAGE_RULES[stage].guards),
            )
            for stage in stages_of(user)
            if stages is None or stage in stages
        ),
    )


def revision_state(revision: Revision) -> State:
    """The workflow state of a revision: its stage while in review, else its state."""
    if revision.state == RevisionState.in_review and revision.stage is not None:
        return Stage(revision.stage)
    return RevisionState(revision.state)


def content_status_for(live: bool, state: State) -> ContentStatus:
    """The contract's status: live content stays ``published`` while an edit is reviewed."""
    if live:
        return ContentStatus.published
    if isinstance(state, Stage):
        return ContentStatus.in_review
    return ContentStatus(state)


def find(content: Content, revision: Revision, action: Action) -> Transition | None:
    """The transition ``action`` would take the content and its working revision through."""
    if content.status in ENDED:
        return None
    for key, moves_revision in ((revision_state(revision), True), (content.status, False)):
        t = TRANSITIONS.get((key, action))
        if (
            t is not None
            and (t.to is not None) == moves_revision
            and (not t.live_only or content.live_revision_id is not None)
        ):
            return t
    return None


def _refuse_state(content: Content, revision: Revision, action: Action) -> Conflict:
    if content.status in ENDED:
        return Conflict(
            f"this content was {content.status.replace('_', ' ')}; it cannot change any more",
            code="workflow.invalid_state",
        )
    hint = ""
    if action == Action.submit and find(content, revision, Action.edit) is not None:
        hint = "; make your changes first (PATCH the content), then submit"
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
    return revision


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
    if new_state in (_RS.published, _RS.rejected, _RS.changes_requested):
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
        .where(col(Revision.content_id) == content.id, col(Revision.state) == _RS.in_review)
        .values(state=RevisionState.withdrawn, stage=None, updated_at=now)
    )
    if revision.state == RevisionState.in_review:
        revision.state, revision.stage = RevisionState.withdrawn, None
    await _index_live(session, content.id, None)
    jobs.after_commit(session, jobs.SYNC_PUBLIC_MEDIA, content.id)
    effects.sync_feeds(session, content.id)
    return {"live_revision_id": None, "removed_reason": reason}
