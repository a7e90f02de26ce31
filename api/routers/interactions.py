"""What viewers do to content and creators: like, favourite, share, watch, follow — and the
per-viewer part of cards (did I like it), asked for apart so feed pages stay shared."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api import presenters, problems
from api.deps import ClientAddress, CurrentUser, ServicesDep, SessionDep
from api.schemas import AcceptedOut, FollowOut, MyInteractions, StatsOut, ViewIn
from content import engagement
from content.errors import Invalid
from content.feeds import FeedKeys
from content.models import ReactionKind
from infra.redis import Ack


def _feed_keys(services: ServicesDep) -> FeedKeys:
    return FeedKeys(services.settings.redis_prefix)


FeedKeysDep = Annotated[FeedKeys, Depends(_feed_keys)]


async def within_limits(
    user: CurrentUser, address: ClientAddress, services: ServicesDep, keys: FeedKeysDep
) -> None:
    """Each write counts against the viewer's and the client address's limits a minute."""
    limits = engagement.Limits(
        services.settings.interactions_per_minute,
        services.settings.interactions_per_minute_per_address,
    )
    await engagement.check_rate(services.redis, keys, limits, user.id, address)


# The limit is declared once, for every write; reading what one did is not limited.
_writes = APIRouter(tags=["interactions"], dependencies=[Depends(within_limits)])
_reads = APIRouter(tags=["interactions"])
_WRITE = problems.responses(
    401, 404, 422, 429, codes=["content.not_found", "interaction.rate_limited"]
)
_FOLLOW = problems.responses(
    401, 404, 422, 429, codes=["user.not_found", "follow.self", "interaction.rate_limited"]
)


@_writes.post("/contents/{content_id}/like", response_model=StatsOut, responses=_WRITE)
async def like(content_id: str, user: CurrentUser, session: SessionDep) -> StatsOut:
    stats = await engagement.react(session, user, content_id, ReactionKind.like, True)
    return presenters.stats_out(content_id, stats)


@_writes.delete("/contents/{content_id}/like", response_model=StatsOut, responses=_WRITE)
async def unlike(content_id: str, user: CurrentUser, session: SessionDep) -> StatsOut:
    stats = await engagement.react(session, user, content_id, ReactionKind.like, False)
    return presenters.stats_out(content_id, stats)


@_writes.post("/contents/{content_id}/favorite", response_model=StatsOut, responses=_WRITE)
async def favorite(content_id: str, user: CurrentUser, session: SessionDep) -> StatsOut:
    stats = await engagement.react(session, user, content_id, ReactionKind.favorite, True)
    return presenters.stats_out(content_id, stats)


@_writes.delete("/contents/{content_id}/favorite", response_model=StatsOut, responses=_WRITE)
async def unfavorite(content_id: str, user: CurrentUser, session: SessionDep) -> StatsOut:
    stats = await engagement.react(session, user, content_id, ReactionKind.favorite, False)
    return presenters.stats_out(content_id, stats)


@_writes.post(
    "/contents/{content_id}/share",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    responses=_WRITE,
)
async def share(content_id: str, user: CurrentUser, session: SessionDep) -> AcceptedOut:
    await engagement.record_share(session, user.id, content_id)
    return presenters.accepted_out(content_id)


@_writes.post(
    "/contents/{content_id}/views",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AcceptedOut,
    responses=problems.responses(
        401,
        404,
        413,
        422,
        429,
        codes=["content.not_found", "view.invalid_progress", "interaction.rate_limited"],
    ),
)
async def view(
    content_id: str,
    body: ViewIn,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    keys: FeedKeysDep,
) -> AcceptedOut:
    report = engagement.Report(body.event, body.watched_s, body.duration_s, body.progress)
    ack = Ack.of(services.settings)
    await engagement.record_view(
        session, services.redis, keys, user.id, content_id, report, ack=ack
    )
    return presenters.accepted_out(content_id)


@_writes.post("/users/{user_id}/follow", response_model=FollowOut, responses=_FOLLOW)
async def follow(user_id: str, user: CurrentUser, session: SessionDep) -> FollowOut:
    followers = await engagement.follow(session, user, user_id, True)
    return presenters.follow_out(user_id, True, followers)


@_writes.delete("/users/{user_id}/follow", response_model=FollowOut, responses=_FOLLOW)
async def unfollow(user_id: str, user: CurrentUser, session: SessionDep) -> FollowOut:
    followers = await engagement.follow(session, user, user_id, False)
    return presenters.follow_out(user_id, False, followers)


_MAX_IDS = 50
_ID = re.compile(r"^[0-9a-z]{26}$")


def _content_ids(
    ids: Annotated[
        list[str],
        Query(
            max_length=_MAX_IDS,
            description="content ids of a feed page: repeated (`ids=a&ids=b`) or comma separated "
            "(`ids=a,b`, how wx.request writes an array)",
        ),
    ],
) -> list[str]:
    """The ids asked for, in order, once each: a comma-separated list is split like a repeated
    parameter, so every client gets one item per content."""
    wanted = list(dict.fromkeys(p.strip() for value in ids for p in value.split(",") if p.strip()))
    if not wanted or len(wanted) > _MAX_IDS:
        raise Invalid(f"send 1 to {_MAX_IDS} content ids", field="ids", code="ids.invalid")
    if bad := next((i for i in wanted if not _ID.match(i)), None):
        raise Invalid(f"{bad[:40]!r} is not a content id", field="ids", code="ids.invalid")
    return wanted


@_reads.get(
    "/me/interactions",
    response_model=MyInteractions,
    responses=problems.responses(401, 422, codes=["ids.invalid"]),
)
async def my_interactions(
    user: CurrentUser, session: SessionDep, ids: Annotated[list[str], Depends(_content_ids)]
) -> MyInteractions:
    return presenters.my_interactions(await engagement.mine(session, user, ids))


router = APIRouter()
router.include_router(_writes)
router.include_router(_reads)
