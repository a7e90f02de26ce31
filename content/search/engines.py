"""The two engines behind one interface: SQLite's FTS5 and PostgreSQL's tsvector. Each writes a
document's words, deletes them, and ranks the published contents matching a query's words.
Words are passed as bound values, never spliced into SQL or into an FTS expression unquoted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import ContentStatus, ContentType
from infra.clock import utcnow
from infra.dbtypes import UtcDateTime


@dataclass(frozen=True)
class Words:
    """A document's words by field, each joined by spaces."""

    title: str
    summary: str
    body: str


@dataclass(frozen=True)
class Ranked:
    content_id: str
    score: float
    published_at: datetime


@dataclass(frozen=True)
class After:
    """Where the previous page stopped, in (score desc, published_at desc, id desc)."""

    score: float
    published_at: datetime
    content_id: str


async def _run(
    session: AsyncSession, statement: sa.Executable, params: dict[str, Any]
) -> sa.CursorResult[Any]:
    """Textual SQL on the session's own transaction (SQLModel's ``exec`` takes no text)."""
    connection = await session.connection()
    return await connection.execute(statement, params)


def dialect(session: AsyncSession) -> str:
    bind = session.bind
    return bind.dialect.name if bind is not None else "postgresql"


async def write(session: AsyncSession, content_id: str, revision_id: str, words: Words) -> None:
    """Index (or re-index) one content under its live revision's words."""
    now = sa.bindparam("now", type_=UtcDateTime())
    params: dict[str, Any] = {
        "content_id": content_id,
        "revision_id": revision_id,
        "title": words.title,
        "summary": words.summary,
        "body": words.body,
        "now": utcnow(),
    }
    if dialect(session) == "postgresql":
        await _run(
            session,
            sa.text(
                "INSERT INTO searchdocument (content_id, revision_id, words, indexed_at) VALUES "
                "(:content_id, :revision_id,"
                " setweight(to_tsvector('simple', :title), 'A')"
                " || setweight(to_tsvector('simple', :summary), 'B')"
                " || setweight(to_tsvector('simple', :body), 'C'), :now) "
                "ON CONFLICT (content_id) DO UPDATE SET revision_id = excluded.revision_id,"
                " words = excluded.words, indexed_at = excluded.indexed_at"
            ).bindparams(now),
            params,
        )
        return
    row = await _run(
        session,
        sa.text(
            "INSERT INTO searchdocument (content_id, revision_id, indexed_at) "
            "VALUES (:content_id, :revision_id, :now) "
            "ON CONFLICT (content_id) DO UPDATE SET revision_id = excluded.revision_id,"
            " indexed_at = excluded.indexed_at RETURNING id"
        ).bindparams(now),
        params,
    )
    doc = row.scalar_one()
    await _run(session, sa.text("DELETE FROM searchfts WHERE rowid = :doc"), {"doc": doc})
    await _run(
        session,
        sa.text(
            "INSERT INTO searchfts (rowid, title, summary, body) "
            "VALUES (:doc, :title, :summary, :body)"
        ),
        params | {"doc": doc},
    )


async def delete(session: AsyncSession, content_ids: list[str]) -> None:
    """Forget these contents: the next search no longer finds them."""
    if not content_ids:
        return
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    found = await _run(
        session,
        sa.text("DELETE FROM searchdocument WHERE content_id IN :ids RETURNING id").bindparams(ids),
        {"ids": content_ids},
    )
    docs = list(found.scalars().all())
    if docs and dialect(session) == "sqlite":
        await _run(
            session,
            sa.text("DELETE FROM searchfts WHERE rowid IN :docs").bindparams(
                sa.bindparam("docs", expanding=True)
            ),
            {"docs": docs},
        )


def _fts_match(words: list[str]) -> str:
    """An FTS5 expression asking for every word as a literal string (quotes doubled)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


async def rank(
    session: AsyncSession,
    words: list[str],
    *,
    topic: str | None,
    type_: ContentType | None,
    after: After | None,
    limit: int,
) -> list[Ranked]:
    """Up to ``limit`` published contents holding every one of ``words``, best first (score,
    then the most recently published, then id), strictly after ``after``."""
    params: dict[str, Any] = {"published": ContentStatus.published.name, "limit": limit}
    filters = ""
    if type_ is not None:
        filters += " AND c.type = :type"
        params["type"] = type_.name
    if topic is not None:
        filters += (
            " AND EXISTS (SELECT 1 FROM contenttopic t"
            " WHERE t.content_id = c.id AND t.topic_slug = :topic)"
        )
        params["topic"] = topic
    # Scores weigh title > summary > body and depend on the document alone (not on what else
    # is indexed), so a cursor's score still means the same place on the next page.
    # PostgreSQL: ts_rank with the weights {D, C, B, A}, the title as A, summary B, body C; a
    # word once in the title outranks it any number of times in the body (ts_rank bounds a
    # field's share by its weight). SQLite: which fields hold a query word, 4 for the title,
    # 2 for the summary, 1 for the body; bm25 restricted to one column is below zero exactly
    # when the column holds one (its size depends on the whole index; its sign does not).
    if dialect(session) == "postgresql":
        params["words"] = " ".join(words)
        inner = (
            "SELECT d.content_id AS id, c.published_at AS published_at,"
            " CAST(ts_rank('{0.05, 0.1, 0.3, 1.0}', d.words, q.query) AS float8) AS score"
            " FROM searchdocument d JOIN content c ON c.id = d.content_id,"
            " plainto_tsquery('simple', :words) AS q(query)"
            " WHERE d.words @@ q.query AND c.status = :published"
        )
    else:
        params["match"] = _fts_match(words)
        inner = (
            "SELECT d.content_id AS id, c.published_at AS published_at,"
            " 4 * (bm25(searchfts, 1.0, 0.0, 0.0) < 0) + 2 * (bm25(searchfts, 0.0, 1.0, 0.0) < 0)"
            " + (bm25(searchfts, 0.0, 0.0, 1.0) < 0) AS score"
            " FROM searchfts JOIN searchdocument d ON d.id = searchfts.rowid"
            " JOIN content c ON c.id = d.content_id"
            " WHERE searchfts MATCH :match AND c.status = :published"
        )
    where = ""
    binds = [sa.bindparam("at", type_=UtcDateTime())] if after else []
    if after is not None:
        where = (
            " WHERE score < :score OR (score = :score AND (published_at < :at"
            " OR (published_at = :at AND id < :after_id)))"
        )
        params |= {"score": after.score, "at": after.published_at, "after_id": after.content_id}
    sql = (
        f"SELECT id, score, published_at FROM ({inner}{filters}) AS hits{where}"  # noqa: S608 (fixed fragments; values are bound)
        " ORDER BY score DESC, published_at DESC, id DESC LIMIT :limit"
    )
    query = sa.text(sql).bindparams(*binds).columns(
        sa.column("id", sa.String), sa.column("score", sa.Float),
        sa.column("published_at", UtcDateTime()),
    )  # fmt: skip
    rows = await _run(session, query, params)
    return [Ranked(r.id, float(r.score), r.published_at) for r in rows.all()]
