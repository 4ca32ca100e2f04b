"""Micro projects: completion — before/after photos and the completion notice (000 二 4, 附件2)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from ..core import micro as rules
from ..core import photos as photo_core
from ..core.workdays import Calendar
from ..models import MicroProject, Notice, Site, User, utcnow
from .micro_notices import contact_line, issuer_of, post_notice
from .micro_state import (
    Invalid,
    check_transition,
    completion_definition,
    merge_details,
    region_names,
    require,
    set_status,
)


@dataclass(frozen=True)
class Upload:
    """A photo file from a form: its name (for messages) and bytes."""

    filename: str
    data: bytes


CAPTIONS = {"before": "实施前", "after": "完成后"}


def _ingest(uploads: dict[str, list[Upload]], *, site: Site, by: User, media_root: Path, max_bytes: int,
            created: list[str]) -> list[dict[str, Any]]:
    """Every upload through the photo pipeline (watermarked); Invalid naming each file refused."""
    stored: list[dict[str, Any]] = []
    bad = []
    for kind, ups in uploads.items():
        for up in ups:
            mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None,
                                        accuracy_m=None, inspector=by.display_name)
            try:
                photo = photo_core.ingest(up.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
            except photo_core.PhotoError as exc:
                bad.append(rules.Problem(kind, f"{up.filename or '照片'}：{exc.reason}", rules.SRC_NOTICE_FORM))
                continue
            created += photo.created
            stored.append({"kind": kind, "caption": CAPTIONS[kind], "display": photo.display, "thumb": photo.thumb,
                           "original": photo.original, "sha256": photo.sha256})
    if bad:
        raise Invalid(bad)
    return stored


def _content(project: MicroProject, site: Site, township: str, village: str, completion: rules.Completion,
             stored: list[dict[str, Any]]) -> dict[str, Any]:
    """What the completion notice publishes (000 附件2 项目完成情况公示)."""
    rows = (("项目名称", project.name), ("牵头党员/村（居）民代表", project.lead_name),
            ("联系电话", project.lead_phone), ("村（社区）负责人", completion.village_lead),
            ("负责人联系电话", completion.village_phone), ("实用总资金", rules.format_money(completion.spent_fen)),
            ("资金来源", project.fund_source))
    return {
        "site": site.name, "region": f"{township} {village}".strip(),
        "sections": [{"label": label, "value": value} for label, value in rows],
        "body": completion.details,
        "photos": [{"caption": s["caption"], "display": s["display"], "thumb": s["thumb"]} for s in stored],
        "contact": contact_line(completion.supervisor, completion.supervisor_phone),
        "issuer": issuer_of(village, completion.issuer),
    }


def complete(*, session: Session, project: MicroProject, form: Mapping[str, str], before: list[Upload],
             after: list[Upload], by: User, today: date, calendar: Calendar, media_root: Path,
             max_bytes: int = 25 * 1024 * 1024) -> tuple[Notice, tuple[str, ...]]:
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
        stored = _ingest({"before": before, "after": after}, site=site, by=by, media_root=media_root,
                         max_bytes=max_bytes, created=created)
        notice = post_notice(session, defined.kind, site, project, f"{project.name} {defined.label}",
                             _content(project, site, township, village, completion, stored),
                             completion.notice_start, completion.working_days, calendar, by)
    except BaseException:
        photo_core.remove(media_root, created)
        raise
    project.notice_id = notice.id
    merge_details(project, photos=stored, completion={
        "spent_fen": completion.spent_fen, "details": completion.details, "village_lead": completion.village_lead,
        "village_phone": completion.village_phone, "on": today.isoformat()})
    set_status(session, project, "noticed", by, "complete",
               {"notice": notice.id, "photos": len(stored), "spent_fen": completion.spent_fen,
                "notice_end": notice.end_date.isoformat()})
    return notice, tuple(created)


def photo_path(project: MicroProject, n: int, size: str) -> str | None:
    """The stored path of the project's n-th photo at a size (thumb / display), or None."""
    if size not in ("thumb", "display"):
        return None
    items = (project.details or {}).get("photos") or []
    return items[n][size] if 0 <= n < len(items) else None
