"""The rollup job's work: one stats day of raw records (the daily view records, likes,
favourites and shares by when they were given, the review event log) summed into the rollup
tables. A day is replaced whole, so rolling it up again gives the same rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import (
    Action,
    Content,
    ContentType,
    Reaction,
    ReactionKind,
    ReviewEvent,
    Revision,
    Share,
    Stage,
    StatsContentDay,
    StatsReviewDay,
    StatsSegmentDay,
    ViewDay,
)
from content.stats.days import bounds

METRICS = ("views", "viewers", "completions", "watched_s", "likes", "favorites", "shares")
# What ends a stage: the machine's verdict or a reviewer's decision.
STAGE_ENDS = frozenset(
    {Action.pass_, Action.block, Action.approve, Action.reject, Action.request_changes}
)


async def _content_rows(session: AsyncSession, day: date) -> dict[str, dict[str, float]]:
    start, end = bounds(day)
    rows: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(METRICS, 0))
    for v in (await session.exec(select(ViewDay).where(ViewDay.day == day))).all():
        row = rows[v.content_id]
        row.update(views=v.views, viewers=v.viewers, completions=v.completions)
        row["watched_s"] = v.watched_s
    reactions = await session.exec(
        select(Reaction.content_id, Reaction.kind, func.count())
        .where(col(Reaction.created_at) >= start, col(Reaction.created_at) < end)
        .group_by(col(Reaction.content_id), col(Reaction.kind))
    )
    for content_id, kind, n in reactions.all():
        rows[content_id][f"{ReactionKind(kind).value}s"] = int(n)
    shares = await session.exec(
        select(Share.content_id, func.count())
        .where(col(Share.created_at) >= start, col(Share.created_at) < end)
        .group_by(col(Share.content_id))
    )
    for content_id, n in shares.all():
        rows[content_id]["shares"] = int(n)
    return rows


async def _describe(session: AsyncSession, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """owner, type, topics and audiences of each content (of its live revision, else its
    newest: a taken-down content keeps the topics it was counted under)."""
    out: dict[str, tuple[Any, ...]] = {}
    revision_id = sa.func.coalesce(col(Content.live_revision_id), col(Content.working_revision_id))
    for i in range(0, len(ids), 500):
        rows = await session.exec(
            select(  # type: ignore[call-overload]
                Content.id, Content.owner_id, Content.type, Revision.topics, Revision.audiences
            )
            .join(Revision, col(Revision.id) == revision_id, isouter=True)
            .where(col(Content.id).in_(ids[i : i + 500]))
        )
        for cid, owner, ctype, topics, audiences in rows.all():
            out[cid] = (owner, ContentType(ctype), topics or [], audiences or [])
    return out


def _segments(
    day: date, rows: dict[str, dict[str, float]], about: dict[str, tuple[Any, ...]]
) -> list[dict[str, Any]]:
    sums: dict[tuple[str, str, str], dict[str, float]] = {}
    for cid, values in rows.items():
        _, ctype, topics, audiences = about[cid]
        keys = [(t, a, "") for t in topics or [""] for a in audiences or [""]]
        for key in [*dict.fromkeys(keys), ("", "", ctype.value)]:
            total = sums.setdefault(key, dict.fromkeys(("contents", *METRICS), 0))
            total["contents"] += 1
            for name in METRICS:
                total[name] += values[name]
    return [
        {"day": day, "topic": t, "audience": a, "type": ty, **v} for (t, a, ty), v in sums.items()
    ]


_REVIEW_SUMS = ("decisions", "in_stage_s", "in_stage_max_s", "since_submit_s", "since_submit_max_s")


async def _review_rows(session: AsyncSession, day: date) -> list[dict[str, Any]]:
    start, end = bounds(day)
    decided = (
        await session.exec(
            select(ReviewEvent).where(
                col(ReviewEvent.created_at) >= start,
                col(ReviewEvent.created_at) < end,
                col(ReviewEvent.action).in_(list(STAGE_ENDS)),
                col(ReviewEvent.stage).is_not(None),
            )
        )
    ).all()
    revisions = sorted({e.revision_id for e in decided if e.revision_id})
    history: dict[str, list[ReviewEvent]] = defaultdict(list)
    for i in range(0, len(revisions), 500):
        earlier = await session.exec(
            select(ReviewEvent)
            .where(
                col(ReviewEvent.revision_id).in_(revisions[i : i + 500]),
                col(ReviewEvent.created_at) < end,
            )
            .order_by(col(ReviewEvent.created_at), col(ReviewEvent.id))
        )
        for e in earlier.all():
            history[e.revision_id or ""].append(e)
    sums: dict[tuple[Stage, Action], dict[str, float]] = {}
    for e in decided:
        before = [
            h for h in history[e.revision_id or ""] if (h.created_at, h.id) < (e.created_at, e.id)
        ]
        entered = before[-1].created_at if before else e.created_at
        submits = [h.created_at for h in before if h.action == Action.submit]
        submitted = submits[-1] if submits else entered
        in_stage = max(0.0, (e.created_at - entered).total_seconds())
        since = max(0.0, (e.created_at - submitted).total_seconds())
        assert e.stage is not None
        s = sums.setdefault((e.stage, e.action), dict.fromkeys(_REVIEW_SUMS, 0.0))
        s["decisions"] += 1
        s["in_stage_s"] += in_stage
        s["in_stage_max_s"] = max(s["in_stage_max_s"], in_stage)
        s["since_submit_s"] += since
        s["since_submit_max_s"] = max(s["since_submit_max_s"], since)
    return [
        {"day": day, "stage": stage, "action": action, **v, "decisions": int(v["decisions"])}
        for (stage, action), v in sums.items()
    ]


async def roll_up(session: AsyncSession, day: date) -> int:
    """Replace the rollups of ``day`` with sums of its raw records; returns the contents with
    activity that day."""
    rows = await _content_rows(session, day)
    about = await _describe(session, sorted(rows))
    rows = {cid: v for cid, v in rows.items() if cid in about}
    content_rows = [
        {"day": day, "content_id": cid, "owner_id": about[cid][0], "type": about[cid][1], **v}
        for cid, v in sorted(rows.items())
    ]
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (StatsContentDay, content_rows),
        (StatsSegmentDay, _segments(day, rows, about)),
        (StatsReviewDay, await _review_rows(session, day)),
    ]
    for table, new_rows in tables:
        await session.exec(sa.delete(table).where(col(table.day) == day))
        if new_rows:
            await session.exec(sa.insert(table), params=new_rows)
    return len(content_rows)
