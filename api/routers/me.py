"""The caller's own account and contents."""

from __future__ import annotations

from fastapi import APIRouter

from api import presenters
from api.deps import CurrentUser, Cursor, Limit, ServicesDep, SessionDep
from api.routers.auth import user_out
from api.schemas import MyContentOut, Page, UserOut
from content import contents
from content.accounts import require_role
from content.models import Role

router = APIRouter(tags=["me"])


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.get("/me/contents", response_model=Page[MyContentOut])
async def my_contents(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[MyContentOut]:
    require_role(user, Role.creator.value)
    rows, next_cursor = await contents.mine(session, user, cursor, limit)
    items = await presenters.my_contents(session, services, rows, user)
    return Page(items=items, next_cursor=next_cursor)
