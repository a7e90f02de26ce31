"""The order of every feed, in Redis sorted sets derived from the database: `sync` for one
content, `rebuild` for all after Redis lost them (both idempotent)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.feeds import cursors
from content.feeds.keys import ORDERED_TABS, FeedKeys, Tab, scope
from content.feeds.pins import is_pinned, pinned_clause
from content.feeds.ranking import hot_score
from content.kit import AUDIENCES, TOPICS
from content.models import Content, ContentStats, ContentStatus, Revision
from infra.clock import utcnow
from infra.ids import new_id

REBUILD_CHUNK = 2000
REBUILD_WAIT_S = 120.0
REBUILD_LEASE_S = 3600


def taxonomy_scopes() -> list[str]:
    return ["all"] + [scope(topic=t) for t, _ in TOPICS] + [scope(audience=a) for a, _ in AUDIENCES]


@dataclass
class Placement:
    """Where one published content goes and with which scores."""

    content_id: str
    owner_id: str
    published_at: datetime
    hot: float
    scopes: list[str]
    pinned_until: datetime | None

    @property
    def latest(self) -> float:
        return cursors.micros(self.published_at)


# Only the columns a placement needs: a rebuild reads a million rows of them.
_COLUMNS = (
    col(Content.id),
    col(Content.owner_id),
    col(Content.status),
    col(Content.published_at),
    col(Content.pinned_until),
    col(Revision.id),
    col(Revision.topics),
    col(Revision.audiences),
    col(ContentStats.hot_score),
)


def _placement(row: Any) -> Placement | None:
    cid, owner, status, published_at, pinned_until, revision_id, topics, audiences, hot = row
    if status != ContentStatus.published or revision_id is None or published_at is None:
        return None
    scopes = ["all"] + [scope(topic=t) for t in topics] + [scope(audience=a) for a in audiences]
    # The stored score is the one the database fallback ranks by: both paths agree.
    rank = hot if hot is not None else hot_score(None, published_at)
    return Placement(cid, owner, published_at, rank, scopes, pinned_until)


def _placements() -> Any:
    return (
        select(*_COLUMNS)  # type: ignore[call-overload]
        .join(Revision, col(Revision.id) == col(Content.live_revision_id), isouter=True)
        .join(ContentStats, col(ContentStats.content_id) == col(Content.id), isouter=True)
    )


async def _placement_of(session: AsyncSession, content_id: str) -> tuple[Placement | None, str]:
    row = (await session.exec(_placements().where(col(Content.id) == content_id))).first()
    if row is None:
        return None, ""
    return _placement(row), str(row[1])


async def sync(
    session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys, content_id: str
) -> bool:
    """Put one content where its row says, in one round trip. True if it is in the feeds."""
    where, owner_id = await _placement_of(session, content_id)
    async with redis.pipeline(transaction=False) as pipe:
        wanted = set(where.scopes) if where else set()
        for tab in ORDERED_TABS:
            for s in taxonomy_scopes():
                key = keys.feed(tab, s)
                if where is not None and s in wanted:
                    score = where.latest if tab == Tab.latest else where.hot
                    pipe.zadd(key, {content_id: score})
                else:
                    pipe.zrem(key, content_id)
        if owner_id:
            if where is not None:
                pipe.zadd(keys.author(owner_id), {content_id: where.latest})
            else:
                pipe.zrem(keys.author(owner_id), content_id)
        pin_end = where.pinned_until if where is not None else None
        if pin_end is not None and is_pinned(pin_end):
            pipe.zadd(keys.pins, {content_id: pin_end.timestamp()})
        else:
            pipe.zrem(keys.pins, content_id)
        await pipe.execute()
    return where is not None


async def forget(redis: aioredis.Redis, ids: Iterable[str], feed_key: str) -> None:
    """Drop ids a reader found in ``feed_key`` that the database no longer publishes."""
    stale = list(ids)
    if stale:
        await redis.zrem(feed_key, *stale)


@dataclass
class _Fill:
    """Members gathered per feed for one chunk, so each feed gets one ZADD per chunk."""

    keys: FeedKeys
    counts: dict[str, int] = field(default_factory=dict)
    chunk: dict[str, dict[str, float]] = field(default_factory=dict)
    authors: set[str] = field(default_factory=set)  # whose timeline's side key is cleared

    def add(self, key: str, member: str, score: float) -> None:
        self.chunk.setdefault(key, {})[member] = score
        self.counts[key] = self.counts.get(key, 0) + 1

    def place(self, pipe: aioredis.client.Pipeline, p: Placement) -> None:
        for s in p.scopes:
            self.add(self.keys.feed(Tab.latest, s), p.content_id, p.latest)
            self.add(self.keys.feed(Tab.hot, s), p.content_id, p.hot)
        author_key = self.keys.author(p.owner_id)
        if p.owner_id not in self.authors:
            self.authors.add(p.owner_id)
            pipe.delete(self.keys.rebuilding(author_key))
        self.add(author_key, p.content_id, p.latest)

    def flush(self, pipe: aioredis.client.Pipeline) -> None:
        for key, members in self.chunk.items():
            pipe.zadd(self.keys.rebuilding(key), members)
        self.chunk = {}


async def rebuild(
    session: AsyncSession,
    redis: aioredis.Redis,
    keys: FeedKeys,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Refill every feed from the database; returns the number of published items.

    Each feed is filled under a side key and swapped in with RENAME, so readers see the old
    order or the new one, never half. Items published or removed while it ran are synced again
    at the end, so the swap cannot undo them. A second rebuild waits for the first."""
    token = new_id()
    for _ in range(int(REBUILD_WAIT_S / 0.2)):
        if await redis.set(keys.rebuilding_now, token, nx=True, ex=REBUILD_LEASE_S):
            break
        await asyncio.sleep(0.2)
    else:
        raise TimeoutError("another feed rebuild is still running")
    try:
        return await _rebuild(session, redis, keys, on_progress)
    finally:
        if await redis.get(keys.rebuilding_now) == token:
            await redis.delete(keys.rebuilding_now)


async def _rebuild(
    session: AsyncSession,
    redis: aioredis.Redis,
    keys: FeedKeys,
    on_progress: Callable[[int, int], None] | None,
) -> int:
    started = utcnow()
    total = await _published_count(session)
    fill = _Fill(keys)
    all_keys = [keys.feed(tab, s) for tab in ORDERED_TABS for s in taxonomy_scopes()]
    await _clear_side_keys(redis, keys, all_keys)
    done, after = 0, ""
    while rows := await _published_chunk(session, after):
        await _fill_chunk(redis, fill, rows)
        done += len(rows)
        after = str(rows[-1][0])
        if on_progress:
            on_progress(done, max(total, done))
    await _swap_in(redis, fill, all_keys)
    await _sync_changed_since(session, redis, keys, started)
    await redis.set(keys.built, started.isoformat())
    return done


async def _published_count(session: AsyncSession) -> int:
    return (
        await session.exec(
            select(func.count())
            .select_from(Content)
            .where(Content.status == ContentStatus.published)
        )
    ).one()


async def _clear_side_keys(redis: aioredis.Redis, keys: FeedKeys, feed_keys: list[str]) -> None:
    """Empty the copies a rebuild fills (an earlier one may have left them half full)."""
    async with redis.pipeline(transaction=False) as pipe:
        for key in feed_keys:
            pipe.delete(keys.rebuilding(key))
        await pipe.execute()


async def _published_chunk(session: AsyncSession, after: str) -> Sequence[Any]:
    """The placement rows of the next published contents, by id after ``after``."""
    rows: Sequence[Any] = (
        await session.exec(
            _placements()
            .where(col(Content.status) == ContentStatus.published, col(Content.id) > after)
            .order_by(col(Content.id))
            .limit(REBUILD_CHUNK)
        )
    ).all()
    return rows


async def _fill_chunk(redis: aioredis.Redis, fill: _Fill, rows: Sequence[Any]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for row in rows:
            placement = _placement(row)
            if placement is not None:
                fill.place(pipe, placement)
        fill.flush(pipe)
        await pipe.execute()


async def _swap_in(redis: aioredis.Redis, fill: _Fill, feed_keys: list[str]) -> None:
    """Put each filled copy in place of its feed (RENAME: readers see the old order or the new
    one, never half); a feed left empty is deleted."""
    async with redis.pipeline(transaction=False) as pipe:
        for key in set(feed_keys) | set(fill.counts):
            if fill.counts.get(key):
                pipe.rename(fill.keys.rebuilding(key), key)
            else:
                pipe.delete(key)
        pipe.delete(fill.keys.pins)
        await pipe.execute()


async def _sync_changed_since(
    session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys, started: datetime
) -> None:
    """Sync again what changed while the rebuild ran (the swap may have undone it), and every
    pin (the swap dropped them all)."""
    changed = await session.exec(
        select(Content.id).where((col(Content.updated_at) >= started) | pinned_clause(utcnow()))
    )
    for content_id in changed.all():
        await sync(session, redis, keys, content_id)
