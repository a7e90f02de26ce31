"""What a person keeps: the contents they favourited or liked, the creators they follow, and a
creator's published contents. Each page is one query (cards with their author and counters),
newest first by when it happened, only what is still published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts
from content.feeds import Card, is_pinned, published_cards_query
from content.kit import Mark, page_by_time
from content.models import Content, Follow, Reaction, ReactionKind, User
from infra.clock import utcnow


@dataclass
class Followed:
    creator: User
    followers: int
    published: int


def _cards(rows: list[Any]) -> list[Card]:
    """Cards of rows that start as ``published_cards_query`` makes them."""
    now = utcnow()
    return [Card(c, r, u, is_pinned(c.pinned_until, now), s) for c, r, u, s, *_ in rows]


async def reacted(
    session: AsyncSession, user: User, kind: ReactionKind, cursor: str | None, limit: int
) -> tuple[list[Card], str | None]:
    """The still-published contents ``user`` liked or favourited, most recent first."""
    query = (
        published_cards_query()
        .add_columns(col(Reaction.created_at))
        .join(Reaction, col(Reaction.content_id) == col(Content.id))
        .where(col(Reaction.user_id) == user.id, col(Reaction.kind) == kind)
    )
    rows, next_cursor = await page_by_time(
        session,
        query,
        col(Reaction.created_at),
        col(Reaction.content_id),
        cursor,
        limit,
        key=lambda row: Mark(row[4], row[0].id),
    )
    return _cards(rows), next_cursor


async def creator_contents(
    session: AsyncSession, creator_id: str, cursor: str | None, limit: int
) -> tuple[list[Card], str | None]:
    """A creator's published contents, newest first (404 ``user.not_found`` for anyone who is
    not a public creator)."""
    await accounts.public_creator(session, creator_id)
    query = published_cards_query().where(Content.owner_id == creator_id)
    rows, next_cursor = await page_by_time(
        session,
        query,
        col(Content.published_at),  # type: ignore[arg-type]  # published: never NULL
        col(Content.id),
        cursor,
        limit,
        key=lambda row: Mark(row[0].published_at or utcnow(), row[0].id),
    )
    return _cards(rows), next_cursor


async def following(
    session: AsyncSession, user: User, cursor: str | None, limit: int
) -> tuple[list[Followed], str | None]:
    """The creators ``user`` follows, most recently followed first, with their counts; creators
    who are no longer public are left out."""
    creator = aliased(User)
    query = (
        select(
            creator,
            accounts.followers_of(col(creator.id)),
            accounts.published_by(col(creator.id)),
            col(Follow.created_at),
        )
        .join(Follow, col(Follow.creator_id) == col(creator.id))
        .where(Follow.follower_id == user.id, col(creator.is_active).is_(True))
    )
    rows, next_cursor = await page_by_time(
        session,
        query,
        col(Follow.created_at),
        col(Follow.creator_id),
        cursor,
        limit,
        key=lambda row: Mark(row[3], row[0].id),
    )
    found = [Followed(u, int(n), int(p)) for u, n, p, _ in rows if accounts.is_public_creator(u)]
    return found, next_cursor
