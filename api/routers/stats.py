"""Statistics for operators, a creator's own dashboard, and the public rankings (docs/stats.md).
All read rollups a job computes, never raw events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api import presenters, problems
from api.deps import CurrentUser, Cursor, Limit, ServicesDep, SessionDep
from api.etags import json_response
from api.schemas import AdminStatsOut, MyContentStatsOut, Page, RankingOut
from content import accounts, stats
from content.models import RankingKind, RankingPeriod, Role

router = APIRouter(tags=["stats"])

Day = Annotated[str | None, Query(max_length=32, description="a date, e.g. 2026-12-01")]


@router.get(
    "/admin/stats",
    response_model=AdminStatsOut,
    responses=problems.responses(
        401,
        403,
        422,
        codes=[
            "auth.missing_role",
            "stats.bad_date",
            "stats.range_reversed",
            "stats.range_too_long",
            "invalid",
        ],
    ),
)
async def get_admin_stats(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    from_: Annotated[Day, Query(alias="from")] = None,
    to: Day = None,
) -> Response:
    """Reach, completion and reactions by topic × audience and by content type, review
    throughput and latency, over the days ``from``–``to`` (China time, both included; the last
    30 days by default, at most 366)."""
    accounts.require_role(user, Role.admin)
    days = stats.day_range(from_, to)
    redis, settings = services.redis, services.settings
    body = await stats.answers.kept(redis, settings.redis_prefix, days)
    if body is None:
        answer = presenters.admin_stats(await stats.overview(session, days))
        body = answer.model_dump_json(by_alias=True)
        await stats.answers.keep(redis, settings.redis_prefix, days, body, settings.stats_rollup_s)
    return Response(body, media_type="application/json")


@router.get(
    "/me/stats",
    response_model=Page[MyContentStatsOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role", "invalid"]),
)
async def get_my_stats(
    user: CurrentUser, session: SessionDep, cursor: Cursor = None, limit: Limit = 20
) -> Page[MyContentStatsOut]:
    """Reach and completion of each of my contents that was ever published, newest first."""
    rows, next_cursor = await stats.my_stats(session, user, cursor, limit)
    return Page(items=presenters.my_stats(rows), next_cursor=next_cursor)


@router.get(
    "/rankings",
    response_model=RankingOut,
    responses=problems.responses(422, codes=["invalid"]),
)
async def get_rankings(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    period: RankingPeriod = RankingPeriod.week,
    kind: RankingKind = RankingKind.contents,
) -> Response:
    """科学传播榜单: the contents or creators that reached most people in the last 7 or 30
    days (score in docs/stats.md); only what is published now. Revalidate with If-None-Match."""
    prefix = services.settings.redis_prefix
    ranking = await stats.current(session, services.redis, prefix, period, kind)
    body = await presenters.ranking(session, services, ranking)
    return json_response(request, body, private=False)
