"""published contents are searchable: their segmented words, in a GIN-indexed tsvector on
PostgreSQL or an FTS5 table on SQLite

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:09:09.697573
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import infra.dbtypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('searchdocument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('revision_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('words', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.Column('head', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.Column('published_at', infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
    sa.Column('indexed_at', infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['content_id'], ['content.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('content_id')
    )
    op.create_index('ix_searchdocument_published_at', 'searchdocument', ['published_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_searchdocument_words', 'searchdocument', ['words'], unique=False, postgresql_using='gin')
    else:
        # The words themselves (jieba's, joined by spaces), rowid = searchdocument.id. Not in
        # the models: migrations/env.py leaves it and its shadow tables out of autogenerate.
        op.execute(
            "CREATE VIRTUAL TABLE searchfts USING fts5("
            "title, summary, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    # Contents already published become searchable with `kepu search rebuild`.


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_searchdocument_words', table_name='searchdocument', postgresql_using='gin')
    else:
        op.execute("DROP TABLE searchfts")
    op.drop_index('ix_searchdocument_published_at', table_name='searchdocument')
    op.drop_table('searchdocument')
