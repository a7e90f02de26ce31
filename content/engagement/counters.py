"""Views: buffered in Redis, written to the database in batches that a killed flush neither loses
nor counts twice; how events become counts of people is views.py's (docs/feeds.md)."""

from __future__ import annotations

import json
import logging
from collections import defaultdict

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlmodel.ext.asyncio.session import AsyncSession

from content.engagement import daily, shares, views
from content.engagement.reactions import bump
from content.feeds import FeedKeys
from content.models import FlushedBatch
from infra.clock import utcnow
from infra.ids import new_id
from infra.redis import NO_ACK, Ack, replicated
from infra.upsert import insert_for

log = logging.getLogger(__name__)

# Move the buffer aside as a new batch, atomically (one slot: the keys share a hash tag).
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""


async def record_view(
    session: AsyncSession,
    redis: aioredis.Redis,
    keys: FeedKeys,
    user_id: str,
    content_id: str,
    report: views.Report,
    *,
    ack: Ack = NO_ACK,
) -> None:
    """Buffer one view event of a public content, stamped with the server's time; answered
    once ``ack``'s replicas have it, so a failover of Redis does not lose it."""
    content, duration_s = await views.viewable(session, content_id)
    checked = views.checked(report, duration_s)
    event = views.event(content.id, user_id, checked, views.now())
    await _buffer(session, redis, keys, event, ack)


async def _buffer(
    session: AsyncSession,
    redis: aioredis.Redis,
    keys: FeedKeys,
    event: dict[str, object],
    ack: Ack,
) -> None:
    try:
        _, safe = await replicated(redis, ack, lambda p: p.rpush(keys.buffer, json.dumps(event)))
    except (RedisError, OSError) as exc:
        log.warning("Redis unavailable; event written to the database directly: %s", exc)
        await apply_batch(session, None, [event])
        return
    if not safe:
        # Only the master has it, and a failover now would lose it: the database gets it too.
        # Counted twice it changes nothing (a person counts once a day, at their furthest point).
        log.warning(
            "no Redis replica took a view in %d ms; written to the database", ack.timeout_ms
        )
        await apply_batch(session, None, [event])


async def claim_batches(redis: aioredis.Redis, keys: FeedKeys) -> list[str]:
    """Batches waiting to be written: the buffer moved aside now, and any a dead flush left.
    (A move that a failover loses brings the batch back into the buffer: its events applied
    again count nobody twice.)"""
    batch_id = new_id()
    await redis.eval(_CLAIM, 3, keys.buffer, keys.batch(batch_id), keys.batches, batch_id)
    members = await redis.smembers(keys.batches)
    return sorted(str(m) for m in members)


async def read_batch(
    redis: aioredis.Redis, keys: FeedKeys, batch_id: str
) -> list[dict[str, object]]:
    raw = await redis.lrange(keys.batch(batch_id), 0, -1)
    out = []
    for item in raw:
        try:
            out.append(json.loads(item))
        except ValueError:
            log.warning("dropped an unreadable counter event: %r", item[:100])
    return out


async def release_batch(redis: aioredis.Redis, keys: FeedKeys, batch_id: str) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.delete(keys.batch(batch_id))
        pipe.srem(keys.batches, batch_id)
        await pipe.execute()


async def apply_batch(
    session: AsyncSession, batch_id: str | None, events: list[dict[str, object]]
) -> int:
    """Write a batch of events (once: a batch id already recorded is skipped). Returns the
    number of contents whose counters changed."""
    if batch_id is not None:
        stmt = insert_for(session, FlushedBatch).values(id=batch_id, flushed_at=utcnow())
        if (await session.exec(stmt.on_conflict_do_nothing())).rowcount != 1:
            return 0
    received = views.now()
    seen: dict[str, list[views.Seen]] = defaultdict(list)
    sharers: dict[str, set[str]] = defaultdict(set)  # shares an older server buffered
    for e in events:
        if e.get("k") == "share" and e.get("c") and e.get("u"):
            sharers[str(e["c"])].add(str(e["u"]))
        elif e.get("k") == "view" and (one := views.seen_of(e, received)) is not None:
            seen[str(e.get("c"))].append(one)
    found = await views.measured(session, set(seen) | set(sharers))
    changed = 0
    for content_id, viewed in sorted(found.items()):
        if viewed.content.published_at is None:
            continue  # never published: nothing to count
        tally = views.Tally()
        # Day by day, earliest first: each day's record gets what that day's events gave.
        for day, events_of_day in daily.by_day(seen.get(content_id, [])):
            viewed.events = events_of_day
            of_day = await views.count(session, viewed)
            await daily.record(session, content_id, day, of_day)
            tally.add(of_day)
        deltas = tally.deltas()
        if new_shares := await shares.add(session, content_id, sharers.get(content_id, ())):
            deltas["shares"] = new_shares
        if deltas:
            await bump(session, viewed.content, **deltas)
            changed += 1
    return changed
