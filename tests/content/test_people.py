"""People in a rolled-back session: a creator's profile and who has one, the lists a person keeps
(favourites, likes, whom they follow, a creator's contents: one query a page, newest first, only
what is still published), and the rules of a profile update (nothing written when refused)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts, engagement, items
from content.engagement import ProfileChange
from content.errors import Conflict, DomainError, Invalid
from content.models import Media, MediaKind, MediaStatus, ReactionKind, User
from infra.settings import Settings
from tests import factories as f
from tests.helpers import refused, statements


async def _published(session: AsyncSession, settings: Settings, n: int) -> list[str]:
    return [(await f.published_in_session(session, settings)).content.id for _ in range(n)]


async def _viewer(session: AsyncSession) -> User:
    """A mini-program user: viewer and creator, as a WeChat login makes them."""
    return await f.user_in_session(session, "viewer", "creator")


async def test_favourites_come_newest_first_in_pages_of_one_query_each(
    session: AsyncSession, settings: Settings
) -> None:
    viewer = await _viewer(session)
    first, second, third = await _published(session, settings, 3)
    for content_id in (first, second, third):
        await engagement.react(session, viewer, content_id, ReactionKind.favorite, True)
    await engagement.react(session, viewer, first, ReactionKind.like, True)

    async with statements(session) as sent:
        page, cursor = await engagement.reacted(session, viewer, ReactionKind.favorite, None, 2)
    assert len(sent) == 1  # cards, authors and counters in one query
    assert [c.content.id for c in page] == [third, second] and cursor
    assert page[0].stats is not None and page[0].stats.favorites == 1
    async with statements(session) as sent:
        rest, end = await engagement.reacted(session, viewer, ReactionKind.favorite, cursor, 2)
    assert len(sent) == 1
    assert [c.content.id for c in rest] == [first] and end is None

    liked, _ = await engagement.reacted(session, viewer, ReactionKind.like, None, 10)
    assert [c.content.id for c in liked] == [first]


async def test_a_favourite_taken_down_leaves_the_list(
    session: AsyncSession, settings: Settings
) -> None:
    viewer = await _viewer(session)
    admin = await f.user_in_session(session, "admin")
    kept, gone = await _published(session, settings, 2)
    for content_id in (kept, gone):
        await engagement.react(session, viewer, content_id, ReactionKind.favorite, True)
    await items.takedown(session, admin, gone, "不实信息")
    page, _ = await engagement.reacted(session, viewer, ReactionKind.favorite, None, 10)
    assert [c.content.id for c in page] == [kept]


@pytest.mark.parametrize("cursor", ["garbage", "e30", "WyJ4IiwiYSJd"])  # not base64, {}, ["x","a"]
async def test_a_cursor_this_api_did_not_give_is_invalid_naming_cursor(
    session: AsyncSession, cursor: str
) -> None:
    viewer = await _viewer(session)
    error = await refused(
        "invalid", engagement.reacted(session, viewer, ReactionKind.like, cursor, 10)
    )
    assert isinstance(error, Invalid) and error.field == "cursor"


async def test_following_lists_creators_most_recently_followed_first_with_counts(
    session: AsyncSession, settings: Settings
) -> None:
    viewer = await _viewer(session)
    older, newer = [(await f.published_in_session(session, settings)).author for _ in range(2)]
    staff = await f.user_in_session(session, "political_reviewer")
    await engagement.follow(session, viewer, older.id, True)
    await engagement.follow(session, viewer, newer.id, True)
    async with statements(session) as sent:
        page, cursor = await engagement.following(session, viewer, None, 10)
    assert len(sent) == 1
    assert [(r.creator.id, r.followers, r.published) for r in page] == [
        (newer.id, 1, 1),
        (older.id, 1, 1),
    ]
    assert cursor is None and staff.id not in {r.creator.id for r in page}


async def test_a_creators_profile_counts_and_says_whether_i_follow(
    session: AsyncSession, settings: Settings
) -> None:
    creator = (await f.published_in_session(session, settings)).author
    fan, other = await _viewer(session), await _viewer(session)
    await engagement.follow(session, fan, creator.id, True)
    await engagement.follow(session, creator, other.id, True)

    async with statements(session) as sent:
        seen = await accounts.profile(session, fan, creator.id)
    assert len(sent) == 1
    assert (seen.followers, seen.following_count, seen.published, seen.following) == (1, 1, 1, True)
    assert (await accounts.profile(session, other, creator.id)).following is False
    assert (await accounts.profile(session, None, creator.id)).following is False


@pytest.mark.parametrize("roles", [("political_reviewer",), ("admin",), ("viewer",)])
async def test_staff_and_viewers_have_no_profile_and_look_like_unknown_ids(
    session: AsyncSession, roles: tuple[str, ...]
) -> None:
    someone = await f.user_in_session(session, *roles)
    for user_id in (someone.id, "0" * 26):
        await refused("user.not_found", accounts.profile(session, None, user_id))
        await refused("user.not_found", engagement.creator_contents(session, user_id, None, 10))


async def test_a_disabled_creator_has_no_profile(session: AsyncSession) -> None:
    creator = await f.user_in_session(session, "creator")
    creator.is_active = False
    session.add(creator)
    await session.flush()
    await refused("user.not_found", accounts.profile(session, None, creator.id))


async def test_a_creators_contents_are_their_published_ones_newest_first(
    session: AsyncSession, settings: Settings
) -> None:
    view = await f.published_in_session(session, settings)
    await f.draft_in_session(session, settings, view.author.id)  # never listed
    page, cursor = await engagement.creator_contents(session, view.author.id, None, 10)
    assert [c.content.id for c in page] == [view.content.id] and cursor is None


# -- updating one's profile ------------------------------------------------------------------


async def _media(session: AsyncSession, owner: User, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "kind": MediaKind.image,
        "object_key": f"uploads/{owner.id}/x/original",
        "content_type": "image/png",
        "size": 100,
        "status": MediaStatus.ready,
    } | overrides
    media = Media(**values)
    session.add(media)
    await session.flush()
    return media.id


async def _unchanged(session: AsyncSession, user: User, change: ProfileChange) -> DomainError:
    """The update is refused and neither the name nor the avatar changed."""
    before = (user.display_name, user.avatar_media_id)
    with pytest.raises(DomainError) as refusal:
        await engagement.update_profile(session, user, change)
    await session.refresh(user)
    assert (user.display_name, user.avatar_media_id) == before
    return refusal.value


async def test_a_name_and_an_avatar_are_set_together(session: AsyncSession) -> None:
    user = await _viewer(session)
    avatar = await _media(session, user)
    change = ProfileChange(" 爱科普的小王 ", avatar, {"display_name", "avatar_media_id"})
    await engagement.update_profile(session, user, change)
    await session.refresh(user)
    assert (user.display_name, user.avatar_media_id) == ("爱科普的小王", avatar)

    await engagement.update_profile(session, user, ProfileChange(None, None, {"avatar_media_id"}))
    await session.refresh(user)
    assert (user.display_name, user.avatar_media_id) == ("爱科普的小王", None)


async def test_a_name_with_a_blocked_term_is_refused_with_its_finding(
    session: AsyncSession,
) -> None:
    user = await _viewer(session)
    error = await _unchanged(session, user, ProfileChange("法轮功学员", None, {"display_name"}))
    assert isinstance(error, Invalid) and error.code == "profile.name_blocked"
    assert error.field == "display_name"
    finding = error.extra["finding"]
    assert finding["severity"] == "block" and finding["excerpt"] == "法轮功"


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200c\u200d\ufeff", "\u0301\u0336", "   ", "", "长" * 33, "a\x00b", None],
    ids=["zero-width", "marks", "spaces", "empty", "too-long", "nul", "null"],
)
async def test_a_name_that_shows_nothing_or_is_too_long_is_invalid(
    session: AsyncSession, name: str | None
) -> None:
    user = await _viewer(session)
    error = await _unchanged(session, user, ProfileChange(name, None, {"display_name"}))
    assert isinstance(error, Invalid) and error.code == "invalid"
    assert error.field == "display_name"


async def test_an_avatar_must_be_a_ready_image_of_ones_own(session: AsyncSession) -> None:
    user, stranger = await _viewer(session), await _viewer(session)
    cases: list[tuple[str, type[DomainError], str]] = [
        (await _media(session, stranger), Invalid, "avatar.not_found"),
        ("0" * 26, Invalid, "avatar.not_found"),
        (await _media(session, user, kind=MediaKind.video), Invalid, "avatar.not_image"),
        (await _media(session, user, status=MediaStatus.failed), Invalid, "avatar.failed"),
        (await _media(session, user, status=MediaStatus.pending), Conflict, "avatar.not_ready"),
        (await _media(session, user, status=MediaStatus.processing), Conflict, "avatar.not_ready"),
    ]
    for media_id, kind, code in cases:
        # A good name beside a bad avatar: neither is written.
        change = ProfileChange("新名字", media_id, {"display_name", "avatar_media_id"})
        error = await _unchanged(session, user, change)
        assert isinstance(error, kind) and error.code == code, (media_id, error)
        if isinstance(error, Invalid):
            assert error.field == "avatar_media_id"
