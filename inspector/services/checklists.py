"""Checklist versions: every spec the app runs is stored once, by content hash."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from ..core.checklist import ChecklistSpec
from ..models import ChecklistVersion, utcnow


def ensure_version(*, session: Session, spec: ChecklistSpec) -> ChecklistVersion:
    """The stored version for this exact content, created if it is new.

    Two first inspections of a new version at once both get the one row: the insert does nothing
    when the other has just stored it (no conflict error for the second phone).
    """
    found = session.exec(select(ChecklistVersion).where(ChecklistVersion.content_hash == spec.content_hash)).first()
    if found is not None:
        return found
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(upsert(ChecklistVersion).values(
        checklist_id=spec.id, version=spec.version, title=spec.title, content_hash=spec.content_hash,
        snapshot=spec.snapshot(), created_at=utcnow()).on_conflict_do_nothing(index_elements=["content_hash"]))
    return session.exec(select(ChecklistVersion).where(ChecklistVersion.content_hash == spec.content_hash)).one()


_SPECS: dict[str, ChecklistSpec] = {}  # content hash -> spec; a hash names one immutable content


def cached_spec(content_hash: str) -> ChecklistSpec | None:
    """A spec already rebuilt in this process, by its content hash."""
    return _SPECS.get(content_hash)


def spec_of(version: ChecklistVersion) -> ChecklistSpec:
    """The spec an inspection was started with, rebuilt from its snapshot once per content hash."""
    spec = _SPECS.get(version.content_hash)
    if spec is None:
        spec = ChecklistSpec.from_snapshot(version.snapshot)
        if spec.content_hash != version.content_hash:
            raise ValueError(f"清单版本 {version.id} 的快照与其内容指纹不符，数据可能被改动")
        if len(_SPECS) > 256:
            _SPECS.clear()
        _SPECS[version.content_hash] = spec
    return spec
