"""rectificationtask (status, due_date): the dashboard's due-tasks list reads open tasks by due date (issue 19)

Revision ID: 0019
Revises: 0018
"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_rectificationtask_status_due_date', 'rectificationtask', ['status', 'due_date'])


def downgrade() -> None:
    op.drop_index('ix_rectificationtask_status_due_date', table_name='rectificationtask')
