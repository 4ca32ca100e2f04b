"""programs: a site's micro-project program; the program a project follows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:00:00

Existing projects were routed by the one hard-coded flow, whose amount bands and "1 + N" limits are
seed 001's (郑坊镇): they and their sites are bound to that program (`zhengfang-town`). Sites without
projects stay unbound until the county chooses their scheme.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LEGACY_PROGRAM = "zhengfang-town"


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('micro_program', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
    with op.batch_alter_table('microproject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False,
                                      server_default=''))
    op.execute(sa.text("UPDATE microproject SET program = :p").bindparams(p=LEGACY_PROGRAM))
    op.execute(sa.text("UPDATE site SET micro_program = :p WHERE id IN (SELECT site_id FROM microproject)")
               .bindparams(p=LEGACY_PROGRAM))


def downgrade() -> None:
    with op.batch_alter_table('microproject', schema=None) as batch_op:
        batch_op.drop_column('program')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('micro_program')
