"""The reviewer guards and task rules, tried on `review.claim` and `review.decide` in a rolled-back
session the way a careless or malicious reviewer would: each refusal has its code, the task stays
as it was and no decision is logged. Races and the queue over HTTP are in
tests/api/test_review_rules.py."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import review
from content.errors import DomainError
from content.models import Action, ReviewEvent, ReviewTask, Stage, TaskStatus, User
from infra.settings import Settings
from tests import factories as f
from tests.helpers import refused


async def _untouched(
    session: AsyncSession,
    task_id: str,
    claimed_by: str | None = None,
    decided_by: str | None = None,
) -> None:
    """Nothing a refused call did stayed: the task is as it was and no decision was logged."""
    task = await session.get(ReviewTask, task_id, populate_existing=True)
    assert task is not None
    assert task.claimed_by == claimed_by
    assert task.decided_by == decided_by
    assert task.status == (TaskStatus.open if decided_by is None else TaskStatus.approved)
    decisions = await session.exec(
        select(func.count())
        .select_from(ReviewEvent)
        .where(ReviewEvent.revision_id == task.revision_id, col(ReviewEvent.stage) == task.stage)
    )
    assert decisions.one() == (0 if decided_by is None else 1)


async def _queue(session: AsyncSession, reviewer: User, stage: Stage) -> list[str]:
    """The ids of the open tasks of ``stage`` handed to ``reviewer``."""
    tasks, _ = await review.list_tasks(session, reviewer, stage, TaskStatus.open, None, 50)
    return [t.task.id for t in tasks]


async def _in_science(session: AsyncSession, settings: Settings, owner: User) -> str:
    """An article of ``owner`` its political reviewer approved; the id of its science task."""
    view, task_id = await f.political_task_in_session(session, settings, owner.id)
    political = await f.user_in_session(session, "political_reviewer")
    await review.decide(session, political, task_id, Action.approve, None)
    return await f.open_task_in_session(session, view.content.id, Stage.science)


async def test_nobody_reviews_their_own_content(session: AsyncSession, settings: Settings) -> None:
    both = await f.user_in_session(session, "creator", "political_reviewer")
    _, task_id = await f.political_task_in_session(session, settings, both.id)
    # Their own task is not even in their queue…
    assert task_id not in await _queue(session, both, Stage.political)
    # …and addressing it directly is refused.
    lease = settings.claim_lease_seconds
    await refused("review.self_review", review.claim(session, both, task_id, lease))
    await refused("review.self_review", review.decide(session, both, task_id, Action.approve, None))
    await _untouched(session, task_id)


async def test_one_person_cannot_approve_two_stages_of_a_revision(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await f.user_in_session(session, "creator")
    both = await f.user_in_session(
        session, "political_reviewer", "science_reviewer", disciplines=("medicine",)
    )
    science = await f.user_in_session(session, "science_reviewer", disciplines=("medicine",))
    view, task_id = await f.political_task_in_session(session, settings, owner.id)
    await review.decide(session, both, task_id, Action.approve, None)
    science_id = await f.open_task_in_session(session, view.content.id, Stage.science)
    assert science_id not in await _queue(session, both, Stage.science)  # not handed to them
    await refused(
        "review.same_reviewer", review.decide(session, both, science_id, Action.approve, None)
    )
    await _untouched(session, science_id)
    await review.decide(session, science, science_id, Action.approve, None)


async def test_science_tasks_go_only_to_reviewers_of_the_discipline(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await f.user_in_session(session, "creator")
    physicist = await f.user_in_session(session, "science_reviewer", disciplines=("physics",))
    science_id = await _in_science(session, settings, owner)
    assert science_id not in await _queue(session, physicist, Stage.science)
    lease = settings.claim_lease_seconds
    await refused("review.not_found", review.claim(session, physicist, science_id, lease))
    await refused(
        "review.not_found", review.decide(session, physicist, science_id, Action.approve, None)
    )
    await _untouched(session, science_id)


async def test_a_claimed_task_cannot_be_claimed_or_decided_by_another_reviewer(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await f.user_in_session(session, "creator")
    political = await f.user_in_session(session, "political_reviewer")
    rival = await f.user_in_session(session, "political_reviewer")
    _, task_id = await f.political_task_in_session(session, settings, owner.id)
    lease = settings.claim_lease_seconds
    await review.claim(session, political, task_id, lease)
    await refused("review.already_claimed", review.claim(session, rival, task_id, lease))
    await refused(
        "review.already_claimed", review.decide(session, rival, task_id, Action.approve, None)
    )
    await _untouched(session, task_id, claimed_by=political.id)
    await review.decide(session, political, task_id, Action.approve, None)


async def test_deciding_a_closed_task_is_refused(session: AsyncSession, settings: Settings) -> None:
    owner = await f.user_in_session(session, "creator")
    political = await f.user_in_session(session, "political_reviewer")
    other = await f.user_in_session(session, "political_reviewer")
    _, task_id = await f.political_task_in_session(session, settings, owner.id)
    await review.decide(session, political, task_id, Action.approve, None)
    await refused(
        "review.task_closed", review.decide(session, other, task_id, Action.approve, None)
    )
    await _untouched(session, task_id, decided_by=political.id)


@pytest.mark.parametrize("comment", [None, "不\x00通过"], ids=["none", "nul"])
async def test_reject_needs_a_comment_of_real_text(
    session: AsyncSession, settings: Settings, comment: str | None
) -> None:
    owner = await f.user_in_session(session, "creator")
    political = await f.user_in_session(session, "political_reviewer")
    _, task_id = await f.political_task_in_session(session, settings, owner.id)
    with pytest.raises(DomainError) as refused:
        await review.decide(session, political, task_id, Action.reject, comment)
    assert (refused.value.code, getattr(refused.value, "field", None)) == ("invalid", "comment")
    await _untouched(session, task_id)
    assert task_id in await _queue(session, political, Stage.political)  # still open
