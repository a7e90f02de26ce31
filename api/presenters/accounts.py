"""Accounts as the contract shows them: the caller's own, a creator's public profile, the
creators one follows."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from api.presenters.feed import links
from content import media
from content.accounts import Profile
from content.engagement import Followed
from content.models import Role, User
from infra.services import Services


def _avatar(found: dict[str, media.MediaLinks], user: User) -> str | None:
    avatar = found.get(user.avatar_media_id or "")
    return avatar.cover_url if avatar else None


def user_out(user: User, avatar_url: str | None = None) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        display_name=user.display_name,
        roles=user.roles,
        disciplines=user.disciplines,
        username=user.username,
        avatar_url=avatar_url,
        wechat_bound=user.wechat_openid is not None,
    )


async def me_out(session: AsyncSession, services: Services, user: User) -> schemas.UserOut:
    """The caller's own account, with its avatar's link."""
    found = await links(session, services, [], True, [user])
    return user_out(user, _avatar(found, user))


async def profile_out(
    session: AsyncSession, services: Services, profile: Profile
) -> schemas.ProfileOut:
    user = profile.user
    found = await links(session, services, [], True, [user])
    return schemas.ProfileOut(
        id=user.id,
        display_name=user.display_name,
        avatar_url=_avatar(found, user),
        roles=[r for r in user.roles if r == Role.creator],
        followers=profile.followers,
        following_count=profile.following_count,
        published=profile.published,
        following=profile.following,
    )


async def followed_out(
    session: AsyncSession, services: Services, rows: list[Followed]
) -> list[schemas.FollowedOut]:
    found = await links(session, services, [], True, [r.creator for r in rows])
    return [
        schemas.FollowedOut(
            id=r.creator.id,
            display_name=r.creator.display_name,
            avatar_url=_avatar(found, r.creator),
            followers=r.followers,
            published=r.published,
        )
        for r in rows
    ]
