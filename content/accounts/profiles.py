"""People as others see them: a creator's public profile with its counts, and the one rule for
who has one (the same rule that decides whom one may follow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import NotFound
from content.models import Content, ContentStatus, Follow, Role, User


@dataclass
class Profile:
    user: User
    followers: int
    following_count: int
    published: int
    following: bool  # whether the viewer follows them


def is_public_creator(user: User | None) -> bool:
    """Who has a public page and can be followed: an active creator. Staff-only accounts,
    viewers and disabled accounts have neither."""
    return user is not None and user.is_active and Role.creator in user.roles


def no_such_creator() -> NotFound:
    # One answer for every id that is not a public creator, so nobody can probe which ids
    # are staff accounts.
    return NotFound("no such creator", code="user.not_found")


def followers_of(user_id: Any) -> sa.ScalarSelect[int]:
    """How many follow the user whose id is ``user_id`` (a column): a correlated count."""
    followed = aliased(Follow)
    return (
        select(func.count())
        .select_from(followed)
        .where(col(followed.creator_id) == user_id)
        .scalar_subquery()
    )


def published_by(user_id: Any) -> sa.ScalarSelect[int]:
    """How many published contents the user whose id is ``user_id`` (a column) has."""
    return (
        select(func.count())
        .select_from(Content)
        .where(col(Content.owner_id) == user_id, Content.status == ContentStatus.published)
        .scalar_subquery()
    )


async def public_creator(session: AsyncSession, user_id: str) -> User:
    """The creator behind ``user_id``, or 404 ``user.not_found``."""
    user = await session.get(User, user_id)
    if user is None or not is_public_creator(user):
        raise no_such_creator()
    return user


async def profile(session: AsyncSession, viewer: User | None, user_id: str) -> Profile:
    """A creator's page header, read in one query: the account and its counts."""
    following_count = (
        select(func.count())
        .select_from(Follow)
        .where(col(Follow.follower_id) == col(User.id))
        .scalar_subquery()
    )
    follows = (
        sa.exists().where(col(Follow.follower_id) == viewer.id, col(Follow.creator_id) == user_id)
        if viewer is not None
        else sa.false()
    )
    query = sa.select(
        User, followers_of(col(User.id)), following_count, published_by(col(User.id)), follows
    ).where(col(User.id) == user_id)
    row = (await session.exec(query)).first()  # type: ignore[call-overload]
    if row is None or not is_public_creator(row[0]):
        raise no_such_creator()
    user, followers, following, published, is_following = row
    return Profile(user, int(followers), int(following), int(published), bool(is_following))
