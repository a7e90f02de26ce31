"""this installation's id, one row: it tells two deployments sharing one Redis apart; and the
firings of scheduled jobs, so a firing a Redis failover hands out again runs once

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 20:32:02.255834
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import infra.dbtypes
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slot"),
    )
    op.create_table(
        "cronfiring",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ran_at", infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_cronfiring_ran_at"), "cronfiring", ["ran_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cronfiring_ran_at"), table_name="cronfiring")
    op.drop_table("cronfiring")
    op.drop_table("installation")
