"""The review workflow as data: one table of allowed transitions, and what is derived from it
(who decides a stage, which tasks a reviewer may work, the status a state shows)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col

from content.errors import Conflict
from content.models import (
    Action,
    Content,
    ContentStatus,
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
