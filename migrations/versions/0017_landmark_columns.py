"""redlandmarkapplication: the dates and states the app reads or shows become columns (issue 18)

The application's `details` JSON held the township's and county's recommendation dates, the county's
rank, the 5.13 town rank, the city's result, the department meeting and the refusal date. They move
to columns here, and their keys leave the JSON; downgrade moves them back. What stays in the JSON is
free-form and never queried: the evidence file list, the build evidence's verdict and the step period
as they were at the application, the town's scores behind a computed rank, the ids of the county's
ranking batch, and the result's reasons.

Revision ID: 0017
Revises: 0016
"""
import datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
COLUMNS = [  # (column, type)
    ('applied_on', sa.Date()), ('build_evidence_id', sa.Integer()),
    ('township_recommended_on', sa.Date()), ('county_recommended_on', sa.Date()),
    ('county_rank', sa.Integer()), ('county_rank_of', sa.Integer()), ('county_recommended', sa.Boolean()),
    ('town_rank', sa.Integer()), ('town_total', sa.Integer()), ('town_rank_computed', sa.Boolean()),
    ('town_rank_holds', sa.Boolean()),
    ('result', _S(length=8)), ('result_verdict', _S(length=24)), ('result_score', sa.Float()), ('result_on', sa.Date()),
    ('meeting_on', sa.Date()), ('meeting_minutes', _S(length=80)), ('meeting_approved', sa.Boolean()),
    ('refused_on', sa.Date()),
]
DATES = {name for name, kind in COLUMNS if isinstance(kind, sa.Date)}
TOP = {  # a top-level key of details -> its column
    'applied_on': 'applied_on', 'build_evidence_id': 'build_evidence_id',
    'township_recommended_on': 'township_recommended_on', 'county_recommended_on': 'county_recommended_on',
    'result': 'result', 'verdict': 'result_verdict', 'score': 'result_score', 'result_on': 'result_on',
    'refused_on': 'refused_on',
}
NESTED = {  # a key holding an object -> {its key: column}
    'county_rank': {'rank': 'county_rank', 'of': 'county_rank_of', 'recommended': 'county_recommended'},
    'town_rank': {'rank': 'town_rank', 'total': 'town_total', 'computed': 'town_rank_computed',
                  'holds': 'town_rank_holds'},
    'meeting': {'date': 'meeting_on', 'minutes': 'meeting_minutes', 'approved': 'meeting_approved'},
}
KEPT = {('county_rank', 'batch'): 'county_batch', ('town_rank', 'scores'): 'town_scores'}  # nested, free-form
BASIS = {True: "全镇（街道）各村（社区）最近一次“红色地标”自评得分", False: "申报村（社区）填报，附镇（街道）排名文件"}


def _table():
    return sa.table('redlandmarkapplication', sa.column('id', sa.Integer()), sa.column('details', sa.JSON()),
                    sa.column('decision_reason', sa.String()), *(sa.column(n, k) for n, k in COLUMNS))


def _to_column(name, value):
    if value is None:
        return None
    if name in DATES:
        return datetime.date.fromisoformat(value)
    return value


def _moved(details: dict) -> tuple[dict, dict]:
    """(column values, the JSON left) of one application's details."""
    details, values = dict(details or {}), {}
    for key, column in TOP.items():
        if key in details:
            values[column] = _to_column(column, details.pop(key))
    for key, parts in NESTED.items():
        inner = details.pop(key, None)
        if not isinstance(inner, dict):
            continue
        for part, column in parts.items():
            values[column] = _to_column(column, inner.get(part))
        for (outer, part), kept in KEPT.items():
            if outer == key and part in inner:
                details[kept] = inner[part]
    return values, details


def upgrade() -> None:
    with op.batch_alter_table('redlandmarkapplication') as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.create_foreign_key('fk_redlandmarkapplication_build_evidence_id_inspection', 'inspection',
                                 ['build_evidence_id'], ['id'])
    table, conn = _table(), op.get_bind()
    for row in conn.execute(sa.select(table.c.id, table.c.details)).all():
        values, left = _moved(row.details)
        conn.execute(table.update().where(table.c.id == row.id).values(details=left or None, **values))


def _restored(row) -> dict:
    """The details JSON of one application with the moved keys put back."""
    details = dict(row.details or {})
    for key, column in TOP.items():
        value = getattr(row, column)
        if value is not None:
            details[key] = value.isoformat() if column in DATES else value
    for key, parts in NESTED.items():
        if all(getattr(row, c) is None for c in parts.values()):
            continue
        inner = {p: (getattr(row, c).isoformat() if c in DATES and getattr(row, c) else getattr(row, c))
                 for p, c in parts.items()}
        for (outer, part), kept in KEPT.items():
            if outer == key and kept in details:
                inner[part] = details.pop(kept)
        if key == 'town_rank':
            inner['basis'] = BASIS[bool(inner['computed'])]
        if key == 'meeting' and inner['approved'] is False:
            inner['reason'] = row.decision_reason
        details[key] = inner
    return details


def downgrade() -> None:
    table, conn = _table(), op.get_bind()
    for row in conn.execute(sa.select(table)).all():
        conn.execute(table.update().where(table.c.id == row.id).values(details=_restored(row) or None))
    with op.batch_alter_table('redlandmarkapplication') as batch:
        batch.drop_constraint('fk_redlandmarkapplication_build_evidence_id_inspection', type_='foreignkey')
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
