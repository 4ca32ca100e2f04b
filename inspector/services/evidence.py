"""Evidence: photos stored through the core pipeline, positions checked against the site.

A photo arrives with what the phone says about it (`Capture`): a client id (a photo sent twice is
stored once), the hash, size and name of the original when the phone sent a resized copy, and the
phone's clock at capture. Deleted photos stay as rows and files (`deleted_at`) and are left out of
everything that counts or prints (`photos_of`); see services/photo_manage.py.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Mapping

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..core import evidence, photos
from ..core.geo import Position
from ..models import Inspection, Photo, Site, User, utcnow
from ..db import insert_new
from . import audit
from .inspections import InspectionError, check_editable, spec_for

CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
PREPARED = ("resized", "original")


@dataclass(frozen=True)
class Capture:
    """What the phone says about a photo it sends (all optional: a plain form sends none of it)."""

    client_id: str | None = None
    original_sha256: str | None = None
    original_size: int | None = None
    original_name: str | None = None
    prepared: str | None = None
    captured_at: datetime | None = None


def _bad(reason: str) -> photos.PhotoError:
    return photos.PhotoError(reason, 400)


def _field(form: Mapping, name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def parse_capture(form: Mapping) -> Capture:
    """The capture fields of an upload form; PhotoError (400, in Chinese) when one is malformed."""
    client_id, sha = _field(form, "client_id"), _field(form, "original_sha256")
    size, prepared, when = _field(form, "original_size"), _field(form, "prepared"), _field(form, "captured_at")
    if client_id is not None and not CLIENT_ID_RE.match(client_id):
        raise _bad("照片编号（client_id）格式不对")
    if sha is not None and not SHA256_RE.match(sha.lower()):
        raise _bad("原图校验值（original_sha256）应为 64 位十六进制")
    if size is not None and not (size.isdigit() and 0 < int(size) < 2 ** 40):
        raise _bad("原图大小（original_size）应为正整数字节数")
    if prepared is not None and prepared not in PREPARED:
        raise _bad("prepared 只能是 resized 或 original")
    return Capture(client_id=client_id, original_sha256=sha.lower() if sha else None,
                   original_size=int(size) if size else None,
                   original_name=(_field(form, "original_name") or "")[:200] or None,
                   prepared=prepared, captured_at=_parse_when(when) if when else None)


def _parse_when(text: str) -> datetime:
    """An ISO 8601 time with its zone (the phone's `new Date().toISOString()`)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad("采集时间（captured_at）不是 ISO 8601 时间") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _bad("采集时间（captured_at）缺少时区")
    return moment


def site_point(site: Site) -> tuple[float, float] | None:
    """The site's WGS-84 coordinates, if registered."""
    return (site.lat, site.lon) if site.lat is not None and site.lon is not None else None


def position_flags(*, site: Site, device: Position | None, accuracy_limit_m: float) -> list[dict]:
    """Flags for a device position against the site (as JSON-ready dicts)."""
    return [asdict(f) for f in evidence.position_flags(site=site_point(site), radius_m=site.geofence_m,
                                                        device=device, accuracy_limit_m=accuracy_limit_m)]


def discard(*, session: Session, media_root: Path, created: tuple[str, ...]) -> None:
    """Delete files a failed upload created, except any another stored photo already points to."""
    if not created:
        return
    used = set()
    for column in (Photo.original, Photo.display, Photo.thumb):
        used.update(session.exec(select(column).where(column.in_(created))).all())
    photos.remove(media_root, [path for path in created if path not in used])


def other_uses(*, session: Session, sha256: str, inspection_id: int) -> int:
    """How many other inspections already use a photo with this content (or resized from this original)."""
    return session.exec(select(func.count(func.distinct(Photo.inspection_id)))
                        .where(or_(Photo.sha256 == sha256, Photo.original_sha256 == sha256),
                               Photo.inspection_id != inspection_id, Photo.deleted_at.is_(None))).one()


def by_client_id(*, session: Session, inspection: Inspection, client_id: str | None) -> Photo | None:
    """The photo this inspection already stored under the phone's client id, if any."""
    if client_id is None:
        return None
    return session.exec(select(Photo).where(Photo.inspection_id == inspection.id,
                                            Photo.client_id == client_id)).first()


def _check_original(stored: photos.StoredPhoto, capture: Capture, require_original: bool) -> None:
    """Refuse a file that says it is the original but is not, or a resized one where originals are required."""
    if capture.prepared == "original" and capture.original_sha256 not in (None, stored.sha256):
        raise photos.PhotoError("标明为原图，但文件的 SHA-256 与原图校验值不符；未保存", 422)
    resized = capture.prepared == "resized" or capture.original_sha256 not in (None, stored.sha256)
    if require_original and resized:
        raise photos.PhotoError("本县竣工验收要求上传原图（不压缩），请重新选择照片；未保存", 422)


def _flags(session, site, inspection, stored, device, capture, now, accuracy_limit_m) -> list[dict]:
    """The evidence flags of a new photo (its original's hash decides reuse when the phone resized it)."""
    exif_gps = (stored.exif_lat, stored.exif_lon) if stored.exif_lat is not None else None
    uses = other_uses(session=session, sha256=capture.original_sha256 or stored.sha256, inspection_id=inspection.id)
    flags = evidence.photo_flags(site=site_point(site), radius_m=site.geofence_m, device=device,
                                 exif_gps=exif_gps, exif_time=stored.exif_time, server_time=now,
                                 other_uses=uses, accuracy_limit_m=accuracy_limit_m,
                                 captured_at=capture.captured_at)
    return [asdict(f) for f in flags]


def _row(inspection, item_id, stored, device, capture, flags, by, now, derived_from) -> dict:
    """The new photo row's values; a marked-up copy keeps its original's evidence."""
    values = dict(inspection_id=inspection.id, item_id=item_id, sha256=stored.sha256, size_bytes=stored.size_bytes,
                  format=stored.format, width=stored.width, height=stored.height, original=stored.original,
                  display=stored.display, thumb=stored.thumb, exif_time=stored.exif_time,
                  exif_lat=stored.exif_lat, exif_lon=stored.exif_lon,
                  device_lat=device.lat if device else None, device_lon=device.lon if device else None,
                  device_accuracy_m=device.accuracy_m if device else None, flags=flags, by_id=by.id, at=now,
                  client_id=capture.client_id, original_sha256=capture.original_sha256 or stored.sha256,
                  original_size=capture.original_size or stored.size_bytes, original_name=capture.original_name,
                  prepared=capture.prepared, captured_at=capture.captured_at)
    if derived_from is not None:
        values.update({k: getattr(derived_from, k) for k in (
            "exif_time", "exif_lat", "exif_lon", "device_lat", "device_lon", "device_accuracy_m", "flags",
            "captured_at")}, derived_from_id=derived_from.id, prepared="markup",
            original_sha256=stored.sha256, original_size=stored.size_bytes)
    return values


def _existing(session: Session, inspection: Inspection, item_id: str, sha256: str,
              capture: Capture) -> Photo | None:
    """The photo already stored for this upload: same client id, or same content on the same item."""
    return by_client_id(session=session, inspection=inspection, client_id=capture.client_id) or session.exec(
        select(Photo).where(Photo.inspection_id == inspection.id, Photo.item_id == item_id,
                            Photo.sha256 == sha256).execution_options(populate_existing=True)).first()


def attach_photo(*, session: Session, inspection: Inspection, item_id: str, data: bytes, device: Position | None,
                 by: User, media_root: Path, accuracy_limit_m: float, max_bytes: int = 25 * 1024 * 1024,
                 now: datetime | None = None, capture: Capture = Capture(), derived_from: Photo | None = None,
                 require_original: bool = False) -> tuple[Photo, tuple[str, ...]]:
    """Store one photo for an item: pipeline, flags, row. A failure leaves no file and no row.

    A photo whose client id (or content, on the same item) is already stored is not stored again:
    the existing photo is returned (a deleted one comes back). Returns the photo and the media files
    this call created (the caller deletes them if its commit fails). Raises photos.PhotoError (with
    its HTTP status) for a rejected file, InspectionError otherwise.
    """
    spec = spec_for(session=session, inspection=inspection)
    check_editable(inspection=inspection, by=by, item_id=item_id, spec=spec)
    if (again := by_client_id(session=session, inspection=inspection, client_id=capture.client_id)) is not None:
        return again, ()
    site = session.get(Site, inspection.site_id)
    now = now or utcnow()
    where = Position(derived_from.device_lat, derived_from.device_lon, derived_from.device_accuracy_m) \
        if derived_from is not None and derived_from.device_lat is not None else device
    mark = photos.Watermark(site=site.name, server_time=now, lat=where.lat if where else None,
                            lon=where.lon if where else None, accuracy_m=where.accuracy_m if where else None,
                            inspector=by.display_name)
    stored = photos.ingest(data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
    try:
        _check_original(stored, capture, require_original and derived_from is None)
        existing = _existing(session, inspection, item_id, stored.sha256, capture)
        if existing is not None:
            discard(session=session, media_root=media_root, created=stored.created)
            return _restored(session, existing, by), ()
        flags = _flags(session, site, inspection, stored, device, capture, now, accuracy_limit_m)
        return _insert(session, _row(inspection, item_id, stored, device, capture, flags, by, now, derived_from),
                       inspection, item_id, stored, capture, media_root, by), stored.created
    except (InspectionError, photos.PhotoError):
        discard(session=session, media_root=media_root, created=stored.created)
        raise
    except Exception:
        session.rollback()
        discard(session=session, media_root=media_root, created=stored.created)
        raise


def _insert(session, values, inspection, item_id, stored, capture, media_root, by) -> Photo:
    """INSERT the row unless the same photo (client id or content) won a race; audit it."""
    new_id = insert_new(session, Photo, values, None)  # no target: any unique conflict means "already there"
    if new_id is None:  # the same photo arrived twice at once: keep the first
        first = _existing(session, inspection, item_id, stored.sha256, capture)
        if first is not None:
            return first
        raise InspectionError("同一张照片正在上传，请稍候刷新")
    photo = session.get(Photo, new_id)
    audit.record(session=session, user_id=by.id, action="photo", entity="photo", entity_id=photo.id,
                 after={"item": item_id, "sha256": stored.sha256, "original_sha256": photo.original_sha256,
                        "original_size": photo.original_size, "derived_from": photo.derived_from_id,
                        "flags": [f["code"] for f in photo.flags or []]})
    return photo


def _restored(session: Session, photo: Photo, by: User) -> Photo:
    """A deleted photo uploaded again to its item comes back (audit-logged); others are returned as they are."""
    if photo.deleted_at is None:
        return photo
    audit.record(session=session, user_id=by.id, action="photo_restore", entity="photo", entity_id=photo.id,
                 before={"deleted_at": photo.deleted_at.isoformat(), "reason": photo.delete_reason}, after=None)
    photo.deleted_at, photo.deleted_by_id, photo.delete_reason, photo.replaced_by_id = None, None, None, None
    session.add(photo)
    session.flush()
    return photo


def photos_of(*, session: Session, inspection: Inspection) -> dict[str, list[Photo]]:
    """The inspection's photos in use (not deleted) by item id, oldest first."""
    out: dict[str, list[Photo]] = {}
    for p in session.exec(select(Photo).where(Photo.inspection_id == inspection.id, Photo.deleted_at.is_(None))
                          .order_by(Photo.at, Photo.id)):
        out.setdefault(p.item_id, []).append(p)
    return out


def photo_counts(photos_by_item: dict[str, list[Photo]]) -> dict[str, int]:
    """Photos that count towards an item's required number: a marked-up copy is not another photo."""
    return {k: sum(1 for p in v if p.derived_from_id is None) for k, v in photos_by_item.items()}
