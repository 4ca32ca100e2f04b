"""decisions: approved categories, signatures without accounts, re-evaluated open inspections

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00

- site: the approval document (number, date) of the category in `tier_applied`;
- inspection: the subsidy its decision pays and the before/after record of a re-evaluation;
- signoff: signers without an account (name, role), handwritten signatures (PNG by SHA-256,
  position), `user_id` nullable;
- every open inspection whose checklist changed is re-evaluated under the current checklist
  files (services/reevaluate.py); issued reports are not touched.
"""
from pathlib import Path

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_doc_number', sqlmodel.sql.sqltypes.AutoString(length=80),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('category_doc_date', sa.Date(), nullable=True))
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subsidy', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reevaluation', sa.JSON(), nullable=True))
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('signer_name', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('signer_role', sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default='password'))
        batch_op.add_column(sa.Column('image_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('image_path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('accuracy_m', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('collected_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_signoff_collected_by_id_user', 'user', ['collected_by_id'], ['id'])
    _reevaluate()


def _reevaluate() -> None:
    """Open inspections judged again under the checklist files shipped with this revision."""
    from inspector.core.checklist import load_dir
    from inspector.services.reevaluate import reevaluate_open
    folder = Path(__file__).resolve().parents[2] / "checklists"
    if folder.is_dir():
        reevaluate_open(op.get_bind(), load_dir(folder))


def downgrade() -> None:
    with op.batch_alter_table('signoff', schema=None) as batch_op:
        batch_op.drop_constraint('fk_signoff_collected_by_id_user', type_='foreignkey')
        for column in ('collected_by_id', 'accuracy_m', 'lon', 'lat', 'image_path', 'image_sha256', 'method',
                       'signer_role', 'signer_name'):
            batch_op.drop_column(column)
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('reevaluation')
        batch_op.drop_column('subsidy')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('category_doc_date')
        batch_op.drop_column('category_doc_number')
