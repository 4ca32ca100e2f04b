"""Managing photos before submission: delete and replace with a reason, mark-up copies, and purging
deleted photos' files once the inspection is closed.

Nothing is removed from disk while the inspection can still change: a deleted photo keeps its row
and files (`deleted_at`, the reason, who), so a reviewer can see what was taken away and why, and
it is left out of scoring, reports and counts (`evidence.photos_of`). Every change is audit-logged.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from ..core import photos as photo_core
from ..models import Inspection, Photo, User, utcnow
from . import audit
from .inspections import InspectionError, check_editable, spec_for

CLOSED = ("approved", "accepted", "rejected")  # final: nothing in the inspection changes any more
REASON_MAX = 200


def clean_reason(text: str | None) -> str:
    """The reason given for a deletion or replacement; InspectionError when missing or too long."""
    reason = " ".join((text or "").split())
    if not reason:
        raise InspectionError("请填写原因（例如：拍错了条目、照片模糊）")
    if len(reason) > REASON_MAX:
        raise InspectionError(f"原因最多 {REASON_MAX} 个字")
    return reason


def _editable(session: Session, photo: Photo, by: User) -> Inspection:
    """The photo's inspection, if `by` may still change it; InspectionError otherwise."""
    inspection = session.get(Inspection, photo.inspection_id)
    check_editable(inspection=inspection, by=by, item_id=photo.item_id,
                   spec=spec_for(session=session, inspection=inspection))
    if photo.deleted_at is not None:
        raise InspectionError("这张照片已删除")
    return inspection


def _mark_deleted(session: Session, photo: Photo, by: User, reason: str, now: datetime) -> None:
    photo.deleted_at, photo.deleted_by_id, photo.delete_reason = now, by.id, reason
    session.add(photo)


def delete(*, session: Session, photo: Photo, by: User, reason: str | None, now: datetime | None = None) -> Photo:
    """Take a photo (and its marked-up copies) out of the inspection, keeping row and files."""
    _editable(session, photo, by)
    reason, now = clean_reason(reason), now or utcnow()
    _mark_deleted(session, photo, by, reason, now)
    copies = session.exec(select(Photo).where(Photo.derived_from_id == photo.id, Photo.deleted_at.is_(None))).all()
    for copy in copies:
        _mark_deleted(session, copy, by, f"原照片已删除：{reason}", now)
    audit.record(session=session, user_id=by.id, action="photo_delete", entity="photo", entity_id=photo.id,
                 before={"item": photo.item_id, "sha256": photo.sha256, "flags": [f["code"] for f in photo.flags or []],
                         "copies": [c.id for c in copies]},
                 after={"reason": reason})
    session.flush()
    return photo


def replace(*, session: Session, old: Photo, new: Photo, by: User, reason: str, now: datetime | None = None) -> Photo:
    """Mark `old` as replaced by the just-stored `new` (same item), with the reason audit-logged."""
    if new.id == old.id:
        raise InspectionError("新照片与原照片相同，未替换")
    if new.item_id != old.item_id or new.inspection_id != old.inspection_id:
        raise InspectionError("替换的照片必须属于同一条目")
    delete(session=session, photo=old, by=by, reason=reason, now=now)
    old.replaced_by_id = new.id
    session.add(old)
    audit.record(session=session, user_id=by.id, action="photo_replace", entity="photo", entity_id=old.id,
                 before={"sha256": old.sha256}, after={"replaced_by": new.id, "sha256": new.sha256, "reason": reason})
    session.flush()
    return new


def check_replaceable(*, session: Session, photo: Photo, by: User, reason: str | None) -> str:
    """Before storing a replacement: the photo may still be changed and a reason is given; the reason."""
    _editable(session, photo, by)
    return clean_reason(reason)


def check_markable(*, session: Session, photo: Photo, by: User) -> Photo:
    """The photo a mark-up copy is drawn from: its original when it is itself a copy."""
    _editable(session, photo, by)
    return session.get(Photo, photo.derived_from_id) if photo.derived_from_id else photo


def purge_closed(*, session: Session, media_root: Path, now: datetime | None = None) -> list[str]:
    """Remove the files of deleted photos whose inspection is closed (rows stay, marked purged);
    a file another live row still names is kept. The paths removed."""
    now = now or utcnow()
    rows = session.exec(select(Photo).join(Inspection, Inspection.id == Photo.inspection_id).where(
        Photo.deleted_at.is_not(None), Photo.purged_at.is_(None), Inspection.status.in_(CLOSED))).all()
    removed: list[str] = []
    for photo in rows:
        paths = [photo.original, photo.display, photo.thumb]
        kept = set()
        for column in (Photo.original, Photo.display, Photo.thumb):
            kept.update(session.exec(select(column).where(column.in_(paths), Photo.id != photo.id,
                                                          Photo.purged_at.is_(None))).all())
        gone = [p for p in paths if p not in kept]
        photo_core.remove(media_root, gone)
        removed += gone
        photo.purged_at = now
        session.add(photo)
        audit.record(session=session, user_id=None, action="photo_purge", entity="photo", entity_id=photo.id,
                     before={"files": gone}, after=None)
    session.flush()
    return removed
