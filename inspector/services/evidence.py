"""Evidence: photos stored through the core pipeline, positions checked against the site."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from ..core import evidence, photos
from ..core.geo import Position
from ..models import Inspection, Photo, Site, User, utcnow
from ..db import insert_new
from . import audit
from .inspections import InspectionError, check_editable, spec_for


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
    """How many other inspections already use a photo with this content."""
    return session.exec(select(func.count(func.distinct(Photo.inspection_id)))
                        .where(Photo.sha256 == sha256, Photo.inspection_id != inspection_id)).one()


def attach_photo(*, session: Session, inspection: Inspection, item_id: str, data: bytes, device: Position | None,
                 by: User, media_root: Path, accuracy_limit_m: float, max_bytes: int = 25 * 1024 * 1024,
                 now: datetime | None = None) -> tuple[Photo, tuple[str, ...]]:
    """Store one photo for an item: pipeline, flags, row. A failure leaves no file and no row.

    Returns the photo and the media files this call created (the caller deletes them if its
    commit fails). Raises photos.PhotoError (with its HTTP status) for a rejected file,
    InspectionError otherwise.
    """
    spec = spec_for(session=session, inspection=inspection)
    check_editable(inspection=inspection, by=by, item_id=item_id, spec=spec)
    site = session.get(Site, inspection.site_id)
    now = now or utcnow()
    mark = photos.Watermark(site=site.name, server_time=now, lat=device.lat if device else None,
                            lon=device.lon if device else None, accuracy_m=device.accuracy_m if device else None,
                            inspector=by.display_name)
    stored = photos.ingest(data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
    try:
        existing = session.exec(select(Photo).where(Photo.inspection_id == inspection.id, Photo.item_id == item_id,
                                                    Photo.sha256 == stored.sha256)).first()
        if existing is not None:
            discard(session=session, media_root=media_root, created=stored.created)
            return existing, ()
        exif_gps = (stored.exif_lat, stored.exif_lon) if stored.exif_lat is not None else None
        flags = evidence.photo_flags(site=site_point(site), radius_m=site.geofence_m, device=device,
                                     exif_gps=exif_gps, exif_time=stored.exif_time, server_time=now,
                                     other_uses=other_uses(session=session, sha256=stored.sha256,
                                                           inspection_id=inspection.id),
                                     accuracy_limit_m=accuracy_limit_m)
        photo = Photo(inspection_id=inspection.id, item_id=item_id, sha256=stored.sha256, size_bytes=stored.size_bytes,
                      format=stored.format, width=stored.width, height=stored.height, original=stored.original,
                      display=stored.display, thumb=stored.thumb, exif_time=stored.exif_time,
                      exif_lat=stored.exif_lat, exif_lon=stored.exif_lon,
                      device_lat=device.lat if device else None, device_lon=device.lon if device else None,
                      device_accuracy_m=device.accuracy_m if device else None,
                      flags=[asdict(f) for f in flags], by_id=by.id, at=now)
        new_id = insert_new(session, Photo, photo.model_dump(exclude={"id"}), ["inspection_id", "item_id", "sha256"])
        if new_id is None:  # the same photo arrived twice at once: keep the first
            discard(session=session, media_root=media_root, created=stored.created)
            raise InspectionError("同一张照片正在上传，请稍候刷新")
        photo = session.get(Photo, new_id)
        audit.record(session=session, user_id=by.id, action="photo", entity="photo", entity_id=photo.id,
                     after={"item": item_id, "sha256": stored.sha256, "flags": [f.code for f in flags]})
        return photo, stored.created
    except InspectionError:
        raise
    except Exception:
        session.rollback()
        discard(session=session, media_root=media_root, created=stored.created)
        raise


def photos_of(*, session: Session, inspection: Inspection) -> dict[str, list[Photo]]:
    """The inspection's photos by item id, oldest first."""
    out: dict[str, list[Photo]] = {}
    for p in session.exec(select(Photo).where(Photo.inspection_id == inspection.id).order_by(Photo.at, Photo.id)):
        out.setdefault(p.item_id, []).append(p)
    return out
