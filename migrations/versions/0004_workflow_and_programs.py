"""workflow and programs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:00:04.776745
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loginattempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginattempt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginattempt_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginattempt_username'), ['username'], unique=False)

    op.create_table('fundmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('allocation_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'year', 'name', 'phone')
    )
    with op.batch_alter_table('fundmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fundmember_site_id'), ['site_id'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_site_id'), ['site_id'], unique=False)

    op.create_table('programstep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['done_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('programstep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programstep_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_programstep_program'), ['program'], unique=False)
        batch_op.create_index(batch_op.f('ix_programstep_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programstep_region_id'), ['region_id'], unique=False)

    op.create_table('microproject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('size', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lead_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('lead_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('scale', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('expected_effect', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('fund_source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('finish_date', sa.Date(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('households', sa.JSON(), nullable=False),
    sa.Column('spending', sa.JSON(), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('acceptance_id', sa.Integer(), nullable=True),
    sa.Column('satisfaction', sa.JSON(), nullable=True),
    sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['acceptance_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('microproject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_microproject_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_microproject_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_microproject_year'), ['year'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_notice_id'), ['notice_id'], unique=False)

    op.create_table('rectificationtask',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['follow_up_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('inspection_id', 'item_id')
    )
    with op.batch_alter_table('rectificationtask', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectificationtask_follow_up_id'), ['follow_up_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectificationtask_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('redlandmarkapplication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('self_assessment_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.Column('leadership_ok', sa.Boolean(), nullable=False),
    sa.Column('build_standard_met', sa.Boolean(), nullable=False),
    sa.Column('operating_since', sa.Date(), nullable=True),
    sa.Column('no_major_incident', sa.Boolean(), nullable=False),
    sa.Column('township_report', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('county_opinion', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('review_due', sa.Date(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('award_number', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('award_date', sa.Date(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('applied_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['applied_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['evaluation_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
    sa.ForeignKeyConstraint(['self_assessment_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'year')
    )
    with op.batch_alter_table('redlandmarkapplication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redlandmarkapplication_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redlandmarkapplication_status'), ['status'], unique=False)

    op.create_table('returnreason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('returnreason', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_returnreason_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('inspection_id', 'party', 'user_id')
    )
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signoff_user_id'), ['user_id'], unique=False)

    op.create_table('fundcommitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['fundmember.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['microproject.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'project_id')
    )
    with op.batch_alter_table('fundcommitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fundcommitment_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fundcommitment_project_id'), ['project_id'], unique=False)

    op.create_index('ix_answer_result_inspection_item', 'answer', ['result', 'inspection_id', 'item_id'], unique=False)
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope_items', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_inspection_follow_up_of_id'), ['follow_up_of_id'], unique=False)
        batch_op.create_foreign_key('fk_inspection_reviewed_by_id_user', 'user', ['reviewed_by_id'], ['id'])
        batch_op.create_foreign_key('fk_inspection_follow_up_of_id_inspection', 'inspection', ['follow_up_of_id'], ['id'])



def downgrade() -> None:
    op.drop_index('ix_answer_result_inspection_item', table_name='answer')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_constraint('fk_inspection_follow_up_of_id_inspection', type_='foreignkey')
        batch_op.drop_constraint('fk_inspection_reviewed_by_id_user', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspection_follow_up_of_id'))
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('round')
        batch_op.drop_column('scope_items')
        batch_op.drop_column('follow_up_of_id')

    with op.batch_alter_table('fundcommitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fundcommitment_project_id'))
        batch_op.drop_index(batch_op.f('ix_fundcommitment_member_id'))

    op.drop_table('fundcommitment')
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_user_id'))
        batch_op.drop_index(batch_op.f('ix_signoff_inspection_id'))

    op.drop_table('signoff')
    with op.batch_alter_table('returnreason', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_returnreason_inspection_id'))

    op.drop_table('returnreason')
    with op.batch_alter_table('redlandmarkapplication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redlandmarkapplication_status'))
        batch_op.drop_index(batch_op.f('ix_redlandmarkapplication_site_id'))

    op.drop_table('redlandmarkapplication')
    with op.batch_alter_table('rectificationtask', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectificationtask_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_rectificationtask_follow_up_id'))

    op.drop_table('rectificationtask')
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_notice_id'))

    op.drop_table('objection')
    with op.batch_alter_table('microproject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_microproject_year'))
        batch_op.drop_index(batch_op.f('ix_microproject_status'))
        batch_op.drop_index(batch_op.f('ix_microproject_site_id'))

    op.drop_table('microproject')
    with op.batch_alter_table('programstep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programstep_region_id'))
        batch_op.drop_index(batch_op.f('ix_programstep_program_id'))
        batch_op.drop_index(batch_op.f('ix_programstep_program'))
        batch_op.drop_index(batch_op.f('ix_programstep_due_date'))

    op.drop_table('programstep')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_site_id'))

    op.drop_table('notice')
    with op.batch_alter_table('fundmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fundmember_site_id'))

    op.drop_table('fundmember')
    with op.batch_alter_table('loginattempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginattempt_username'))
        batch_op.drop_index(batch_op.f('ix_loginattempt_ip'))
        batch_op.drop_index(batch_op.f('ix_loginattempt_at'))

    op.drop_table('loginattempt')
