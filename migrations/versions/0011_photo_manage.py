"""photo management: client ids, what the phone took, capture time, soft delete, replacement, mark-up

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', TEXT(length=64), nullable=True))
        batch_op.add_column(sa.Column('original_sha256', TEXT(length=64), nullable=True))
        batch_op.add_column(sa.Column('original_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('original_name', TEXT(length=200), nullable=True))
        batch_op.add_column(sa.Column('prepared', TEXT(length=16), nullable=True))
        batch_op.add_column(sa.Column('captured_at', WHEN(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', WHEN(), nullable=True))
        batch_op.add_column(sa.Column('deleted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delete_reason', TEXT(length=200), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('derived_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', WHEN(), nullable=True))
        batch_op.create_unique_constraint('uq_photo_client', ['inspection_id', 'client_id'])
        batch_op.create_foreign_key('fk_photo_deleted_by_id_user', 'user', ['deleted_by_id'], ['id'])
        batch_op.create_foreign_key('fk_photo_replaced_by_id_photo', 'photo', ['replaced_by_id'], ['id'])
        batch_op.create_foreign_key('fk_photo_derived_from_id_photo', 'photo', ['derived_from_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_photo_derived_from_id'), ['derived_from_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_derived_from_id'))
        batch_op.drop_constraint('fk_photo_derived_from_id_photo', type_='foreignkey')
        batch_op.drop_constraint('fk_photo_replaced_by_id_photo', type_='foreignkey')
        batch_op.drop_constraint('fk_photo_deleted_by_id_user', type_='foreignkey')
        batch_op.drop_constraint('uq_photo_client', type_='unique')
        for column in ('purged_at', 'derived_from_id', 'replaced_by_id', 'delete_reason', 'deleted_by_id',
                       'deleted_at', 'captured_at', 'prepared', 'original_name', 'original_size',
                       'original_sha256', 'client_id'):
            batch_op.drop_column(column)
