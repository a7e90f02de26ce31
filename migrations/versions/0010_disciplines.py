"""disciplines are a list operators manage, seeded with the common fields of science

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:50:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The list as it starts; operators add and remove entries afterwards (POST/DELETE
# /admin/disciplines), so it lives here, as data written once, not in the code.
SEED = (
    ("medicine", "医学"),
    ("public-health", "公共卫生"),
    ("pharmacy", "药学"),
    ("nutrition", "营养学"),
    ("psychology", "心理学"),
    ("physics", "物理学"),
    ("chemistry", "化学"),
    ("biology", "生物学"),
    ("ecology", "生态学"),
    ("environmental-science", "环境科学"),
    ("earth-science", "地球科学"),
    ("meteorology", "气象学"),
    ("astronomy", "天文学"),
    ("agriculture", "农学"),
    ("food-science", "食品科学"),
    ("engineering", "工程技术"),
    ("materials-science", "材料科学"),
    ("energy", "能源科学"),
    ("computing", "计算机科学"),
    ("mathematics", "数学"),
    ("safety-science", "安全科学"),
)


def upgrade() -> None:
    table = op.create_table('discipline',
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    # Disciplines were free text: every one already in use stays valid (named by its slug until
    # an operator replaces it), so no content or reviewer is left with an unknown one.
    bind = op.get_bind()
    used = set(bind.execute(sa.text("SELECT DISTINCT discipline FROM revision")).scalars())
    used |= set(bind.execute(sa.text("SELECT DISTINCT discipline FROM reviewtask")).scalars())
    for (raw,) in bind.execute(sa.text('SELECT disciplines FROM "user"')):
        used.update(json.loads(raw) if isinstance(raw, str) else raw or [])
    seeded = {slug for slug, _ in SEED}
    rows = [{'slug': s, 'name': n, 'position': i} for i, (s, n) in enumerate(SEED)]
    rows += [
        {'slug': s, 'name': s[:64], 'position': len(SEED) + i}
        for i, s in enumerate(sorted(u for u in used if u and u not in seeded))
    ]
    op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table('discipline')
