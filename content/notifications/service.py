"""Telling a user something, and reading and marking what one was told."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import jobs, kit
from content.models import Notification, NotificationKind, User
from infra.clock import utcnow

MAX_TEXT = 500


async def tell(
    session: AsyncSession,
    user_id: str,
    kind: NotificationKind,
    text: str,
    *,
    content_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    """Tell ``user_id`` ``text``, in the caller's transaction: the notification exists exactly
    when what caused it committed. One INSERT; a user who logs in with WeChat also gets a push
    job, sent after the commit from the outbox, so WeChat's speed or outage never reaches the
    caller."""
    row = Notification(
        user_id=user_id,
        kind=kind,
        text=text[:MAX_TEXT],
        content_id=content_id,
        data=data or {},
    )
    session.add(row)
    user = await session.get(User, user_id)
    if user is not None and user.wechat_openid:
        jobs.after_commit(session, jobs.PUSH_NOTIFICATION, row.id)
    return row


async def mine(
    session: AsyncSession, user_id: str, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """The caller's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user_id)
    return await kit.page_by_time(
        session,
        query,
        col(Notification.created_at),
        col(Notification.id),
        cursor,
        limit,
        key=lambda n: kit.Mark(n.created_at, n.id),
    )


async def unread(session: AsyncSession, user_id: str) -> int:
    result = await session.exec(
        select(func.count()).where(
            col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
        )
    )
    return int(result.one())


async def mark_read(session: AsyncSession, user_id: str, ids: list[str] | None) -> int:
    """Mark the caller's notifications ``ids`` read (all of them for None); ids that are not
    the caller's are ignored, so nothing tells whether they exist. Returns how many were
    marked."""
    query = sa.update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    if ids is not None:
        if not ids:
            return 0
        query = query.where(col(Notification.id).in_(ids))
    result = await session.exec(query.values(read_at=utcnow()))
    return int(result.rowcount)
