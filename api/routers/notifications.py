"""What the caller was told: review outcomes, comments, report outcomes, failed media."""

from __future__ import annotations

from fastapi import APIRouter

from api import presenters, problems
from api.deps import CurrentUser, Cursor, Limit, SessionDep
from api.schemas import MarkedOut, MarkReadIn, NotificationsOut
from content import notifications

router = APIRouter(tags=["me"])


@router.get(
    "/me/notifications",
    response_model=NotificationsOut,
    responses=problems.responses(401, 422, codes=["invalid"]),
)
async def list_notifications(
    user: CurrentUser, session: SessionDep, cursor: Cursor = None, limit: Limit = 20
) -> NotificationsOut:
    rows, next_cursor = await notifications.mine(session, user.id, cursor, limit)
    unread = await notifications.unread(session, user.id)
    return presenters.notifications_out(rows, unread, next_cursor)


@router.post(
    "/me/notifications/read",
    response_model=MarkedOut,
    responses=problems.responses(401, 413, 422, codes=["invalid"]),
)
async def mark_notifications_read(
    body: MarkReadIn, user: CurrentUser, session: SessionDep
) -> MarkedOut:
    ids = None if body.ids == "all" else body.ids
    marked = await notifications.mark_read(session, user.id, ids)
    return presenters.marked_out(marked, await notifications.unread(session, user.id))
