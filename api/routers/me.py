"""The caller's own account, contents and lists, and the WeChat login bound to it."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import presenters, problems
from api.deps import ClientAddress, CurrentUser, Cursor, Limit, ServicesDep, SessionDep
from api.schemas import (
    CardOut,
    FollowedOut,
    MyContentOut,
    Page,
    ProfileIn,
    UserOut,
    WechatBindIn,
)
from content import accounts, engagement, items
from content.models import ReactionKind

router = APIRouter(tags=["me"])


@router.get("/me", response_model=UserOut, responses=problems.responses(401))
async def me(user: CurrentUser, session: SessionDep, services: ServicesDep) -> UserOut:
    return await presenters.me_out(session, services, user)


# wx.request cannot send PATCH: PUT is the same partial update.
@router.put(
    "/me",
    response_model=UserOut,
    responses=problems.responses(
        401,
        409,
        413,
        422,
        codes=[
            "avatar.not_ready",
            "avatar.not_found",
            "avatar.not_image",
            "avatar.failed",
            "profile.name_blocked",
            "invalid",
        ],
    ),
)
@router.patch(
    "/me",
    response_model=UserOut,
    responses=problems.responses(
        401,
        409,
        413,
        422,
        codes=[
            "avatar.not_ready",
            "avatar.not_found",
            "avatar.not_image",
            "avatar.failed",
            "profile.name_blocked",
            "invalid",
        ],
    ),
)
async def update_me(
    body: ProfileIn, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> UserOut:
    change = engagement.ProfileChange(
        body.display_name, body.avatar_media_id, given=set(body.model_fields_set)
    )
    await engagement.update_profile(session, user, change)
    return await presenters.me_out(session, services, user)


@router.post(
    "/me/wechat",
    response_model=UserOut,
    responses=problems.responses(
        401,
        409,
        413,
        422,
        429,
        503,
        codes=[
            "wechat.bound_elsewhere",
            "wechat.already_bound",
            "wechat.code_invalid",
            "auth.wechat_rate_limited",
            "auth.wechat_unavailable",
            "auth.wechat_not_configured",
            "invalid",
        ],
    ),
)
async def bind_wechat(
    body: WechatBindIn,
    user: CurrentUser,
    address: ClientAddress,
    session: SessionDep,
    services: ServicesDep,
) -> UserOut:
    await accounts.bind_wechat(
        session, services.http, services.redis, services.settings, address, user, body.code
    )
    return await presenters.me_out(session, services, user)


@router.delete(
    "/me/wechat",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems.responses(401, 409, codes=["wechat.only_login"]),
)
async def unbind_wechat(user: CurrentUser, session: SessionDep) -> None:
    await accounts.unbind_wechat(session, user)


@router.get(
    "/me/contents",
    response_model=Page[MyContentOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role"]),
)
async def my_contents(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[MyContentOut]:
    rows, next_cursor = await items.mine(session, user, cursor, limit)
    return Page(
        items=await presenters.my_contents(session, services, rows, user), next_cursor=next_cursor
    )


async def _reacted(
    kind: ReactionKind,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    cursor: str | None,
    limit: int,
) -> Page[CardOut]:
    cards, next_cursor = await engagement.reacted(session, user, kind, cursor, limit)
    return Page(items=await presenters.cards(session, services, cards), next_cursor=next_cursor)


@router.get(
    "/me/favorites",
    response_model=Page[CardOut],
    responses=problems.responses(401, 422, codes=["invalid"]),
)
async def my_favorites(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[CardOut]:
    return await _reacted(ReactionKind.favorite, user, session, services, cursor, limit)


@router.get(
    "/me/likes",
    response_model=Page[CardOut],
    responses=problems.responses(401, 422, codes=["invalid"]),
)
async def my_likes(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[CardOut]:
    return await _reacted(ReactionKind.like, user, session, services, cursor, limit)


@router.get(
    "/me/following",
    response_model=Page[FollowedOut],
    responses=problems.responses(401, 422, codes=["invalid"]),
)
async def my_following(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[FollowedOut]:
    rows, next_cursor = await engagement.following(session, user, cursor, limit)
    return Page(
        items=await presenters.followed_out(session, services, rows), next_cursor=next_cursor
    )
