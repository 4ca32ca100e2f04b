"""summaries: per-site state and per-region counts kept current by the workflow (the dashboard)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('site_summary',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('code', S(length=32), nullable=False),
    sa.Column('applied', S(length=16), nullable=False),
    sa.Column('status', S(length=16), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=True),
    sa.Column('res_id', sa.Integer(), nullable=True),
    sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reached', S(length=16), nullable=False),
    sa.Column('verdict', S(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('score_bin', S(length=8), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.ForeignKeyConstraint(['village_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('site_id')
    )
    op.create_index('ix_site_summary_village_id', 'site_summary', ['village_id'], unique=False)
    for level in ('township', 'county', 'city'):
        op.create_index(f'ix_site_summary_{level}_code', 'site_summary', [f'{level}_id', 'code', 'site_id'],
                        unique=False, postgresql_include=['status', 'since', 'lat', 'lon', 'township_id'])
    op.create_table('site_failed',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('item_key', S(length=170), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('site_id', 'item_key')
    )
    op.create_table('region_summary',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('applied', S(length=16), nullable=False),
    sa.Column('dimension', S(length=12), nullable=False),
    sa.Column('key', S(length=170), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('region_id', 'applied', 'dimension', 'key')
    )
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM site")).scalar():  # an existing database: count its sites
        from inspector.services import summaries
        summaries.rebuild_on(bind)


def downgrade() -> None:
    op.drop_table('region_summary')
    op.drop_table('site_failed')
    for level in ('township', 'county', 'city'):
        op.drop_index(f'ix_site_summary_{level}_code', table_name='site_summary')
    op.drop_index('ix_site_summary_village_id', table_name='site_summary')
    op.drop_table('site_summary')
