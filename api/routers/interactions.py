"""What viewers do to content and creators: like, favourite, share, watch, follow — and the
per-viewer part of cards (did I like it), asked for apart so feed pages stay shared."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api import presenters, problems
from api.deps import ClientAddress, CurrentUser, ServicesDep, SessionDep
from api.schemas import AcceptedOut, FollowOut, MyInteractions, StatsOut, ViewIn
from content import engagement
from content.feeds import FeedKeys
from content.models import ReactionKind, User
from infra.services import Services

router = APIRouter(tags=["interactions"])
_WRITE = problems.responses(401, 404, 422, 429)


async def _limited(address: str, services: Services, user: User) -> FeedKeys:
    keys = FeedKeys(services.settings.redis_prefix)
    limits = engagement.Limits(
        services.settings.interactions_per_minute,
        services.settings.interactions_per_minute_per_address,
    )
    await engagement.check_rate(services.redis, keys, limits, user.id, address)
    return keys


async def _react(
    address: ClientAddress,
    session: SessionDep,
    services: ServicesDep,
    user: User,
    content_id: str,
    kind: ReactionKind,
    on: bool,
) -> StatsOut:
    await _limited(address, services, user)
    stats = await engagement.react(session, user, content_id, kind, on)
    return presenters.stats_out(content_id, stats)


@router.post("/contents/{content_id}/like", response_model=StatsOut, responses=_WRITE)
async def like(
    content_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> StatsOut:
    return await _react(address, session, services, user, content_id, ReactionKind.like, True)


@router.delete("/contents/{content_id}/like", response_model=StatsOut, responses=_WRITE)
async def unlike(
    content_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> StatsOut:
    return await _react(address, session, services, user, content_id, ReactionKind.like, False)


@router.post("/contents/{content_id}/favorite", response_model=StatsOut, responses=_WRITE)
async def favorite(
    content_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> StatsOut:
    return await _react(address, session, services, user, content_id, ReactionKind.favorite, True)


@router.delete("/contents/{content_id}/favorite", response_model=StatsOut, responses=_WRITE)
async def unfavorite(
    content_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> StatsOut:
    return await _react(address, session, services, user, content_id, ReactionKind.favorite, False)


@router.post(
    "/contents/{content_id}/share",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    responses=_WRITE,
)
async def share(
    content_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> AcceptedOut:
    keys = await _limited(address, services, user)
    await engagement.record_share(session, services.redis, keys, user.id, content_id)
    return presenters.accepted_out(content_id)


@router.post(
    "/contents/{content_id}/views",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    responses=problems.responses(401, 404, 413, 422, 429),
)
async def view(
    content_id: str,
    body: ViewIn,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> AcceptedOut:
    keys = await _limited(address, services, user)
    await engagement.record_view(
        session, services.redis, keys, user.id, content_id, body.watched_s, body.duration_s
    )
    return presenters.accepted_out(content_id)


async def _follow(
    address: ClientAddress,
    session: SessionDep,
    services: ServicesDep,
    user: User,
    creator_id: str,
    on: bool,
) -> FollowOut:
    await _limited(address, services, user)
    followers = await engagement.follow(session, user, creator_id, on)
    return presenters.follow_out(creator_id, on, followers)


@router.post("/users/{user_id}/follow", response_model=FollowOut, responses=_WRITE)
async def follow(
    user_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> FollowOut:
    return await _follow(address, session, services, user, user_id, True)


@router.delete("/users/{user_id}/follow", response_model=FollowOut, responses=_WRITE)
async def unfollow(
    user_id: str,
    address: ClientAddress,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> FollowOut:
    return await _follow(address, session, services, user, user_id, False)


@router.get(
    "/me/interactions", response_model=MyInteractions, responses=problems.responses(401, 422)
)
async def my_interactions(
    user: CurrentUser,
    session: SessionDep,
    ids: Annotated[list[str], Query(max_length=50, description="content ids of a feed page")],
) -> MyInteractions:
    return presenters.my_interactions(await engagement.mine(session, user, ids))
