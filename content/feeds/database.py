"""Feeds straight from the database: the fallback while Redis is down or was emptied (slower,
still correct), with the same cursors as the Redis path so paging can cross between them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import and_, col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from content.feeds.cards import Card, published_cards_query
from content.feeds.cursors import Position, after_pin, from_micros, micros, pin_position
from content.feeds.keys import Tab
from content.feeds.pins import is_pinned, pinned_clause
from content.models import (
    Content,
    ContentAudience,
    ContentStats,
    ContentTopic,
    Follow,
    Revision,
    User,
)
from infra.clock import utcnow

_Cards = Select[Content, Revision, User, ContentStats]


async def page(
    session: AsyncSession,
    tab: Tab,
    *,
    topic: str | None,
    audience: str | None,
    after: Position | None,
    limit: int,
    follower_id: str | None = None,
) -> list[tuple[Card, Position]]:
    """Up to ``limit + 1`` cards after ``after``, each with its position: the pins still to
    show, then the feed's order (the caller cuts the page and learns whether more follow)."""
    now = utcnow()
    base = _in_scope(published_cards_query(), topic, audience)
    lead: list[tuple[Card, Position]] = []
    if tab == Tab.latest:
        if after is None or after.pinned:
            pins = [(c, pin_position(c.content)) for c in await _pinned(session, base, now)]
            lead = [(c, p) for c, p in pins if after_pin(p, after)][: limit + 1]
        # Pinned items lead the first pages and stay out of the order below until they expire.
        base = base.where(~pinned_clause(now))
    room = limit + 1 - len(lead)
    if room <= 0:
        return lead
    if tab == Tab.following:
        followed = select(Follow.creator_id).where(Follow.follower_id == follower_id)
        base = base.where(col(Content.owner_id).in_(followed))
    below = None if after is None or after.pinned else after
    found = (await session.exec(_in_order_after(base, tab, below).limit(room))).all()
    cards = [Card(c, r, u, is_pinned(c.pinned_until, now), s) for c, r, u, s in found]
    return lead + [(c, position(tab, c)) for c in cards]


def _in_scope(base: _Cards, topic: str | None, audience: str | None) -> _Cards:
    if topic:
        base = base.join(ContentTopic, col(ContentTopic.content_id) == col(Content.id)).where(
            ContentTopic.topic_slug == topic
        )
    if audience:
        base = base.join(ContentAudience, col(ContentAudience.content_id) == col(Content.id)).where(
            ContentAudience.audience_slug == audience
        )
    return base


async def _pinned(session: AsyncSession, base: _Cards, now: datetime) -> list[Card]:
    """Pinned cards, the longest pinned first."""
    rows = await session.exec(
        base.where(pinned_clause(now)).order_by(col(Content.pinned_until).desc(), col(Content.id))
    )
    return [Card(c, r, u, True, s) for c, r, u, s in rows.all()]


def _in_order_after(base: _Cards, tab: Tab, after: Position | None) -> _Cards:
    """The tab's order (hot by score, the others newest first), after the cursor's position."""
    if tab == Tab.hot:
        score = func.coalesce(col(ContentStats.hot_score), 0.0)
        query = base.order_by(score.desc(), col(Content.id).desc())
        if after is not None:
            query = query.where(
                or_(score < after.score, and_(score == after.score, col(Content.id) < after.id))
            )
        return query
    query = base.order_by(col(Content.published_at).desc(), col(Content.id).desc())
    if after is not None:
        when = from_micros(after.score)
        query = query.where(
            or_(
                col(Content.published_at) < when,
                and_(col(Content.published_at) == when, col(Content.id) < after.id),
            )
        )
    return query


def position(tab: Tab, card: Card) -> Position:
    if tab == Tab.hot:
        return Position(card.stats.hot_score if card.stats else 0.0, card.content.id)
    assert card.content.published_at is not None
    return Position(micros(card.content.published_at), card.content.id)
