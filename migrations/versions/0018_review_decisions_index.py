"""a reviewer's decisions are read on every queue and review page (the one-stage-each guard looks
for their approvals): an index on (decided_by, status) instead of a scan of every task ever

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:51:13.675924
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviewtask", schema=None) as batch_op:
        batch_op.create_index("ix_reviewtask_decided_by", ["decided_by", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviewtask", schema=None) as batch_op:
        batch_op.drop_index("ix_reviewtask_decided_by")
