"""A page of search results: the feed's cards, each with its snippet."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from api.presenters.feed import cards
from content import search
from infra.services import Services


async def search_page(
    session: AsyncSession, services: Services, page: search.SearchPage
) -> schemas.Page[schemas.SearchHitOut]:
    shown = await cards(session, services, [hit.card for hit in page.hits])
    items = [
        schemas.SearchHitOut(**card.model_dump(), snippet=hit.snippet)
        for card, hit in zip(shown, page.hits, strict=True)
    ]
    return schemas.Page[schemas.SearchHitOut](items=items, next_cursor=page.next_cursor)
