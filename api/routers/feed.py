"""What viewers browse: the feed, topics and audiences."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api import presenters, problems
from api.deps import Cursor, Limit, OptionalUser, ServicesDep, SessionDep
from api.schemas import CardOut, Page, TopicOut
from content import feed, taxonomy

router = APIRouter(tags=["feed"])


@router.get("/feed", response_model=Page[CardOut], responses=problems.responses(401, 422))
async def get_feed(
    session: SessionDep,
    services: ServicesDep,
    _user: OptionalUser,
    tab: Literal["latest"] = "latest",
    topic: Annotated[str | None, Query(max_length=64)] = None,
    audience: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[CardOut]:
    if topic or audience:
        await taxonomy.check_slugs(
            session, [topic] if topic else [], [audience] if audience else []
        )
    items, next_cursor = await feed.latest(
        session, topic=topic, audience=audience, cursor=cursor, limit=limit
    )
    return Page(items=await presenters.cards(session, services, items), next_cursor=next_cursor)


@router.get("/topics", response_model=list[TopicOut])
async def topics(session: SessionDep) -> list[TopicOut]:
    return [TopicOut(slug=t.slug, name=t.name) for t in await taxonomy.list_topics(session)]


@router.get("/audiences", response_model=list[TopicOut])
async def audiences(session: SessionDep) -> list[TopicOut]:
    return [TopicOut(slug=a.slug, name=a.name) for a in await taxonomy.list_audiences(session)]
