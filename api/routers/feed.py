"""What viewers browse: the feed, topics and audiences. A page is served from the process's
near-cache as ready bytes (a signed-out hit by api/fastpath.py, before any routing); a miss
reads Redis and the database (docs/feeds.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api import presenters, problems
from api.deps import (
    OPTIONAL_BEARER,
    Cursor,
    Limit,
    SessionDep,
    bearer_user_id,
    session_scope,
)
from api.etags import etag_of, respond
from api.feedcache import CachedPage, FeedPageKey, FeedRuntime, lifetime
from api.schemas import CardOut, Page, TopicOut
from content import feeds, kit
from content.accounts import get_active_user
from content.errors import Unauthenticated
from infra.services import Services

router = APIRouter(tags=["feed"])


@router.get(
    "/feed",
    response_model=Page[CardOut],
    responses=problems.responses(401, 422, codes=["feed.bad_cursor", "invalid"]),
    # The token is read without dependencies (a hit must not pay for them): say so to clients.
    openapi_extra={"security": OPTIONAL_BEARER},
)
async def get_feed(
    request: Request,
    tab: feeds.Tab = feeds.Tab.latest,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    audience: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Response:
    state = request.app.state
    services: Services = state.services
    runtime: FeedRuntime = state.feeds
    user_id = bearer_user_id(request.headers.get("authorization"), services.settings)
    if tab != feeds.Tab.following:
        user_id = None  # the shared page: the same bytes for everyone
    elif user_id is None:
        raise Unauthenticated("the following tab is yours: log in first", code="auth.required")
    key = FeedPageKey(tab, topic or None, audience or None, cursor, limit, user_id)
    page = runtime.cache.get(key)
    if page is None:
        query = feeds.FeedQuery(key.tab, key.topic, key.audience, key.cursor, key.limit, key.viewer)

        async def build() -> tuple[CachedPage, float]:
            return await _build(request, services, runtime, query)

        page = await runtime.cache.get_or_build(key, build)
    if user_id is None:  # never a personal page: the fast path serves requests with no token
        runtime.remember_query(request.scope["query_string"], key)
    return respond(request, page.body, page.etag, private=user_id is not None)


async def _build(
    request: Request, services: Services, runtime: FeedRuntime, query: feeds.FeedQuery
) -> tuple[CachedPage, float]:
    async with session_scope(request, services) as session:
        if query.topic or query.audience:
            await kit.check_slugs(
                session,
                [query.topic] if query.topic else [],
                [query.audience] if query.audience else [],
            )
        if query.user_id:
            await get_active_user(session, query.user_id)
        page = await feeds.page(session, services.redis, runtime.keys, query)
        body = await presenters.feed_page(session, services, page)
    pins = [c.content.pinned_until for c in page.cards if c.pinned and c.content.pinned_until]
    return CachedPage(body, etag_of(body)), lifetime(services.settings.feed_cache_ttl_s, pins)


@router.get("/topics", response_model=list[TopicOut])
async def topics(session: SessionDep) -> list[TopicOut]:
    return presenters.topics(await kit.list_topics(session))


@router.get("/audiences", response_model=list[TopicOut])
async def audiences(session: SessionDep) -> list[TopicOut]:
    return presenters.topics(await kit.list_audiences(session))


@router.get("/disciplines", response_model=list[TopicOut])
async def disciplines(session: SessionDep) -> list[TopicOut]:
    return presenters.topics(await kit.list_disciplines(session))
