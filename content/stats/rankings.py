"""科学传播榜单: the contents and creators that reached most people over the last week or month,
computed from the rollups by the rollup job, cached in Redis, and filtered at read so a content
taken down leaves the list at once (docs/stats.md has the score)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts
from content.feeds import Card, load
from content.models import (
    Content,
    ContentStatus,
    RankingEntry,
    RankingKind,
    RankingPeriod,
    StatsContentDay,
    User,
)
from content.stats.days import DayRange, today
from infra.clock import utcnow

log = logging.getLogger(__name__)

PERIOD_DAYS = {RankingPeriod.week: 7, RankingPeriod.month: 30}
SIZE = 50  # places kept on each ranking
# What a person's engagement is worth: reaching someone new counts once; getting through a
# content, keeping it and passing it on say more about it than a glance.
WEIGHTS = {"viewers": 1.0, "completions": 3.0, "likes": 2.0, "favorites": 2.0, "shares": 4.0}
CACHE_TTL_S = 3600  # a fallback: the job replaces the cached lists every run


def _score() -> sa.ColumnElement[float]:
    t = StatsContentDay
    return sum(
        (func.sum(getattr(t, name)) * weight for name, weight in WEIGHTS.items()),
        sa.literal(0.0),
    )


@dataclass(frozen=True)
class Placed:
    subject_id: str
    score: float


@dataclass
class Ranking:
    period: RankingPeriod
    kind: RankingKind
    placed: list[Placed]
    computed_at: datetime | None


async def compute(session: AsyncSession) -> list[Ranking]:
    """Every ranking anew from the rollups, only currently published content, written over the
    last computation."""
    now, last = utcnow(), today()
    out: list[Ranking] = []
    for period, days in PERIOD_DAYS.items():
        window = DayRange.ending(last, days)
        top = await _top(session, window, col(StatsContentDay.content_id))
        out.append(Ranking(period, RankingKind.contents, top, now))
        top = await _top(session, window, col(Content.owner_id), creators=True)
        out.append(Ranking(period, RankingKind.creators, top, now))
    await session.exec(sa.delete(RankingEntry))
    rows = [
        {
            "period": r.period,
            "kind": r.kind,
            "position": i,
            "subject_id": p.subject_id,
            "score": p.score,
            "computed_at": now,
        }
        for r in out
        for i, p in enumerate(r.placed, 1)
    ]
    if rows:
        await session.exec(sa.insert(RankingEntry), params=rows)
    return out


async def _top(
    session: AsyncSession, window: DayRange, subject: Any, *, creators: bool = False
) -> list[Placed]:
    """The best scores of ``subject`` (a content's id, or its owner's) in ``window``."""
    t = StatsContentDay
    score = _score().label("score")
    query = (
        select(subject, score)
        .join(Content, col(Content.id) == col(t.content_id))
        .where(
            col(t.day) >= window.first,
            col(t.day) <= window.last,
            col(Content.status) == ContentStatus.published,
        )
    )
    if creators:
        query = query.join(User, col(User.id) == col(Content.owner_id)).where(
            col(User.is_active).is_(True)
        )
    rows = await session.exec(
        query.group_by(subject).having(score > 0).order_by(score.desc(), subject).limit(SIZE)
    )
    return [Placed(str(i), round(float(s), 2)) for i, s in rows.all()]


def _key(prefix: str, period: RankingPeriod, kind: RankingKind) -> str:
    return f"{prefix}:rankings:{period.value}:{kind.value}"


async def cache(redis: aioredis.Redis, prefix: str, rankings: list[Ranking]) -> None:
    """Put freshly computed (and committed) rankings where readers look first."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for r in rankings:
                pipe.set(_key(prefix, r.period, r.kind), _dump(r), ex=CACHE_TTL_S)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rankings not cached (readers use the database): %s", exc)


def _dump(r: Ranking) -> str:
    at = r.computed_at.isoformat() if r.computed_at else None
    return json.dumps({"at": at, "placed": [[p.subject_id, p.score] for p in r.placed]})


async def _stored(session: AsyncSession, period: RankingPeriod, kind: RankingKind) -> Ranking:
    rows = await session.exec(
        select(RankingEntry)
        .where(RankingEntry.period == period, RankingEntry.kind == kind)
        .order_by(col(RankingEntry.position))
    )
    entries = rows.all()
    at = entries[0].computed_at if entries else None
    return Ranking(period, kind, [Placed(e.subject_id, e.score) for e in entries], at)


async def current(
    session: AsyncSession,
    redis: aioredis.Redis,
    prefix: str,
    period: RankingPeriod,
    kind: RankingKind,
) -> Ranking:
    """The last computed ranking: from Redis, or the database when Redis has none."""
    try:
        raw = await redis.get(_key(prefix, period, kind))
    except (RedisError, OSError) as exc:
        log.warning("rankings read from the database, Redis unavailable: %s", exc)
        raw = None
    if raw is None:
        ranking = await _stored(session, period, kind)
        if ranking.computed_at is not None:
            await cache(redis, prefix, [ranking])
        return ranking
    data = json.loads(raw)
    at = datetime.fromisoformat(data["at"]) if data["at"] else None
    return Ranking(period, kind, [Placed(i, float(s)) for i, s in data["placed"]], at)


@dataclass
class RankedContent:
    card: Card
    score: float


@dataclass
class RankedCreator:
    creator: User
    score: float


async def contents(ranking: Ranking, session: AsyncSession) -> list[RankedContent]:
    """The ranked contents that are still published, in their order."""
    cards = await load(session, [p.subject_id for p in ranking.placed])
    return [
        RankedContent(cards[p.subject_id], p.score) for p in ranking.placed if p.subject_id in cards
    ]


async def creators(ranking: Ranking, session: AsyncSession) -> list[RankedCreator]:
    """The ranked creators that are still public creators, in their order."""
    ids = [p.subject_id for p in ranking.placed]
    if not ids:
        return []
    found = {u.id: u for u in (await session.exec(select(User).where(col(User.id).in_(ids)))).all()}
    return [
        RankedCreator(found[p.subject_id], p.score)
        for p in ranking.placed
        if accounts.is_public_creator(found.get(p.subject_id))
    ]
