"""comments and replies on contents, their likes, and a switch for comments on each content

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:08:08.758263
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import infra.dbtypes
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comment',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('content_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('author_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
    sa.Column('reply_to_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('visible', 'held', 'deleted', 'removed', name='commentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('likes', sa.Integer(), nullable=False),
    sa.Column('replies_count', sa.Integer(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', infra.dbtypes.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['content_id'], ['content.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], ),
    sa.ForeignKeyConstraint(['reply_to_id'], ['comment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_comment_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_comment_thread', ['content_id', 'parent_id', 'status'], unique=False)

    op.create_table('commentlike',
    sa.Column('comment_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=26), nullable=False),
    sa.Column('created_at', infra.dbtypes.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('comment_id', 'user_id')
    )
    with op.batch_alter_table('commentlike', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commentlike_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('content', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comments_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('content', schema=None) as batch_op:
        batch_op.drop_column('comments_enabled')

    with op.batch_alter_table('commentlike', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commentlike_user_id'))

    op.drop_table('commentlike')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_thread')
        batch_op.drop_index('ix_comment_status_created')
        batch_op.drop_index(batch_op.f('ix_comment_author_id'))

    op.drop_table('comment')
