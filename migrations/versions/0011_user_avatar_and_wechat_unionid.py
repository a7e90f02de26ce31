"""users get an avatar (an image of their own) and WeChat's unionid when it is sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:25:23.968278
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import infra.dbtypes
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_unionid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('avatar_media_id', sa.String(length=26), nullable=True))
        batch_op.create_unique_constraint('uq_user_wechat_unionid', ['wechat_unionid'])
        batch_op.create_foreign_key('fk_user_avatar_media_id_media', 'media', ['avatar_media_id'], ['id'], use_alter=True)


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('fk_user_avatar_media_id_media', type_='foreignkey')
        batch_op.drop_constraint('uq_user_wechat_unionid', type_='unique')
        batch_op.drop_column('avatar_media_id')
        batch_op.drop_column('wechat_unionid')
