"""review queues read a stage's open tasks oldest first: an index on (status, stage, created_at)
so counting, listing and taking the next task never scan the decided tasks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:57:38.820452
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviewtask", schema=None) as batch_op:
        batch_op.create_index("ix_reviewtask_queue", ["status", "stage", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviewtask", schema=None) as batch_op:
        batch_op.drop_index("ix_reviewtask_queue")
