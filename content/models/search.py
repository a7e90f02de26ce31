"""The search index's rows (the engine-specific parts live in the migration)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Column, Field, SQLModel

from content.models.columns import TZ
from infra.clock import utcnow

_WORDS = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class SearchDocument(SQLModel, table=True):
    """One published content as search finds it: the live revision's words, written in the
    transaction that publishes it and deleted in the one that takes it off (docs/search.md)."""

    __table_args__ = (
        sa.Index("ix_searchdocument_words", "words", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    # An integer key: SQLite's FTS5 table holds each document's words under this rowid.
    id: int | None = Field(default=None, primary_key=True)
    content_id: str = Field(foreign_key="content.id", unique=True, max_length=26)
    revision_id: str = Field(foreign_key="revision.id", max_length=26)
    words: str | None = Field(default=None, sa_column=Column(_WORDS, nullable=True))
    # PostgreSQL: the title's and summary's words alone, small enough to stay in the row, which
    # ranking reads (the whole text is only ever matched through the GIN index).
    head: str | None = Field(default=None, sa_column=Column(_WORDS, nullable=True))
    # The content's, copied here so the newest matches are found by walking this index.
    published_at: datetime = Field(sa_column=Column(TZ, nullable=False, index=True))
    indexed_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
