"""Shares: one row per person and content, so sharing again (or a burst of requests) counts
once; the counter moves in the same transaction as the rows, like a like's."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from content.engagement.reactions import bump, published
from content.models import Share
from infra.clock import utcnow
from infra.upsert import insert_for


async def add(session: AsyncSession, content_id: str, user_ids: Iterable[str]) -> int:
    """Record that each of ``user_ids`` shared the content; returns how many had not before."""
    now = utcnow()
    rows = [{"user_id": u, "content_id": content_id, "created_at": now} for u in sorted(user_ids)]
    if not rows:
        return 0
    created = await session.exec(
        insert_for(session, Share)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(col(Share.user_id))
    )
    return len(created.all())


async def record_share(session: AsyncSession, user_id: str, content_id: str) -> None:
    """``user_id`` shared the content: counted if it is their first share of it."""
    content = await published(session, content_id)
    if await add(session, content.id, [user_id]):
        await bump(session, content, shares=1)
