"""What operators find and inspect (items.find, items.inspect), on PostgreSQL and SQLite alike:
any content but another's draft, by id whatever its status, by the words of its title (published
through search, the rest by their title), the latest ones paged; one content with its revisions,
history, report counts and what the workflow allows now."""

from __future__ import annotations

import secrets

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import items, reports
from content.errors import Forbidden, Invalid, NotFound
from content.models import ContentStatus, ReportReason, ReportStatus, User
from infra.settings import Settings
from tests import factories as f


@pytest.fixture
async def admin(either_session: AsyncSession) -> User:
    """An operator, in the session the test runs on."""
    return await f.user_in_session(either_session, "admin")


@pytest.fixture
async def owner(either_session: AsyncSession) -> User:
    """A creator whose content the operator finds, in the same session."""
    return await f.user_in_session(either_session, "creator")


def _word() -> str:
    """A made-up word no other test's title holds (letters: one search word)."""
    return "qz" + "".join(secrets.choice("bcdfghjkmnpqrstvwxz") for _ in range(8))


async def test_an_id_finds_its_content_whatever_its_status_but_never_a_draft(
    either_session: AsyncSession, settings: Settings, admin: User, owner: User
) -> None:
    session = either_session
    in_review, _ = await f.political_task_in_session(session, settings, owner.id)
    draft = await f.draft_in_session(session, settings, owner.id)

    found, cursor = await items.find(session, admin, q=f"  {in_review.content.id.upper()} ")
    assert [r.content.id for r in found] == [in_review.content.id] and cursor is None
    assert found[0].title == in_review.revision.title and found[0].author == owner.display_name
    # The status filter does not hide what an id names.
    again, _ = await items.find(
        session, admin, q=in_review.content.id, status=ContentStatus.published
    )
    assert [r.content.id for r in again] == [in_review.content.id]
    # Another's draft is its author's alone, for operators as for the API.
    assert (await items.find(session, admin, q=draft.content.id))[0] == []
    with pytest.raises(NotFound):
        await items.inspect(session, admin, draft.content.id)
    with pytest.raises(Invalid):
        await items.find(session, admin, status=ContentStatus.draft)


async def test_words_find_published_content_through_search_and_the_rest_by_title(
    either_session: AsyncSession, settings: Settings, admin: User, owner: User
) -> None:
    session = either_session
    word = _word()
    published = await f.published_in_session(session, settings, title=f"{word} 的科学原理")
    in_review, _ = await f.political_task_in_session(
        session, settings, owner.id, title=f"{word}草稿"
    )
    await f.draft_in_session(session, settings, owner.id, title=f"{word} 未提交")

    found, cursor = await items.find(session, admin, q=word)
    assert [r.content.id for r in found] == [published.content.id, in_review.content.id]
    assert cursor is None
    only_published, _ = await items.find(session, admin, q=word, status=ContentStatus.published)
    assert [r.content.id for r in only_published] == [published.content.id]
    in_review_only, _ = await items.find(session, admin, q=word, status=ContentStatus.in_review)
    assert [r.content.id for r in in_review_only] == [in_review.content.id]
    # LIKE's wildcards are the characters themselves, not "anything".
    percent, _ = await f.political_task_in_session(
        session, settings, owner.id, title=f"{word}%有效"
    )
    await f.political_task_in_session(session, settings, owner.id, title=f"{word}x有效")
    literal, _ = await items.find(session, admin, q=f"{word}%", status=ContentStatus.in_review)
    assert [r.content.id for r in literal] == [percent.content.id]
    assert (await items.find(session, admin, q=f"{word}_有效"))[0] == []


async def test_without_words_the_latest_come_first_paged_and_filtered(
    either_session: AsyncSession, settings: Settings, admin: User, owner: User
) -> None:
    session = either_session
    older = await f.published_in_session(session, settings)
    newer, _ = await f.political_task_in_session(session, settings, owner.id)
    await f.draft_in_session(session, settings, owner.id)  # the newest, yet never listed

    first, cursor = await items.find(session, admin, limit=1)
    assert [r.content.id for r in first] == [newer.content.id] and cursor
    second, _ = await items.find(session, admin, cursor=cursor, limit=1)
    assert [r.content.id for r in second] == [older.content.id]
    published, _ = await items.find(session, admin, status=ContentStatus.published, limit=1)
    assert [r.content.id for r in published] == [older.content.id]


async def test_inspect_shows_revisions_history_reports_and_what_may_be_done(
    either_session: AsyncSession, settings: Settings, admin: User
) -> None:
    session = either_session
    viewer = await f.user_in_session(session, "viewer")
    view = await f.published_in_session(session, settings, title="可以被下架的文章")
    await reports.file(session, viewer, view.content.id, ReportReason.rumor, "说法不实")

    seen = await items.inspect(session, admin, view.content.id)
    assert seen.live is not None and seen.live.title == "可以被下架的文章"
    assert seen.latest is not None and seen.shown is seen.live and not seen.drafting
    assert [e.action.value for e in seen.history] == ["submit", "pass", "approve", "approve"]
    assert seen.reports == {ReportStatus.open: 1}
    assert seen.may_take_down and seen.may_pin

    await items.takedown(session, admin, view.content.id, "不实信息")
    after = await items.inspect(session, admin, view.content.id)
    assert after.content.status == ContentStatus.taken_down
    assert after.history[-1].action.value == "takedown" and after.history[-1].comment == "不实信息"
    assert not after.may_take_down and not after.may_pin


async def test_only_operators_find_and_inspect(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    political = await f.user_in_session(session, "political_reviewer")
    view = await f.published_in_session(session, settings)
    with pytest.raises(Forbidden):
        await items.find(session, political)
    with pytest.raises(Forbidden):
        await items.inspect(session, political, view.content.id)
