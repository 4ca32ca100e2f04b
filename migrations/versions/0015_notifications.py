"""notifications: in-app messages to the person an action concerns (the bell in the header)

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_notification_created_at', 'notification', ['created_at'], unique=False)
    op.create_index('ix_notification_region_id', 'notification', ['region_id'], unique=False)
    op.create_index('ix_notification_user_read', 'notification', ['user_id', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notification_user_read', table_name='notification')
    op.drop_index('ix_notification_region_id', table_name='notification')
    op.drop_index('ix_notification_created_at', table_name='notification')
    op.drop_table('notification')
