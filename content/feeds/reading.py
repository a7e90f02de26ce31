"""Reading a feed page: the order from Redis, the cards from the database in one query, and the
database alone when Redis is down or lost its feeds."""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import jobs
from content.feeds import database, order
from content.feeds.cards import Card, load
from content.feeds.cursors import Position, after_pin, decode, encode, pin_position
from content.feeds.keys import FeedKeys, Tab, scope
from content.kit import cut
from content.models import Follow

log = logging.getLogger(__name__)
# How many ids to read past the page, so ids Redis still lists after a takedown (dropped when
# the database says so) rarely cost a second round.
SLACK = 5
MAX_ROUNDS = 5
MAX_FOLLOWED = 2000  # creators merged into one following page (the newest follows first)
FEED_REBUILD_LOCK_S = 600


@dataclass
class FeedQuery:
    tab: Tab
    topic: str | None = None
    audience: str | None = None
    cursor: str | None = None
    limit: int = 20
    user_id: str | None = None  # the follower, for the following tab


@dataclass
class FeedPage:
    cards: list[Card]
    next_cursor: str | None
    from_redis: bool


async def page(
    session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys, query: FeedQuery
) -> FeedPage:
    after = decode(query.tab, query.cursor) if query.cursor else None
    try:
        if await redis.exists(keys.built):
            found = await _from_redis(session, redis, keys, query, after)
            return _assemble(query, found, from_redis=True)
        await _ask_for_rebuild(session, redis, keys)
    except (RedisError, OSError) as exc:
        log.warning("feed served from the database (Redis unavailable): %s", exc)
    found = await database.page(
        session,
        query.tab,
        topic=query.topic,
        audience=query.audience,
        after=after,
        limit=query.limit,
        follower_id=query.user_id,
    )
    return _assemble(query, found, from_redis=False)


def _assemble(
    query: FeedQuery, found: list[tuple[Card, Position]], *, from_redis: bool
) -> FeedPage:
    """At most ``limit`` cards, pins included; the cursor is the last one's place, among the
    pins or in the order below them, so the next page repeats and skips nothing."""
    kept, last = cut(found, query.limit, lambda item: item[1])
    cursor = encode(query.tab, last) if last else None
    return FeedPage([card for card, _ in kept], cursor, from_redis)


async def _ask_for_rebuild(session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys) -> None:
    """Redis has no feeds (new, or emptied): one reader asks a worker to rebuild them."""
    if await redis.set(keys.rebuild_lock, "1", nx=True, ex=FEED_REBUILD_LOCK_S):
        jobs.after_commit(session, jobs.FEED_REBUILD)


async def _ranges(
    redis: aioredis.Redis, feed_keys: list[str], after: Position | None, count: int
) -> list[tuple[str, float]]:
    """The next ``count`` (id, score) after ``after`` across ``feed_keys``, merged in order."""
    top = "+inf" if after is None else after.score
    async with redis.pipeline(transaction=False) as pipe:
        for key in feed_keys:
            # Ties on the score are rare (microseconds) but possible: read them again and skip
            # those at or before the cursor's id.
            pipe.zrange(key, top, "-inf", desc=True, byscore=True, offset=0, num=count + 1,
                        withscores=True)  # fmt: skip
        results = await pipe.execute()
    merged: list[tuple[str, float]] = []
    for rows in results:
        for member, score in rows:
            member_id = member if isinstance(member, str) else member.decode()
            if after is not None and score == after.score and member_id >= after.id:
                continue
            merged.append((member_id, float(score)))
    return heapq.nlargest(count, merged, key=lambda item: (item[1], item[0]))


async def _feed_keys(session: AsyncSession, keys: FeedKeys, query: FeedQuery) -> list[str]:
    if query.tab != Tab.following:
        return [keys.feed(query.tab, scope(query.topic, query.audience))]
    followed = await session.exec(
        select(Follow.creator_id)
        .where(Follow.follower_id == query.user_id)
        .order_by(Follow.created_at.desc())  # type: ignore[attr-defined]
        .limit(MAX_FOLLOWED)
    )
    return [keys.author(creator) for creator in followed.all()]


async def _pins(
    session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys, query: FeedQuery, now: float
) -> tuple[list[Card], set[str]]:
    pin_rows: list[tuple[str, float]] = await redis.zrange(  # type: ignore[assignment]
        keys.pins, now, "+inf", byscore=True, withscores=True
    )
    # Pinned longest first (by the rows' pin ends), as the pin order of the database path.
    ids = [str(member) for member, _ in pin_rows]
    found = await load(session, ids)
    cards = sorted(
        (c for c in found.values() if c.pinned and c.in_scope(query.topic, query.audience)),
        key=lambda c: (-pin_position(c.content).score, c.content.id),
    )
    return cards, set(ids)


async def _from_redis(
    session: AsyncSession,
    redis: aioredis.Redis,
    keys: FeedKeys,
    query: FeedQuery,
    after: Position | None,
) -> list[tuple[Card, Position]]:
    """As `database.page`: up to ``limit + 1`` cards with their positions, pins first."""
    lead: list[tuple[Card, Position]] = []
    skip: set[str] = set()
    if query.tab == Tab.latest:
        # Pinned items lead the first pages and are left out of the order below until they
        # expire; they count toward the limit like any other card.
        pins, skip = await _pins(session, redis, keys, query, time.time())
        if after is None or after.pinned:
            placed = [(c, pin_position(c.content)) for c in pins]
            lead = [(c, p) for c, p in placed if after_pin(p, after)][: query.limit + 1]
    need = query.limit + 1 - len(lead)
    feed_keys = await _feed_keys(session, keys, query)
    if need <= 0 or not feed_keys:
        return lead
    out: list[Card] = []
    scores: dict[str, float] = {}
    cursor = None if after is None or after.pinned else after
    for _ in range(MAX_ROUNDS):
        want = need - len(out) + SLACK
        ranged = await _ranges(redis, feed_keys, cursor, want)
        scores.update(ranged)
        found = await load(session, [i for i, _ in ranged if i not in skip])
        if query.tab == Tab.following and (query.topic or query.audience):
            # Creators' timelines are not split by topic: filter here, as the database does.
            found = {i: c for i, c in found.items() if c.in_scope(query.topic, query.audience)}
        stale = [i for i, _ in ranged if i not in found and i not in skip]
        if stale and len(feed_keys) == 1:
            await order.forget(redis, stale, feed_keys[0])
        out += [found[i] for i, _ in ranged if i in found][: need - len(out)]
        if len(out) >= need or len(ranged) < want:
            break
        cursor = Position(ranged[-1][1], ranged[-1][0])
    return lead + [(c, Position(scores[c.content.id], c.content.id)) for c in out]
