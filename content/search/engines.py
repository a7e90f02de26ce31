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

# How many of a query's matches are ranked: the most recently published ones (see `rank`).
MAX_RANKED = 500


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
    session: AsyncSession,
    statement: sa.Executable,
    params: dict[str, Any] | list[dict[str, Any]],
) -> sa.CursorResult[Any]:
    """Textual SQL on the session's own transaction (SQLModel's ``exec`` takes no text)."""
    connection = await session.connection()
    return await connection.execute(statement, params)


def dialect(session: AsyncSession) -> str:
    bind = session.bind
    return bind.dialect.name if bind is not None else "postgresql"


@dataclass(frozen=True)
class Document:
    """One content to index: its id, the live revision's id and that revision's words."""

    content_id: str
    revision_id: str
    published_at: datetime
    words: Words


async def write(session: AsyncSession, documents: list[Document]) -> None:
    """Index (or re-index) these contents under their live revisions' words, a few statements
    for all of them."""
    if not documents:
        return
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "content_id": d.content_id,
            "revision_id": d.revision_id,
            "title": d.words.title,
            "summary": d.words.summary,
            "body": d.words.body,
            "published_at": d.published_at,
            "now": now,
        }
        for d in documents
    ]
    if dialect(session) == "postgresql":
        await _run(session, _PG_UPSERT, rows)
    else:
        await _run(session, _SQLITE_UPSERT, rows)
        await _write_fts(session, rows)


_STAMPS = (
    sa.bindparam("now", type_=UtcDateTime()),
    sa.bindparam("published_at", type_=UtcDateTime()),
)
# PostgreSQL: the words as weighted vectors in the row itself (`head`: title and summary only).
_PG_UPSERT = sa.text(
    "INSERT INTO searchdocument"
    " (content_id, revision_id, words, head, published_at, indexed_at) VALUES"
    " (:content_id, :revision_id,"
    " setweight(to_tsvector('simple', :title), 'A')"
    " || setweight(to_tsvector('simple', :summary), 'B')"
    " || setweight(to_tsvector('simple', :body), 'C'),"
    " setweight(to_tsvector('simple', :title), 'A')"
    " || setweight(to_tsvector('simple', :summary), 'B'), :published_at, :now)"
    " ON CONFLICT (content_id) DO UPDATE SET revision_id = excluded.revision_id,"
    " words = excluded.words, head = excluded.head,"
    " published_at = excluded.published_at, indexed_at = excluded.indexed_at"
).bindparams(*_STAMPS)
# SQLite: the row, then its words in the FTS5 table under the row's id.
_SQLITE_UPSERT = sa.text(
    "INSERT INTO searchdocument (content_id, revision_id, published_at, indexed_at) "
    "VALUES (:content_id, :revision_id, :published_at, :now) "
    "ON CONFLICT (content_id) DO UPDATE SET revision_id = excluded.revision_id,"
    " published_at = excluded.published_at, indexed_at = excluded.indexed_at"
).bindparams(*_STAMPS)


async def _write_fts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Replace the FTS5 words of the documents just written."""
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    found = await _run(
        session,
        sa.text("SELECT content_id, id FROM searchdocument WHERE content_id IN :ids").bindparams(
            ids
        ),
        {"ids": [row["content_id"] for row in rows]},
    )
    doc_of: dict[str, int] = {row.content_id: row.id for row in found.all()}
    docs: sa.BindParameter[list[int]] = sa.bindparam("docs", expanding=True)
    await _run(
        session,
        sa.text("DELETE FROM searchfts WHERE rowid IN :docs").bindparams(docs),
        {"docs": list(doc_of.values())},
    )
    await _run(
        session,
        sa.text(
            "INSERT INTO searchfts (rowid, title, summary, body) "
            "VALUES (:doc, :title, :summary, :body)"
        ),
        [row | {"doc": doc_of[row["content_id"]]} for row in rows],
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


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _fts_match(words: list[str]) -> str:
    """An FTS5 expression asking for every word as a literal string (quotes doubled)."""
    return " ".join(map(_quoted, words))


def _fts_any(column: str, words: list[str]) -> str:
    """An FTS5 expression: any of ``words`` in ``column``."""
    return " OR ".join(f"{column} : {_quoted(w)}" for w in words)


def _filters(topic: str | None, type_: ContentType | None, params: dict[str, Any]) -> str:
    """SQL narrowing the matches to a content type and a topic (appended to their WHERE)."""
    if type_ is None and topic is None:
        return ""
    filters = " AND EXISTS (SELECT 1 FROM content c WHERE c.id = d.content_id"
    if type_ is not None:
        filters += " AND c.type = :type"
        params["type"] = type_.name
    if topic is not None:
        filters += (
            " AND EXISTS (SELECT 1 FROM contenttopic t"
            " WHERE t.content_id = c.id AND t.topic_slug = :topic)"
        )
        params["topic"] = topic
    return filters + ")"


# Only the MAX_RANKED most recently published matches are ranked: a query matching most of the
# catalogue costs about as much as one matching five hundred (the newest matches are found by
# walking `searchdocument.published_at`); more words narrow a query that matches more. Scores
# weigh title > summary > body and depend on the document alone (not on what else is indexed),
# so a cursor's score still means the same place on the next page. Ties: the most recently
# published first. The status is checked once more on the ranked few: a document exists only
# while its content is published (same transaction), this only makes sure.


def _postgres_matches(words: list[str], filters: str, params: dict[str, Any]) -> str:
    """The newest matches, scored by ts_rank of each query word in the title (weight A, 1.0)
    and summary (B, 0.4), summed, read from the small `head` vector; body alone scores 0."""
    params["words"] = " ".join(words)
    params["each"] = words
    return (
        "WITH recent AS MATERIALIZED (SELECT d.content_id AS id, d.head, d.published_at"  # noqa: S608 (fixed fragments; values are bound)
        " FROM searchdocument d"
        f" WHERE d.words @@ plainto_tsquery('simple', :words){filters}"
        " ORDER BY d.published_at DESC LIMIT :cap)"
        " SELECT recent.id, recent.published_at,"
        " CAST((SELECT coalesce(sum(ts_rank('{0, 0, 0.4, 1.0}', recent.head,"
        " plainto_tsquery('simple', w))), 0) FROM unnest(CAST(:each AS text[])) AS w)"
        " AS float8) AS score"
        " FROM recent JOIN content c ON c.id = recent.id WHERE c.status = :published"
    )


def _sqlite_matches(words: list[str], filters: str, params: dict[str, Any]) -> str:
    """The newest matches, scored by which fields hold a query word: 4 for the title, 2 for the
    summary, 1 for the body (FTS5's bm25 would depend on the whole index)."""
    params["match"] = _fts_match(words)
    for column in ("title", "summary", "body"):
        params[f"in_{column}"] = _fts_any(column, words)
    return (
        "WITH recent AS (SELECT d.id AS doc, d.content_id AS id, d.published_at"  # noqa: S608 (fixed fragments; values are bound)
        " FROM searchfts JOIN searchdocument d ON d.id = searchfts.rowid"
        f" WHERE searchfts MATCH :match{filters}"
        " ORDER BY d.published_at DESC LIMIT :cap)"
        " SELECT recent.id, recent.published_at,"
        " 4 * (doc IN (SELECT rowid FROM searchfts WHERE searchfts MATCH :in_title))"
        " + 2 * (doc IN (SELECT rowid FROM searchfts WHERE searchfts MATCH :in_summary))"
        " + (doc IN (SELECT rowid FROM searchfts WHERE searchfts MATCH :in_body)) AS score"
        " FROM recent JOIN content c ON c.id = recent.id WHERE c.status = :published"
    )


def _past(after: After | None, params: dict[str, Any]) -> str:
    """SQL keeping only what comes strictly after the cursor in the ranking's order."""
    if after is None:
        return ""
    params |= {"score": after.score, "at": after.published_at, "after_id": after.content_id}
    return (
        " WHERE score < :score OR (score = :score AND (published_at < :at"
        " OR (published_at = :at AND id < :after_id)))"
    )


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
    params: dict[str, Any] = {
        "published": ContentStatus.published.name,
        "limit": limit,
        "cap": MAX_RANKED,
    }
    filters = _filters(topic, type_, params)
    if dialect(session) == "postgresql":
        # Planned for these words every time: a cached generic plan, blind to how common the
        # words are, would take the GIN index for a word in most rows and rank them all.
        await _run(session, sa.text("SET LOCAL plan_cache_mode = force_custom_plan"), {})
        inner = _postgres_matches(words, filters, params)
    else:
        inner = _sqlite_matches(words, filters, params)
    sql = (
        f"SELECT id, score, published_at FROM ({inner}) AS hits{_past(after, params)}"  # noqa: S608 (fixed fragments; values are bound)
        " ORDER BY score DESC, published_at DESC, id DESC LIMIT :limit"
    )
    binds = [sa.bindparam("at", type_=UtcDateTime())] if after else []
    query = sa.text(sql).bindparams(*binds).columns(
        sa.column("id", sa.String), sa.column("score", sa.Float),
        sa.column("published_at", UtcDateTime()),
    )  # fmt: skip
    rows = await _run(session, query, params)
    return [Ranked(r.id, float(r.score), r.published_at) for r in rows.all()]
