"""Feeds of published content. This first version reads the database; the Redis sorted-set
cache comes on top of it and this stays the fallback when Redis is down."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Invalid
from content.models import Content, ContentAudience, ContentStatus, ContentTopic, Revision, User
from infra.clock import utcnow

TABS = ("latest",)


@dataclass
class Card:
    content: Content
    revision: Revision
    author: User
    pinned: bool


def encode_cursor(published_at: datetime, content_id: str) -> str:
    raw = json.dumps([published_at.isoformat(), content_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when_text, content_id = json.loads(raw)
        when = datetime.fromisoformat(when_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not one this API gave out", field="cursor") from exc
    if when.tzinfo is None:
        raise Invalid("cursor is not one this API gave out", field="cursor")
    return when, str(content_id)


async def latest(
    session: AsyncSession,
    *,
    topic: str | None,
    audience: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Card], str | None]:
    now = utcnow()
    base = (
        select(Content, Revision, User)
        .join(Revision, col(Revision.id) == col(Content.live_revision_id))
        .join(User, col(User.id) == col(Content.owner_id))
        .where(Content.status == ContentStatus.published)
    )
    if topic:
        base = base.join(ContentTopic, col(ContentTopic.content_id) == col(Content.id)).where(
            ContentTopic.topic_slug == topic
        )
    if audience:
        base = base.join(ContentAudience, col(ContentAudience.content_id) == col(Content.id)).where(
            ContentAudience.audience_slug == audience
        )
    is_pinned = and_(col(Content.pinned_until).is_not(None), col(Content.pinned_until) > now)
    cards: list[Card] = []
    if cursor is None:
        pinned = await session.exec(
            base.where(is_pinned).order_by(col(Content.pinned_until).desc(), col(Content.id))
        )
        cards = [Card(c, r, u, True) for c, r, u in pinned.all()]
    query = base.where(~is_pinned).order_by(
        col(Content.published_at).desc(), col(Content.id).desc()
    )
    if cursor is not None:
        when, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Content.published_at) < when,
                and_(col(Content.published_at) == when, col(Content.id) < last_id),
            )
        )
    rows = (await session.exec(query.limit(limit + 1))).all()
    page = [Card(c, r, u, False) for c, r, u in rows[:limit]]
    next_cursor = None
    if len(rows) > limit and page:
        last = page[-1].content
        assert last.published_at is not None
        next_cursor = encode_cursor(last.published_at, last.id)
    return cards + page, next_cursor
