"""Keeping the index in step with publication: a content is indexed in the transaction that
publishes it (or makes a new revision live) and removed in the one that takes it off, so the
next search after the commit already agrees; `rebuild` makes the whole index again."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import Content, ContentStatus, Media, Revision, SearchDocument
from content.search import engines
from content.search.text import searchable_text
from content.search.words import index_words
from infra.clock import utcnow

REBUILD_CHUNK = 500


def _joined(text: str) -> str:
    return " ".join(index_words(text))


def _document(
    content_id: str, revision: Revision, published_at: datetime, media: dict[str, Media]
) -> engines.Document:
    text = searchable_text(revision, media)
    words = engines.Words(_joined(text.title), _joined(text.summary), _joined(text.body))
    return engines.Document(content_id, revision.id, published_at, words)


async def index(
    session: AsyncSession, content_id: str, revision: Revision, published_at: datetime
) -> None:
    """Make ``revision``'s text what search finds ``content_id`` (published at
    ``published_at``) by."""
    media = await _media_of(session, [revision])
    await engines.write(session, [_document(content_id, revision, published_at, media)])


async def _media_of(session: AsyncSession, revisions: Iterable[Revision]) -> dict[str, Media]:
    """The rows of the revisions' videos and covers, by id, in one query: the text read off
    them is indexed too."""
    ids = {m for r in revisions for m in (r.media_id, r.cover_media_id) if m}
    if not ids:
        return {}
    rows = await session.exec(select(Media).where(col(Media.id).in_(ids)))
    return {m.id: m for m in rows.all()}


async def remove(session: AsyncSession, content_id: str) -> None:
    """Search no longer finds ``content_id`` (taken down, withdrawn)."""
    await engines.delete(session, [content_id])


async def rebuild(
    sessions: Callable[[], AsyncSession],
    progress: Callable[[int, int], object] = lambda done, total: None,
) -> int:
    """Index every published content again from its live revision, each chunk in its own
    transaction, and forget documents of contents no longer published. Returns how many were
    indexed; ``progress(done, total)`` after each chunk."""
    async with sessions() as session:
        stale = (
            await session.exec(
                select(SearchDocument.content_id)
                .join(Content, col(Content.id) == col(SearchDocument.content_id))
                .where(
                    sa.or_(
                        col(Content.status) != ContentStatus.published,
                        col(Content.live_revision_id).is_(None),
                    )
                )
            )
        ).all()
        await engines.delete(session, list(stale))
        ids = (
            await session.exec(
                select(Content.id)
                .where(
                    col(Content.status) == ContentStatus.published,
                    col(Content.live_revision_id).is_not(None),
                )
                .order_by(col(Content.id))
            )
        ).all()
        await session.commit()
    total = len(ids)
    progress(0, total)
    for start in range(0, total, REBUILD_CHUNK):
        chunk = ids[start : start + REBUILD_CHUNK]
        async with sessions() as session:
            rows = await session.exec(
                select(Content.id, Content.published_at, Revision)
                .join(Revision, col(Revision.id) == col(Content.live_revision_id))
                .where(col(Content.id).in_(chunk), col(Content.status) == ContentStatus.published)
            )
            found = rows.all()
            media = await _media_of(session, [revision for _, _, revision in found])
            documents = [
                _document(content_id, revision, published_at or utcnow(), media)
                for content_id, published_at, revision in found
            ]
            await engines.write(session, documents)
            await session.commit()
        progress(min(start + REBUILD_CHUNK, total), total)
    return total
