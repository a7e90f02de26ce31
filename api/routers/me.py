"""The caller's own account and contents."""

from __future__ import annotations

from fastapi import APIRouter

from api import presenters, problems
from api.deps import CurrentUser, Cursor, Limit, ServicesDep, SessionDep
from api.schemas import MyContentOut, Page, UserOut
from content import items

router = APIRouter(tags=["me"])


@router.get("/me", response_model=UserOut, responses=problems.responses(401))
async def me(user: CurrentUser) -> UserOut:
    return presenters.user_out(user)


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
