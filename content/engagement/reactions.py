"""Likes, favourites and follows: database rows whose keys make them idempotent, with counters
that change in the same transaction (so they stay exact however many requests race)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts, effects, feeds
from content.errors import Invalid, NotFound
from content.feeds import hot_score
from content.models import Content, ContentStats, Follow, Reaction, ReactionKind, User
from content.review import is_public
from infra.clock import utcnow
from infra.upsert import insert_for


async def published(session: AsyncSession, content_id: str) -> Content:
    """The content, if the public may see it now: taken-down or draft content is 404."""
    content = await session.get(Content, content_id)
    if content is None or not is_public(content):
        raise NotFound("no such content", code="content.not_found")
    return content


async def bump(session: AsyncSession, content: Content, **deltas: int | float) -> ContentStats:
    """Add ``deltas`` to a content's counters atomically and re-rank it; returns the counters."""
    table = ContentStats.__table__  # type: ignore[attr-defined]
    stmt = insert_for(session, ContentStats).values(content_id=content.id, **deltas)
    stmt = stmt.on_conflict_do_update(
        index_elements=["content_id"],
        set_={name: table.c[name] + value for name, value in deltas.items()}
        | {"updated_at": utcnow()},
    )
    await session.exec(stmt)
    stats = (
        await session.exec(
            select(ContentStats)
            .where(ContentStats.content_id == content.id)
            .execution_options(populate_existing=True)
        )
    ).one()
    assert content.published_at is not None
    stats.hot_score = hot_score(stats, content.published_at)
    await session.exec(
        sa.update(ContentStats)
        .where(col(ContentStats.content_id) == content.id)
        .values(hot_score=stats.hot_score)
    )
    # The hot rank in Redis follows after the commit; cached pages pick up counters within
    # their short life, so a like does not invalidate every process's pages.
    effects.sync_feeds(session, content.id, invalidate=False)
    return stats


async def react(
    session: AsyncSession, user: User, content_id: str, kind: ReactionKind, on: bool
) -> ContentStats:
    """Like/favourite (``on``) or take it back; repeating either changes nothing."""
    content = await published(session, content_id)
    if on:
        stmt = insert_for(session, Reaction).values(
            user_id=user.id, content_id=content.id, kind=kind, created_at=utcnow()
        )
        result = await session.exec(stmt.on_conflict_do_nothing())
    else:
        result = await session.exec(
            sa.delete(Reaction).where(
                col(Reaction.user_id) == user.id,
                col(Reaction.content_id) == content.id,
                col(Reaction.kind) == kind,
            )
        )
    changed = result.rowcount == 1
    field = f"{kind.value}s"
    if changed:
        return await bump(session, content, **{field: 1 if on else -1})
    stats = await feeds.stats_of(session, content.id)
    return stats or ContentStats(content_id=content.id)


async def mine(session: AsyncSession, user: User, content_ids: list[str]) -> dict[str, set[str]]:
    """What ``user`` did to each of ``content_ids``: the kinds of their reactions."""
    out: dict[str, set[str]] = {i: set() for i in content_ids}
    if content_ids:
        rows = await session.exec(
            select(Reaction.content_id, Reaction.kind).where(
                Reaction.user_id == user.id, col(Reaction.content_id).in_(content_ids)
            )
        )
        for content_id, kind in rows.all():
            out[content_id].add(ReactionKind(kind).value)
    return out


async def follow(session: AsyncSession, user: User, creator_id: str, on: bool) -> int:
    """Follow (``on``) or unfollow a creator; idempotent. Returns their follower count.

    Anyone who is not an active creator — a staff account, a viewer, an id that never existed —
    gets the one answer, 404 ``user.not_found``: telling them apart would let anyone signed in
    probe which ids are staff. Unfollowing someone you follow works even after they stopped
    being a creator."""
    target = await session.get(User, creator_id)
    followable = accounts.is_public_creator(target)
    if on:
        if creator_id == user.id:
            raise Invalid("you cannot follow yourself", field="id", code="follow.self")
        if not followable:
            raise accounts.no_such_creator()
        stmt = insert_for(session, Follow).values(
            follower_id=user.id, creator_id=creator_id, created_at=utcnow()
        )
        await session.exec(stmt.on_conflict_do_nothing())
    else:
        removed = await session.exec(
            sa.delete(Follow).where(
                col(Follow.follower_id) == user.id, col(Follow.creator_id) == creator_id
            )
        )
        if not removed.rowcount and not followable:
            raise accounts.no_such_creator()
    effects.following_changed(session, user.id)
    count = await session.exec(
        select(func.count()).select_from(Follow).where(Follow.creator_id == creator_id)
    )
    return int(count.one())
