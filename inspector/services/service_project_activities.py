"""A service project's activities (seed 003 三（三）): recorded with their photos once the plan notice has
ended, and read back with their photos for the user's region."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from ..core import photos as photo_core
from ..core import service_projects as core
from ..core.ledger import Invalid, parse_date
from ..models import ServiceProject, ServiceProjectActivity, Site, User, utcnow
from . import rights
from .ledger_activities import Upload  # a photo from a form, as the ledger takes it
from .service_projects import check_step, get, notice_of, record_step, text_field


def _fields(form: Mapping[str, str], today: date, notice_end: date | None) -> tuple[date, str, int]:
    """The activity's date, place and participants; Invalid with every problem."""
    p: list[str] = []
    try:
        on = parse_date(form.get("on"), "活动日期")
    except ValueError as exc:
        on = None
        p.append(str(exc))
    if on is None and not p:
        p.append("请填写活动日期")
    if on is not None and on > today:
        p.append(f"活动日期 {on} 晚于今天")
    if on is not None and notice_end is not None and on <= notice_end:
        p.append(f"项目计划公示至 {notice_end}，公示期满后才能实施（{core.SRC_DESIGN}）")
    place = text_field(form, "place", 200)
    if not place:
        p.append("请填写活动地点")
    raw = (form.get("participants") or "").strip()
    if not raw.isdigit():
        p.append("参与人数应为整数")
    if p:
        raise Invalid(p)
    return on, place, int(raw)


def _store(photos: list[Upload], *, site: Site, by: User, media_root: Path,
           max_bytes: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The photos watermarked and stored (all or none); Invalid naming a file that is no photo."""
    created: list[str] = []
    stored: list[dict[str, Any]] = []
    try:
        for up in photos:
            mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None, accuracy_m=None,
                                        inspector=by.display_name)
            try:
                saved = photo_core.ingest(up.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
            except photo_core.PhotoError as exc:
                raise Invalid([f"{up.filename or '照片'}：{exc.reason}"]) from None
            created += saved.created
            stored.append({"display": saved.display, "thumb": saved.thumb, "original": saved.original,
                           "sha256": saved.sha256})
    except BaseException:
        photo_core.remove(media_root, created)
        raise
    return stored, created


def add_activity(*, session: Session, project: ServiceProject, form: Mapping[str, str], photos: list[Upload],
                 by: User, today: date, media_root: Path,
                 max_bytes: int = 25 * 1024 * 1024) -> tuple[ServiceProjectActivity, tuple[str, ...]]:
    """Record an activity (date, place, participants, photos) after the plan notice has ended."""
    rights.require(by, "projects_edit")
    check_step(project, "activity")
    notice = notice_of(session=session, project=project)
    on, place, participants = _fields(form, today, notice.end_date if notice is not None else None)
    stored, created = _store(photos, site=session.get(Site, project.site_id), by=by, media_root=media_root,
                             max_bytes=max_bytes)
    row = ServiceProjectActivity(project_id=project.id, on=on, place=place, participants=participants,
                                 note=text_field(form, "note", 2000), photos=stored, by_id=by.id)
    session.add(row)
    if project.running_since is None or on < project.running_since:
        project.running_since = on
    session.flush()
    record_step(session, project, "running" if project.status == "noticed" else None, by, "activity",
                {"activity": row.id, "on": on.isoformat(), "photos": len(stored)})
    return row, tuple(created)


def photo_path(row: ServiceProjectActivity, n: int, size: str) -> str | None:
    """The stored path of an activity's n-th photo at a size, or None."""
    if size not in ("thumb", "display") or not 0 <= n < len(row.photos or []):
        return None
    return row.photos[n][size]


def activity(*, session: Session, user: User, activity_id: int) -> ServiceProjectActivity | None:
    """An activity of a project the user may see, or None."""
    row = session.get(ServiceProjectActivity, activity_id)
    if row is None or get(session=session, user=user, project_id=row.project_id) is None:
        return None
    return row
