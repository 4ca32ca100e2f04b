"""micro-project photos become photo rows: photo.micro_project_id, photo.caption, exactly one owner

A micro project's before/after photos (实施前 / 完成后) were JSON dicts in microproject.details
["photos"]; they move into `photo` rows (item_id "before" / "after"), one per project, side and
content hash, and leave the JSON. Downgrade moves them back.

Photos moved from the JSON keep their paths, hash, kind and caption; what the JSON never held
(size in bytes, width, height) is 0 and the format is read from the original's suffix.

Revision ID: 0018
Revises: 0017
"""
from pathlib import PurePosixPath

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime
CAPTIONS = {"before": "实施前", "after": "完成后"}

project = sa.table('microproject', sa.column('id', sa.Integer), sa.column('details', sa.JSON),
                   sa.column('created_by_id', sa.Integer), sa.column('updated_at', WHEN()))
photo = sa.table('photo', *(sa.column(name, sa.Integer) for name in (
    'id', 'micro_project_id', 'inspection_id', 'size_bytes', 'width', 'height', 'by_id')),
    *(sa.column(name, sa.String) for name in ('item_id', 'caption', 'sha256', 'format', 'original', 'display',
                                               'thumb')), sa.column('at', WHEN()))


def _sha256(item: dict) -> str:
    """The item's content hash; older items name it only in their path (photos/<sha256>/…)."""
    return item.get('sha256') or PurePosixPath(item.get('original') or item['display']).parent.name


def _format(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower().lstrip('.')
    return {'jpg': 'jpeg', '': 'jpeg'}.get(suffix, suffix)[:8]


def _rows(row) -> list[dict]:
    """The photo rows of one project's JSON photos, one per side and hash (the first kept)."""
    out, seen = [], set()
    for item in (row.details or {}).get('photos') or []:
        sha = _sha256(item)
        kind = item.get('kind') if item.get('kind') in CAPTIONS else 'after'
        if (kind, sha) in seen:
            continue
        seen.add((kind, sha))
        original = item.get('original') or item['display']
        out.append(dict(micro_project_id=row.id, inspection_id=None, item_id=kind,
                        caption=(item.get('caption') or CAPTIONS[kind])[:200], sha256=sha, size_bytes=0,
                        format=_format(original), width=0, height=0, original=original, display=item['display'],
                        thumb=item.get('thumb') or item['display'], by_id=row.created_by_id, at=row.updated_at))
    return out


def _move_in() -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(project.c.id, project.c.details, project.c.created_by_id,
                                      project.c.updated_at)).all():
        if not isinstance(row.details, dict) or 'photos' not in row.details:
            continue
        rows = _rows(row)
        if rows:
            conn.execute(photo.insert(), rows)
        details = {k: v for k, v in row.details.items() if k != 'photos'}
        conn.execute(project.update().where(project.c.id == row.id).values(details=details))


def _move_out() -> None:
    conn = op.get_bind()
    shots: dict[int, list[dict]] = {}
    for p in conn.execute(sa.select(photo).where(photo.c.micro_project_id.is_not(None))
                          .order_by(photo.c.id)).all():
        shots.setdefault(p.micro_project_id, []).append(
            {'kind': p.item_id, 'caption': p.caption or CAPTIONS.get(p.item_id, ''), 'display': p.display,
             'thumb': p.thumb, 'original': p.original, 'sha256': p.sha256})
    for project_id, items in shots.items():
        details = conn.execute(sa.select(project.c.details).where(project.c.id == project_id)).scalar_one()
        conn.execute(project.update().where(project.c.id == project_id)
                     .values(details={**(details or {}), 'photos': items}))
    conn.execute(photo.delete().where(photo.c.micro_project_id.is_not(None)))


def upgrade() -> None:
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('micro_project_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('caption', TEXT(length=200), nullable=True))
        batch_op.alter_column('inspection_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key('fk_photo_micro_project_id_microproject', 'microproject',
                                    ['micro_project_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_photo_micro_project_id'), ['micro_project_id'], unique=False)
        batch_op.create_unique_constraint('uq_photo_micro_sha256', ['micro_project_id', 'item_id', 'sha256'])
        batch_op.create_check_constraint('ck_photo_one_owner',
                                         '(inspection_id IS NULL) <> (micro_project_id IS NULL)')
    _move_in()


def downgrade() -> None:
    _move_out()
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_constraint('ck_photo_one_owner', type_='check')
        batch_op.drop_constraint('uq_photo_micro_sha256', type_='unique')
        batch_op.drop_index(batch_op.f('ix_photo_micro_project_id'))
        batch_op.drop_constraint('fk_photo_micro_project_id_microproject', type_='foreignkey')
        batch_op.alter_column('inspection_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('caption')
        batch_op.drop_column('micro_project_id')
