"""Micro projects: completion — before/after photos and the completion notice (000 二 4, 附件2).

The photos go through the same pipeline as an inspection's (core/photos.py `ingest`: checked,
watermarked, stored by content) and become `Photo` rows of the project, with the phone's position
when the form sends it and the evidence flags of core/evidence.py; one row per content hash and
project and side (the same file chosen twice is stored once; one file shown as both before
and after is flagged as reused).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..core import evidence as evidence_rules
from ..core import micro as rules
from ..core import photos as photo_core
from ..core.photos import Upload  # a file from a form; callers take it from here too
from ..core.geo import Position
from ..core.workdays import Calendar
from ..models import MicroProject, Notice, Photo, Site, User, utcnow
from .evidence import site_point
from .micro_notices import contact_line, issuer_of, post_notice
from .micro_state import (Invalid, check_transition, completion_definition, merge_details, region_names, require,
                          set_status)


CAPTIONS = {"before": "实施前", "after": "完成后"}
SIZES = ("thumb", "display")


def _ingest(uploads: dict[str, list[Upload]], *, mark: photo_core.Watermark, media_root: Path, max_bytes: int,
            created: list[str]) -> list[tuple[str, photo_core.StoredPhoto]]:
    """Every upload through the photo pipeline, once per side and content; Invalid naming each file refused."""
    stored: dict[tuple[str, str], photo_core.StoredPhoto] = {}
    bad = []
    for kind, ups in uploads.items():
        for up in ups:
            try:
                photo = photo_core.ingest(up.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
            except photo_core.PhotoError as exc:
                bad.append(rules.Problem(kind, f"{up.filename or '照片'}：{exc.reason}", rules.SRC_NOTICE_FORM))
                continue
            created += photo.created
            stored.setdefault((kind, photo.sha256), photo)
    if bad:
        raise Invalid(bad)
    return [(kind, photo) for (kind, _sha), photo in stored.items()]


def _other_uses(session: Session, sha256: str, project_id: int) -> int:
    """How many inspections and other projects already use a photo with this content."""
    same = or_(Photo.sha256 == sha256, Photo.original_sha256 == sha256)
    inspections = session.exec(select(func.count(func.distinct(Photo.inspection_id)))
                               .where(same, Photo.inspection_id.is_not(None), Photo.deleted_at.is_(None))).one()
    projects = session.exec(select(func.count(func.distinct(Photo.micro_project_id)))
                            .where(same, Photo.micro_project_id != project_id, Photo.deleted_at.is_(None))).one()
    return int(inspections) + int(projects)


def _row(session: Session, project: MicroProject, site: Site, kind: str, stored: photo_core.StoredPhoto, *,
         device: Position | None, by: User, now: datetime, accuracy_limit_m: float, both_sides: bool) -> Photo:
    """A photo row of the project, with its position and evidence flags (one photo shown as both before
    and after counts as reused)."""
    exif_gps = (stored.exif_lat, stored.exif_lon) if stored.exif_lat is not None else None
    uses = _other_uses(session, stored.sha256, project.id) + (1 if both_sides else 0)
    flags = evidence_rules.photo_flags(site=site_point(site), radius_m=site.geofence_m, device=device,
                                       exif_gps=exif_gps, exif_time=stored.exif_time, server_time=now,
                                       other_uses=uses, accuracy_limit_m=accuracy_limit_m)
    return Photo(micro_project_id=project.id, item_id=kind, caption=CAPTIONS[kind], sha256=stored.sha256,
                 size_bytes=stored.size_bytes, format=stored.format, width=stored.width, height=stored.height,
                 original=stored.original, display=stored.display, thumb=stored.thumb, exif_time=stored.exif_time,
                 exif_lat=stored.exif_lat, exif_lon=stored.exif_lon,
                 device_lat=device.lat if device else None, device_lon=device.lon if device else None,
                 device_accuracy_m=device.accuracy_m if device else None, flags=[asdict(f) for f in flags],
                 by_id=by.id, at=now, original_sha256=stored.sha256, original_size=stored.size_bytes)


def _content(project: MicroProject, site: Site, township: str, village: str, completion: rules.Completion,
             shots: list[Photo]) -> dict[str, Any]:
    """What the completion notice publishes (000 附件2 项目完成情况公示)."""
    rows = (("项目名称", project.name), ("牵头党员/村（居）民代表", project.lead_name),
            ("联系电话", project.lead_phone), ("村（社区）负责人", completion.village_lead),
            ("负责人联系电话", completion.village_phone), ("实用总资金", rules.format_money(completion.spent_fen)),
            ("资金来源", project.fund_source))
    return {
        "site": site.name, "region": f"{township} {village}".strip(),
        "sections": [{"label": label, "value": value} for label, value in rows],
        "body": completion.details,
        "photos": [{"caption": p.caption, "display": p.display, "thumb": p.thumb} for p in shots],
        "contact": contact_line(completion.supervisor, completion.supervisor_phone),
        "issuer": issuer_of(village, completion.issuer),
    }


def _store(session: Session, project: MicroProject, site: Site, uploads: dict[str, list[Upload]], *,
           device: Position | None, by: User, media_root: Path, max_bytes: int, accuracy_limit_m: float,
           created: list[str]) -> list[Photo]:
    """The uploads as the project's photo rows (flushed), the files they wrote listed in `created`."""
    now = utcnow()
    mark = photo_core.Watermark(site=site.name, server_time=now, lat=device.lat if device else None,
                                lon=device.lon if device else None,
                                accuracy_m=device.accuracy_m if device else None, inspector=by.display_name)
    stored = _ingest(uploads, mark=mark, media_root=media_root, max_bytes=max_bytes, created=created)
    sides = Counter(photo.sha256 for _kind, photo in stored)
    shots = [_row(session, project, site, kind, photo, device=device, by=by, now=now,
                  accuracy_limit_m=accuracy_limit_m, both_sides=sides[photo.sha256] > 1) for kind, photo in stored]
    session.add_all(shots)
    session.flush()
    return shots


def complete(*, session: Session, project: MicroProject, form: Mapping[str, str], before: list[Upload],
             after: list[Upload], by: User, today: date, calendar: Calendar, media_root: Path,
             max_bytes: int = 25 * 1024 * 1024, device: Position | None = None,
             accuracy_limit_m: float = evidence_rules.ACCURACY_LIMIT_M) -> tuple[Notice, tuple[str, ...]]:
    """Completion: before/after photos (≥ 1 each) and the completion notice for ≥ 5 working days (000 二 4).

    Nothing is stored when anything is refused: the photo files this call wrote are removed.
    Returns the notice and the media files this call created (the caller removes them if its
    commit fails).
    """
    require(by, "complete")
    check_transition(project, "complete")
    defined = completion_definition(project)
    completion, problems = rules.read_completion(form, before=len(before), after=len(after), today=today,
                                                 notice=defined)
    if problems:
        raise Invalid(problems)
    site = session.get(Site, project.site_id)
    township, village = region_names(session=session, site=site)
    created: list[str] = []
    try:
        shots = _store(session, project, site, {"before": before, "after": after}, device=device, by=by,
                       media_root=media_root, max_bytes=max_bytes, accuracy_limit_m=accuracy_limit_m,
                       created=created)
        notice = post_notice(session, defined.kind, site, project, f"{project.name} {defined.label}",
                             _content(project, site, township, village, completion, shots),
                             completion.notice_start, completion.working_days, calendar, by)
    except BaseException:
        photo_core.remove(media_root, created)
        raise
    _completed(session, project, notice, completion, shots, by, today)
    return notice, tuple(created)


def _completed(session: Session, project: MicroProject, notice: Notice, completion: rules.Completion,
               shots: list[Photo], by: User, today: date) -> None:
    """The project under its completion notice, with what was spent (audit-logged)."""
    project.notice_id = notice.id
    merge_details(project, completion={
        "spent_fen": completion.spent_fen, "details": completion.details, "village_lead": completion.village_lead,
        "village_phone": completion.village_phone, "on": today.isoformat()})
    set_status(session, project, "noticed", by, "complete",
               {"notice": notice.id, "photos": len(shots), "photo_ids": [p.id for p in shots],
                "spent_fen": completion.spent_fen, "notice_end": notice.end_date.isoformat(),
                "flags": sorted({f["code"] for p in shots for f in p.flags or []})})


def photos_of(*, session: Session, project: MicroProject) -> list[Photo]:
    """The project's photos in use, before ones first, each kind oldest first."""
    rows = session.exec(select(Photo).where(Photo.micro_project_id == project.id, Photo.deleted_at.is_(None))
                        .order_by(Photo.id)).all()
    return sorted(rows, key=lambda p: (list(CAPTIONS).index(p.item_id) if p.item_id in CAPTIONS else 2))


def photo_path(*, session: Session, project: MicroProject, n: int, size: str) -> str | None:
    """The stored path of the project's n-th photo (0-based, as listed) at a size (thumb / display), or None."""
    if size not in SIZES:
        return None
    shots = photos_of(session=session, project=project)
    return getattr(shots[n], size) if 0 <= n < len(shots) else None
