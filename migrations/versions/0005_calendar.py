"""calendar: schedules entered in the app, deadlines stored as start + n working days

Revision ID: 0005
Revises: 0004
"""
from datetime import timedelta, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

RECTIFICATION_WORKING_DAYS = 20  # services/workflow.py at the time of this migration


def upgrade() -> None:
    op.create_table('calendaryear',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('workdays', sa.JSON(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year')
    )
    op.create_table('deadlinechange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('owner_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('old_date', sa.Date(), nullable=False),
    sa.Column('new_date', sa.Date(), nullable=False),
    sa.Column('old_provisional', sa.Boolean(), nullable=False),
    sa.Column('new_provisional', sa.Boolean(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadlinechange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlinechange_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadlinechange_region_id'), ['region_id'], unique=False)
    for table in ('rectificationtask', 'programstep'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('due_from', sa.Date(), nullable=True))
            batch_op.add_column(sa.Column('due_working_days', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('due_rule', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
            batch_op.add_column(sa.Column('due_provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
    _backfill_rectification_tasks()


def _backfill_rectification_tasks() -> None:
    """Existing tasks were due RECTIFICATION_WORKING_DAYS working days after their approval day
    (the day, in China, the task row was created): store that, so `flask calendar recompute`
    can count them again."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, created_at FROM rectificationtask")).all()
    china = timezone(timedelta(hours=8))
    for row_id, created in rows:
        if isinstance(created, str):
            from datetime import datetime
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        conn.execute(sa.text("UPDATE rectificationtask SET due_from = :d, due_working_days = :n, due_rule = 'after' "
                             "WHERE id = :id"), {"d": created.astimezone(china).date(), "n": RECTIFICATION_WORKING_DAYS,
                                                 "id": row_id})


def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('provisional')
    for table in ('programstep', 'rectificationtask'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ('due_provisional', 'due_rule', 'due_working_days', 'due_from'):
                batch_op.drop_column(column)
    with op.batch_alter_table('deadlinechange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlinechange_region_id'))
        batch_op.drop_index(batch_op.f('ix_deadlinechange_at'))
    op.drop_table('deadlinechange')
    op.drop_table('calendaryear')
