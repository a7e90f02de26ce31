"""Search over published contents (docs/search.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import presenters, problems
from api.deps import Cursor, Limit, ServicesDep, SessionDep
from api.schemas import Page, SearchHitOut
from content import search
from content.models import ContentType

router = APIRouter(tags=["search"])


@router.get(
    "/search",
    response_model=Page[SearchHitOut],
    responses=problems.responses(422, codes=["invalid"]),
)
async def search_contents(
    session: SessionDep,
    services: ServicesDep,
    q: Annotated[
        str,
        Query(
            max_length=search.MAX_QUERY_CHARS,
            description="words to find, in any order (all must occur); at most "
            f"{search.MAX_QUERY_CHARS} characters",
        ),
    ],
    topic: Annotated[str | None, Query(max_length=64)] = None,
    type: ContentType | None = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[SearchHitOut]:
    page = await search.search(
        session, q, topic=topic or None, type_=type, cursor=cursor, limit=limit
    )
    return await presenters.search_page(session, services, page)
