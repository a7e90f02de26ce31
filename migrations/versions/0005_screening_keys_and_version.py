"""screening term keys, pinyin marks and the dictionary version

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 11:02:47.264878
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import infra.dbtypes
from alembic import op
from content.screening import normalize
from infra.clock import utcnow

revision: str = '0005'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('screening_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('screeningterm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('pinyin', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Existing terms get the key screening matches them by; of terms that fold to the same key
    # (case or width variants entered before this check existed) the oldest keeps it.
    conn = op.get_bind()
    terms = sa.table('screeningterm', sa.column('id'), sa.column('term'), sa.column('key'),
                     sa.column('created_at'))
    taken: set[str] = set()
    for row in conn.execute(sa.select(terms.c.id, terms.c.term).order_by(terms.c.created_at)):
        key = normalize(row.term)
        if key and key not in taken:
            taken.add(key)
            conn.execute(terms.update().where(terms.c.id == row.id).values(key=key))
    with op.batch_alter_table('screeningterm', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_screeningterm_key', ['key'])

    version = sa.table('screening_version', sa.column('id'), sa.column('version'),
                       sa.column('updated_at'))
    op.bulk_insert(version, [{'id': 1, 'version': 1, 'updated_at': utcnow()}])


def downgrade() -> None:
    with op.batch_alter_table('screeningterm', schema=None) as batch_op:
        batch_op.drop_constraint('uq_screeningterm_key', type_='unique')
        batch_op.drop_column('pinyin')
        batch_op.drop_column('key')
    op.drop_table('screening_version')
