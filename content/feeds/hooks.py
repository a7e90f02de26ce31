"""Keeping the feeds in step with the database after a commit.

Services say what changed (``after_commit_sync``); the request's session runs the work once the
commit made it visible: Redis is brought in line with the rows, and — for publish, takedown,
withdrawal and pins — every API process drops its cached pages before the response goes out.
Nothing here can lose data: the database is the truth, and a failed step only leaves Redis
stale until the next sync or rebuild (readers check the database for every card they show).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from content.feeds import order
from content.feeds.keys import FeedKeys
from content.feeds.ranking import hot_score
from content.models import ContentStats
from infra.upsert import insert_for

log = logging.getLogger(__name__)
_KEY = "kepu.feeds_after_commit"
_USERS = "kepu.feeds_forget_users"
EVERYTHING = "all"


def after_commit_sync(session: AsyncSession, content_id: str, *, invalidate: bool = True) -> None:
    """After this transaction commits, put ``content_id`` where its row says in every feed;
    with ``invalidate``, every API process forgets its cached pages before the caller returns."""
    pending: dict[str, bool] = session.info.setdefault(_KEY, {})
    pending[content_id] = pending.get(content_id, False) or invalidate


def after_commit_forget_user(session: AsyncSession, user_id: str) -> None:
    """After the commit, every process forgets ``user_id``'s cached following pages."""
    session.info.setdefault(_USERS, set()).add(user_id)


def user_entry(user_id: str) -> str:
    return f"u:{user_id}"


async def on_published(session: AsyncSession, content_id: str, published_at: datetime) -> None:
    """A content goes live: give it counters (kept if it was live before) and a place in the
    feeds once the commit is done."""
    stmt = insert_for(session, ContentStats).values(
        content_id=content_id, hot_score=hot_score(None, published_at)
    )
    await session.exec(stmt.on_conflict_do_nothing(index_elements=["content_id"]))
    after_commit_sync(session, content_id)


@dataclass
class Pending:
    contents: dict[str, bool]  # content id → whether cached pages must go at once
    users: set[str]

    def __bool__(self) -> bool:
        return bool(self.contents or self.users)


def take_pending(session: AsyncSession) -> Pending:
    return Pending(session.info.pop(_KEY, {}), session.info.pop(_USERS, set()))


async def run(
    pending: Pending,
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    keys: FeedKeys,
    invalidate: Callable[[str], Awaitable[object]],
) -> None:
    """The work ``pending`` asks for; ``invalidate(what)`` broadcasts to every process."""
    if not pending:
        return
    if pending.contents:
        try:
            async with sessions() as session:
                for content_id in pending.contents:
                    await order.sync(session, redis, keys, content_id)
        except (RedisError, OSError) as exc:
            log.warning("feeds not synced after commit (Redis unavailable): %s", exc)
    if any(pending.contents.values()):
        await invalidate(EVERYTHING)
    for user_id in pending.users:
        await invalidate(user_entry(user_id))
