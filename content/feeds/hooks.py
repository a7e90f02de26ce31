"""Keeping the feeds in step with the database after a commit: `run` carries out what services
declared, in Redis and in every process's cached pages (docs/feeds.md)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects
from content.feeds import order
from content.feeds.keys import FeedKeys
from content.feeds.ranking import hot_score
from content.models import ContentStats
from infra.upsert import insert_for

log = logging.getLogger(__name__)
EVERYTHING = "all"


def user_entry(user_id: str) -> str:
    return f"u:{user_id}"


def comments_entry(content_id: str) -> str:
    """What every process drops to forget a content's cached comment pages."""
    return f"c:{content_id}"


def details_entry(content_ids: Iterable[str]) -> str:
    """What every process drops to forget these contents' cached details (their counters
    moved): one message for a whole flush of views."""
    return "d:" + " ".join(sorted(content_ids))


async def on_published(session: AsyncSession, content_id: str, published_at: datetime) -> None:
    """A content goes live: give it counters (kept if it was live before) and a place in the
    feeds once the commit is done."""
    stmt = insert_for(session, ContentStats).values(
        content_id=content_id, hot_score=hot_score(None, published_at)
    )
    await session.exec(stmt.on_conflict_do_nothing(index_elements=["content_id"]))
    effects.sync_feeds(session, content_id)


async def run(
    declared: effects.Effects,
    sessions: async_sessionmaker[AsyncSession],
    redis: aioredis.Redis,
    keys: FeedKeys,
    invalidate: Callable[[str], Awaitable[object]],
) -> None:
    """The feed work a committed transaction declared; ``invalidate(what)`` makes every process
    drop ``what`` from its cached pages."""
    if declared.feed_syncs:
        try:
            async with sessions() as session:
                for content_id in declared.feed_syncs:
                    await order.sync(session, redis, keys, content_id)
        except (RedisError, OSError) as exc:
            # Nothing is lost: the rows are the truth, Redis stays stale until the next sync or
            # rebuild, and readers check the database for every card they show.
            log.warning("feeds not synced after commit (Redis unavailable): %s", exc)
    if any(declared.feed_syncs.values()):
        await invalidate(EVERYTHING)
    elif declared.feed_syncs:  # only counters moved: cards catch up within their TTL, a
        # detail (one content, where a liker looks next) at once
        await invalidate(details_entry(declared.feed_syncs))
    for user_id in declared.following_changed:
        await invalidate(user_entry(user_id))
    for content_id in declared.comments_changed:
        await invalidate(comments_entry(content_id))
