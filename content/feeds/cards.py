"""What a card shows, loaded for many contents in one query (never one query per card)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from content.feeds.pins import is_pinned
from content.models import Content, ContentStats, ContentStatus, Revision, User
from infra.clock import utcnow


@dataclass
class Card:
    content: Content
    revision: Revision
    author: User
    pinned: bool
    stats: ContentStats | None = None

    def in_scope(self, topic: str | None, audience: str | None) -> bool:
        return (not topic or topic in self.revision.topics) and (
            not audience or audience in self.revision.audiences
        )


def published_cards_query() -> Select[Content, Revision, User, ContentStats]:
    """Published contents with their live revision, author and counters."""
    return (
        select(Content, Revision, User, ContentStats)
        .join(Revision, col(Revision.id) == col(Content.live_revision_id))
        .join(User, col(User.id) == col(Content.owner_id))
        .join(ContentStats, col(ContentStats.content_id) == col(Content.id), isouter=True)
        .where(Content.status == ContentStatus.published)
    )


async def load(session: AsyncSession, ids: Iterable[str]) -> dict[str, Card]:
    """Cards of those ``ids`` that are published now (taken down or unknown ones are left out)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    now = utcnow()
    rows = await session.exec(published_cards_query().where(col(Content.id).in_(wanted)))
    return {c.id: Card(c, r, u, is_pinned(c.pinned_until, now), s) for c, r, u, s in rows.all()}


async def stats_of(session: AsyncSession, content_id: str) -> ContentStats | None:
    return await session.get(ContentStats, content_id)
