"""saves: an inspection's running score totals, so a save scores only the item it changes

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspection') as batch:
        batch.add_column(sa.Column('tally', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('tally_rev', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('inspection') as batch:
        batch.drop_column('tally_rev')
        batch.drop_column('tally')
