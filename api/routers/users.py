"""Creators' public pages: their profile and their published contents."""

from __future__ import annotations

from fastapi import APIRouter

from api import presenters, problems
from api.deps import Cursor, Limit, OptionalUser, ServicesDep, SessionDep
from api.schemas import CardOut, Page, ProfileOut
from content import accounts, engagement

router = APIRouter(tags=["users"])


@router.get(
    "/users/{user_id}",
    response_model=ProfileOut,
    responses=problems.responses(401, 404, 422, codes=["user.not_found", "invalid"]),
)
async def user_profile(
    user_id: str, user: OptionalUser, session: SessionDep, services: ServicesDep
) -> ProfileOut:
    found = await accounts.profile(session, user, user_id)
    return await presenters.profile_out(session, services, found)


@router.get(
    "/users/{user_id}/contents",
    response_model=Page[CardOut],
    responses=problems.responses(404, 422, codes=["user.not_found", "invalid"]),
)
async def user_contents(
    user_id: str,
    session: SessionDep,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[CardOut]:
    cards, next_cursor = await engagement.creator_contents(session, user_id, cursor, limit)
    return Page(items=await presenters.cards(session, services, cards), next_cursor=next_cursor)
