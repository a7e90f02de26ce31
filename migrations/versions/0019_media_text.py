"""text read off a media item's frames (status, error, timed segments) and the creator's subtitle
file (its key in storage and its cues)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:25:20.342595
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum("read", "failed", "off", name="textreading", native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_status", _STATUS, nullable=True))
        batch_op.add_column(
            sa.Column("text_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(sa.Column("text_segments", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("captions_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.add_column(sa.Column("captions", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        for column in ("captions", "captions_key", "text_segments", "text_error", "text_status"):
            batch_op.drop_column(column)
