"""A search: the query's words, the ranked page of published contents holding them all, loaded
as feed cards in one query, each with a snippet; cursors over the ranked list."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from content import feeds
from content.errors import Invalid
from content.models import ContentType, Topic
from content.search import engines
from content.search.snippets import snippet
from content.search.text import body_text
from content.search.words import query_words

MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class Hit:
    card: feeds.Card
    snippet: str


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None


def _encode(at: engines.After) -> str:
    raw = json.dumps(
        [at.score, at.published_at.isoformat(), at.content_id], separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> engines.After:
    bad = Invalid("cursor is not one this API gave out", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, at, content_id = json.loads(raw)
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise bad from exc
    if (
        not isinstance(score, int | float)
        or isinstance(score, bool)
        or not math.isfinite(score)
        or when.tzinfo is None
        or not isinstance(content_id, str)
        or not 0 < len(content_id) <= 64
    ):
        raise bad
    try:
        when = when.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # a time no UTC datetime holds
        raise bad from exc
    return engines.After(float(score), when, content_id)


async def search(
    session: AsyncSession,
    q: str,
    *,
    topic: str | None = None,
    type_: ContentType | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> SearchPage:
    """Published contents holding every word of ``q``, best first. A query longer than
    ``MAX_QUERY_CHARS`` is refused (naming ``q``); one without words finds nothing."""
    if len(q) > MAX_QUERY_CHARS:
        raise Invalid(f"q: at most {MAX_QUERY_CHARS} characters", field="q")
    after = _decode(cursor) if cursor else None
    if topic is not None and ("\x00" in topic or await session.get(Topic, topic) is None):
        raise Invalid(f"unknown topic: {topic}; GET /api/v1/topics lists them", field="topic")
    words = query_words(q)
    if not words:
        return SearchPage([], None)
    ranked = await engines.rank(
        session, words, topic=topic, type_=type_, after=after, limit=limit + 1
    )
    more = len(ranked) > limit
    ranked = ranked[:limit]
    cards = await feeds.load(session, [r.content_id for r in ranked])
    hits = [
        Hit(card, snippet(words, body_text(card.revision), card.revision.summary,
                          card.revision.title))
        for r in ranked
        if (card := cards.get(r.content_id)) is not None
    ]  # fmt: skip
    last = ranked[-1] if more and ranked else None
    at = engines.After(last.score, last.published_at, last.content_id) if last else None
    return SearchPage(hits, _encode(at) if at else None)
