"""What a card shows, loaded for many contents in one query (never one query per card)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from content.feeds.pins import is_pinned
from content.models import Content, ContentStats, ContentStatus, Revision, User
from infra.clock import utcnow


class Orientation(StrEnum):
    """How a video is shown, so a UI can lay out its card before the first frame arrives."""

    landscape = "landscape"
    portrait = "portrait"
    square = "square"


def orientation(width: int | None, height: int | None) -> Orientation | None:
    """A video's orientation from its display size (a phone's rotation already applied); None
    while its media is not ready."""
    if not width or not height:
        return None
    if width == height:
        return Orientation.square
    return Orientation.landscape if width > height else Orientation.portrait


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
