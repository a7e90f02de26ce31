"""Views (with watch progress) and shares: buffered in Redis, written to the database in batches
that a killed flush neither loses nor counts twice (docs/feeds.md)."""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.engagement.reactions import bump, published
from content.errors import Invalid
from content.feeds import FeedKeys
from content.models import Content, ContentViewer, FlushedBatch
from infra.clock import utcnow
from infra.ids import new_id
from infra.upsert import insert_for

log = logging.getLogger(__name__)
MAX_SECONDS = 24 * 3600.0
# Reported progress may run a little past the duration (players round); beyond this it is junk.
OVERSHOOT = 1.05
COMPLETED_AT = 0.9  # watched this share of the duration: a completed view

# Move the buffer aside as a new batch, atomically (one slot: the keys share a hash tag).
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""


@dataclass
class View:
    content_id: str
    user_id: str
    watched_s: float
    duration_s: float

    @property
    def completed(self) -> bool:
        return self.watched_s >= COMPLETED_AT * self.duration_s


def checked_view(content_id: str, user_id: str, watched_s: float, duration_s: float) -> View:
    for name, value in (("watched_s", watched_s), ("duration_s", duration_s)):
        if not math.isfinite(value) or value < 0 or value > MAX_SECONDS:
            raise Invalid(
                f"{name} must be between 0 and {int(MAX_SECONDS)} seconds",
                field=name,
                code="view.invalid_progress",
            )
    if duration_s <= 0:
        raise Invalid(
            "duration_s must be above 0", field="duration_s", code="view.invalid_progress"
        )
    if watched_s > duration_s * OVERSHOOT:
        raise Invalid(
            "watched_s cannot be more than the duration",
            field="watched_s",
            code="view.invalid_progress",
        )
    return View(content_id, user_id, min(watched_s, duration_s), duration_s)


async def record_view(
    session: AsyncSession,
    redis: aioredis.Redis,
    keys: FeedKeys,
    user_id: str,
    content_id: str,
    watched_s: float,
    duration_s: float,
) -> None:
    content = await published(session, content_id)
    view = checked_view(content.id, user_id, watched_s, duration_s)
    event = {"k": "view", "c": view.content_id, "u": user_id, "w": view.watched_s,
             "d": view.duration_s}  # fmt: skip
    await _buffer(session, redis, keys, event)


async def record_share(
    session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys, user_id: str, content_id: str
) -> None:
    content = await published(session, content_id)
    await _buffer(session, redis, keys, {"k": "share", "c": content.id, "u": user_id})


async def _buffer(
    session: AsyncSession, redis: aioredis.Redis, keys: FeedKeys, event: dict[str, object]
) -> None:
    try:
        await redis.rpush(keys.buffer, json.dumps(event))
    except (RedisError, OSError) as exc:
        log.warning("Redis unavailable; event written to the database directly: %s", exc)
        await apply_batch(session, None, [event])


async def claim_batches(redis: aioredis.Redis, keys: FeedKeys) -> list[str]:
    """Batches waiting to be written: the buffer moved aside now, and any a dead flush left."""
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


@dataclass
class _Totals:
    views: int = 0
    shares: int = 0
    watched_s: float = 0.0
    viewers: dict[str, View] = field(default_factory=dict)  # user → their furthest view


async def apply_batch(
    session: AsyncSession, batch_id: str | None, events: list[dict[str, object]]
) -> int:
    """Write a batch of events (once: a batch id already recorded is skipped). Returns the
    number of contents whose counters changed."""
    if batch_id is not None:
        stmt = insert_for(session, FlushedBatch).values(id=batch_id, flushed_at=utcnow())
        if (await session.exec(stmt.on_conflict_do_nothing())).rowcount != 1:
            return 0
    totals: dict[str, _Totals] = defaultdict(_Totals)
    for e in events:
        t = totals[str(e["c"])]
        if e["k"] == "share":
            t.shares += 1
        elif e["k"] == "view":
            v = View(str(e["c"]), str(e["u"]), float(e["w"]), float(e["d"]))  # type: ignore[arg-type]
            t.views += 1
            t.watched_s += v.watched_s
            best = t.viewers.get(v.user_id)
            if best is None or v.watched_s > best.watched_s:
                t.viewers[v.user_id] = v
    contents = {
        c.id: c
        for c in (await session.exec(select(Content).where(col(Content.id).in_(totals)))).all()
    }
    for content_id, t in totals.items():
        content = contents.get(content_id)
        if content is None or content.published_at is None:
            continue  # deleted, or never published: nothing to count
        new_viewers, new_completions = await _viewers(session, content_id, t)
        await bump(
            session,
            content,
            views=t.views,
            shares=t.shares,
            watched_s=t.watched_s,
            viewers=new_viewers,
            completions=new_completions,
        )
    return len(totals)


async def _viewers(session: AsyncSession, content_id: str, t: _Totals) -> tuple[int, int]:
    """Record each viewer's furthest point; (first-time viewers, first-time completions)."""
    if not t.viewers:
        return 0, 0
    known = {
        r.user_id: r
        for r in (
            await session.exec(
                select(ContentViewer).where(
                    ContentViewer.content_id == content_id,
                    col(ContentViewer.user_id).in_(list(t.viewers)),
                )
            )
        ).all()
    }
    now = utcnow()
    new_viewers = new_completions = 0
    for user_id, view in t.viewers.items():
        row = known.get(user_id)
        if row is None:
            new_viewers += 1
            new_completions += view.completed
            session.add(
                ContentViewer(
                    content_id=content_id,
                    user_id=user_id,
                    views=1,
                    watched_s=view.watched_s,
                    completed=view.completed,
                    first_at=now,
                    last_at=now,
                )
            )
        else:
            new_completions += view.completed and not row.completed
            row.views += 1
            row.watched_s = max(row.watched_s, view.watched_s)
            row.completed = row.completed or view.completed
            row.last_at = now
            session.add(row)
    await session.flush()
    return new_viewers, new_completions
