"""answer.captured_at: the phone's clock when an answer was made (offline outbox, issue 15)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answer') as batch:
        batch.add_column(sa.Column('captured_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answer') as batch:
        batch.drop_column('captured_at')
