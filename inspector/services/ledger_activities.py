"""A member's activities on the 写实登记卡 (004 附件3), recorded from a phone with an optional photo, and
read back per member and year."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..core import ledger as core
from ..core import photos as photo_core
from ..core.photos import Upload  # a file from a form; callers take it from here too
from ..core.ledger import Invalid
from ..models import LedgerActivity, LedgerMember, Site, User, utcnow
from . import audit, rights


def _fields(form: Mapping[str, str], today: date) -> tuple[str, date, int, str]:
    """An activity's kind, date, minutes and note from the form; Invalid with every problem."""
    problems: list[str] = []
    kind = (form.get("kind") or "").strip()
    if kind not in core.KINDS:
        problems.append(f"请选择活动类型（{'、'.join(core.KINDS.values())}）")
    try:
        on = core.parse_date(form.get("on"), "活动日期")
        if on is None:
            problems.append("请填写活动日期")
        elif on > today:
            problems.append(f"活动日期 {on} 晚于今天")
    except ValueError as exc:
        on = None
        problems.append(str(exc))
    minutes = 0
    raw_hours = (form.get("hours") or "").strip()
    if raw_hours or kind != "suggestion":
        try:
            minutes = core.parse_hours(raw_hours)
        except ValueError as exc:
            problems.append(str(exc))
    note = (form.get("note") or "").strip()
    if kind == "suggestion" and not note:
        problems.append("意见建议请在“说明”中写明内容")
    if problems:
        raise Invalid(problems)
    return kind, on, minutes, note


def _store_photo(session: Session, member: LedgerMember, photo: Upload, *, by: User, media_root: Path,
                 max_bytes: int) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The photo watermarked with the community and the server's time, stored; Invalid when it is no photo."""
    site = session.get(Site, member.site_id)
    mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None, accuracy_m=None,
                                inspector=by.display_name)
    try:
        saved = photo_core.ingest(photo.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
    except photo_core.PhotoError as exc:
        raise Invalid([f"{photo.filename or '照片'}：{exc.reason}"]) from None
    stored = {"display": saved.display, "thumb": saved.thumb, "original": saved.original, "sha256": saved.sha256}
    return stored, tuple(saved.created)


def record_activity(*, session: Session, member: LedgerMember, form: Mapping[str, str], photo: Upload | None,
                    by: User, today: date, media_root: Path,
                    max_bytes: int = 25 * 1024 * 1024) -> tuple[LedgerActivity, tuple[str, ...]]:
    """Add an entry to the member's 写实登记卡; Invalid with every problem, nothing stored then.

    Returns the activity and the media files written (the caller removes them if its commit fails).
    """
    rights.require(by, "ledger_edit")
    kind, on, minutes, note = _fields(form, today)
    stored: dict[str, Any] | None = None
    created: tuple[str, ...] = ()
    if photo is not None and photo.data:
        stored, created = _store_photo(session, member, photo, by=by, media_root=media_root, max_bytes=max_bytes)
    try:
        row = LedgerActivity(member_id=member.id, on=on, minutes=minutes, kind=kind, note=note[:2000], photo=stored,
                             recorded_by_id=by.id)
        session.add(row)
        session.flush()
        audit.record(session=session, user_id=by.id, action="add", entity="ledgeractivity", entity_id=row.id,
                     after={"member": member.id, "on": on.isoformat(), "kind": kind, "minutes": minutes,
                            "photo": bool(stored)})
    except BaseException:
        photo_core.remove(media_root, created)  # the row was not stored: neither is its photo
        raise
    return row, created


def activities_of(*, session: Session, member_ids: Iterable[int], year: int | None = None) -> list[LedgerActivity]:
    """Activities of these members (in a year, if given), oldest first."""
    ids = list(member_ids)
    if not ids:
        return []
    q = select(LedgerActivity).where(LedgerActivity.member_id.in_(ids))
    if year is not None:
        q = q.where(LedgerActivity.on >= date(year, 1, 1), LedgerActivity.on <= date(year, 12, 31))
    return list(session.exec(q.order_by(LedgerActivity.on, LedgerActivity.id)))


def photo_path(row: LedgerActivity, size: str) -> str | None:
    """The stored path of an activity's photo at a size (thumb / display), or None."""
    if size not in ("thumb", "display") or not row.photo:
        return None
    return row.photo.get(size)
