"""Every (state, action, actor) through ``review.apply``: the allowed ones lead to the right state
and write one audit event, every other one is refused with the right code and writes nothing.

The expectations below are written from the contract (docs/review-workflow.md), independently
of the table in content/review/transitions.py, so a change to the table that breaks a rule fails
here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import review
from content.errors import DomainError
from content.models import (
    Action,
    Content,
    ReviewEvent,
    ReviewTask,
    Revision,
    TaskStatus,
    User,
)
from infra.services import Services
from infra.settings import Settings
from tests import factories as f

# Who acts. "owner" also holds both reviewer roles (in medicine), so the self-review rule is
# what stops them at a review stage; "dual" holds both roles and approves the political stage
# of the "science_dual" state.
ACTORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "owner": (("creator", "political_reviewer", "science_reviewer"), ("medicine",)),
    "stranger": (("creator",), ()),
    "political": (("political_reviewer",), ()),
    "science": (("science_reviewer",), ("medicine",)),
    "physicist": (("science_reviewer",), ("physics",)),
    "dual": (("political_reviewer", "science_reviewer"), ("medicine",)),
    "admin": (("admin",), ()),
}
MACHINE = "machine"  # no person
DECIDED = {
    "approve": TaskStatus.approved,
    "reject": TaskStatus.rejected,
    "request_changes": TaskStatus.changes_requested,
}

# How each state is reached from a fresh draft: (action, actor).
_PUBLISHED = [
    ("submit", "owner"),
    ("pass", MACHINE),
    ("approve", "political"),
    ("approve", "science"),
]
PATHS: dict[str, list[tuple[str, str]]] = {
    "draft": [],
    "machine": [("submit", "owner")],
    "political": [("submit", "owner"), ("pass", MACHINE)],
    "science": [("submit", "owner"), ("pass", MACHINE), ("approve", "political")],
    "science_dual": [("submit", "owner"), ("pass", MACHINE), ("approve", "dual")],
    "published": _PUBLISHED,
    "changes_requested": [
        ("submit", "owner"),
        ("pass", MACHINE),
        ("request_changes", "political"),
    ],
    "rejected": [("submit", "owner"), ("block", MACHINE)],
    "withdrawn": [("withdraw", "owner")],
    "taken_down": [*_PUBLISHED, ("takedown", "admin")],
    "edited": [*_PUBLISHED, ("edit", "owner")],  # live, with a new draft revision
    "edit_in_political": [
        *_PUBLISHED,
        ("edit", "owner"),
        ("submit", "owner"),
        ("pass", MACHINE),
    ],
    "edit_rejected": [*_PUBLISHED, ("edit", "owner"), ("submit", "owner"), ("block", MACHINE)],
}


@dataclass(frozen=True)
class Allowed:
    by: str  # "owner", MACHINE, or the role needed
    revision: str | None  # the working revision's state afterwards (None: as it was)
    status: str  # the content's status afterwards
    new_revision: bool = False


def _review_stage(stage: str, live: bool) -> dict[str, Allowed]:
    role = f"{stage}_reviewer"
    after = {"political": "science", "science": "published"}[stage]
    return {
        "approve": Allowed(
            role, after, "published" if live or after == "published" else "in_review"
        ),
        "reject": Allowed(role, "rejected", "published" if live else "rejected"),
        "request_changes": Allowed(
            role, "changes_requested", "published" if live else "changes_requested"
        ),
    }


WITHDRAW = Allowed("owner", None, "withdrawn")
TAKEDOWN = Allowed("admin", None, "taken_down")
EDIT_LIVE = Allowed("owner", "draft", "published", new_revision=True)
SPEC: dict[str, dict[str, Allowed]] = {
    "draft": {"submit": Allowed("owner", "machine", "in_review"), "withdraw": WITHDRAW},
    "machine": {
        "pass": Allowed(MACHINE, "political", "in_review"),
        "block": Allowed(MACHINE, "rejected", "rejected"),
        "withdraw": WITHDRAW,
    },
    "political": {**_review_stage("political", False), "withdraw": WITHDRAW},
    "science": {**_review_stage("science", False), "withdraw": WITHDRAW},
    "science_dual": {**_review_stage("science", False), "withdraw": WITHDRAW},
    "published": {"edit": EDIT_LIVE, "withdraw": WITHDRAW, "takedown": TAKEDOWN},
    "changes_requested": {
        "edit": Allowed("owner", "draft", "draft", new_revision=True),
        "withdraw": WITHDRAW,
    },
    "rejected": {"withdraw": WITHDRAW},  # no edit: nothing of it is live
    "withdrawn": {},
    "taken_down": {},
    "edited": {
        "submit": Allowed("owner", "machine", "published"),
        "withdraw": WITHDRAW,
        "takedown": TAKEDOWN,
    },
    "edit_in_political": {
        **_review_stage("political", True),
        "withdraw": WITHDRAW,
        "takedown": TAKEDOWN,
    },
    "edit_rejected": {"edit": EDIT_LIVE, "withdraw": WITHDRAW, "takedown": TAKEDOWN},
}


def expected_refusal(state: str, action: str, actor: str) -> str | None:
    """The code ``actor`` is refused with, or None when they may take ``action`` in ``state``."""
    allowed = SPEC[state].get(action)
    if allowed is None:
        return "workflow.invalid_state"
    if allowed.by == MACHINE:
        return None if actor == MACHINE else "workflow.forbidden"
    if actor == MACHINE:
        return "workflow.forbidden"
    if allowed.by == "owner":
        return None if actor == "owner" else "workflow.forbidden"
    roles, disciplines = ACTORS[actor]
    if allowed.by not in roles:
        return "auth.missing_role"
    if allowed.by == "admin":
        return None
    if allowed.by == "science_reviewer" and "medicine" not in disciplines:
        return "review.not_found"
    if actor == "owner":
        return "review.self_review"
    if state == "science_dual" and actor == "dual":
        return "review.same_reviewer"
    return None


@pytest.fixture(scope="module")
async def people(services: Services) -> dict[str, str]:
    ids = {}
    for name, (roles, disciplines) in ACTORS.items():
        ids[name] = (await f.person(services, *roles, disciplines=disciplines)).id
    return ids


REVISION_VALUES: dict[str, Any] = {
    "title": "冬季如何科学预防流感",
    "discipline": "medicine",
    "topics": ["health"],
    "audiences": ["elderly"],
}


async def _reach(
    session: AsyncSession, settings: Settings, users: dict[str, User | None], state: str
) -> str:
    """The id of a content of ``users['owner']`` in ``state``."""
    owner = users["owner"]
    assert owner is not None
    view = await f.draft_in_session(session, settings, owner.id)
    content, revision = view.content, view.revision
    for action, who in PATHS[state]:
        actor = users[who]
        if action in DECIDED and actor is not None:
            # What review.decide does before applying: the stage's task records the decision.
            await session.exec(
                sa.update(ReviewTask)
                .where(
                    col(ReviewTask.content_id) == content.id,
                    col(ReviewTask.status) == TaskStatus.open,
                )
                .values(status=DECIDED[action], decided_by=actor.id)
            )
        revision = await review.apply(
            session,
            content,
            revision,
            Action(action),
            actor,
            comment="理由",
            values=REVISION_VALUES,
        )
    await session.flush()
    return content.id


async def _events(session: AsyncSession, content_id: str) -> list[ReviewEvent]:
    rows = await session.exec(
        select(ReviewEvent)
        .where(ReviewEvent.content_id == content_id)
        .order_by(col(ReviewEvent.created_at), col(ReviewEvent.id))
    )
    return list(rows.all())


async def _count_events(session: AsyncSession, content_id: str) -> int:
    count = await session.exec(
        select(func.count()).select_from(ReviewEvent).where(ReviewEvent.content_id == content_id)
    )
    return count.one()


@pytest.mark.parametrize("state", list(PATHS))
async def test_every_action_by_every_actor(
    session: AsyncSession, services: Services, people: dict[str, str], state: str
) -> None:
    users: dict[str, User | None] = {MACHINE: None}
    for name, user_id in people.items():
        users[name] = await session.get(User, user_id)
    content_id = await _reach(session, services.settings, users, state)
    failures: list[str] = []
    for action in Action:
        for actor in users:
            want = expected_refusal(state, action, actor)
            content = await session.get(Content, content_id, populate_existing=True)
            assert content is not None
            revision = await session.get(
                Revision, content.working_revision_id, populate_existing=True
            )
            assert revision is not None
            before = await _count_events(session, content_id)
            state_before, number_before = review.revision_state(revision), revision.number
            who = users[actor]
            savepoint = await session.begin_nested()
            try:
                after = await review.apply(
                    session, content, revision, action, who, comment="理由", values=REVISION_VALUES
                )
                await session.flush()
            except DomainError as exc:
                await savepoint.rollback()
                if exc.code != want:
                    failures.append(f"{state} {action} by {actor}: refused {exc.code}, want {want}")
                elif await _count_events(session, content_id) != before:
                    failures.append(f"{state} {action} by {actor}: refused but wrote an event")
                continue
            if want is not None:
                await savepoint.rollback()
                failures.append(f"{state} {action} by {actor}: allowed, want {want}")
                continue
            got = (content.status, review.revision_state(after), after.number)
            events = await _events(session, content_id)
            await savepoint.rollback()
            spec = SPEC[state][action]
            # Ending a content withdraws the revision in review; any other revision stays.
            ended = (
                "withdrawn" if state_before in ("machine", "political", "science") else state_before
            )
            number = number_before + (1 if spec.new_revision else 0)
            want_got = (spec.status, spec.revision or ended, number)
            if got != want_got:
                failures.append(f"{state} {action} by {actor}: {got}, want {want_got}")
            event = (
                events[-1].action,
                events[-1].actor_id,
                events[-1].to_status,
                events[-1].revision_number,
            )
            want_event = (action, who.id if who else None, spec.status, number)
            if len(events) != before + 1 or event != want_event:
                failures.append(f"{state} {action} by {actor}: event {event}, want {want_event}")
    assert not failures, "\n".join(failures)
