"""Public notices (公示): what is published, for how many working days, and objections received.

A notice's content is fixed when it is posted: the public page and the printed notice show
exactly `content`, nothing read live from the project or application behind it.
"""
from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..core.errors import DomainError
from ..core.workdays import Calendar
from ..models import Notice, Objection, Site, User
from . import audit

KINDS = {
    "red_landmark_result": ("红色地标评定结果公示", 7),   # 002 篇五 7.x: 公示 7 个工作日
    "micro_plan": ("微实事项目公示", 5),                 # 003: 项目计划公示不少于 5 个工作日
    "micro_completion": ("微实事项目完工公示", 1),       # the program file sets the period (000 二 4: 不少于 5 个工作日)
    "micro_item": ("微小事事项公示", 1),                 # 001 二 7: 事项确定后公示 (no period given: the program's setting)
}


class NoticeError(DomainError):
    """A notice that breaks its rule (too short a period, unknown kind); 422."""


def minimum_days(kind: str) -> int:
    """The shortest posting period the source allows for this kind, in working days."""
    if kind not in KINDS:
        raise NoticeError(f"未知的公示类型 {kind!r}")
    return KINDS[kind][1]


def post(*, session: Session, kind: str, site: Site, subject_id: int, title: str, content: dict[str, Any],
         start: date, working_days: int, calendar: Calendar, by: User) -> Notice:
    """Post a notice from `start` for `working_days` working days (at least the kind's minimum).

    The end date comes from the calendar (the posting day counts when it is a working day); it
    is provisional across a year without its schedule, and recounted when the schedule is
    entered (services/workcalendar.py). Strict mode raises workdays.CalendarUnknown instead.
    """
    least = minimum_days(kind)
    if working_days < least:
        raise NoticeError(f"{KINDS[kind][0]}期不少于 {least} 个工作日，填写的是 {working_days} 个工作日")
    due = calendar.deadline(start, working_days, "period")
    end = due.date
    notice = Notice(public_id=secrets.token_urlsafe(12), kind=kind, site_id=site.id, subject_id=subject_id,
                    title=title, content=content, start_date=start, end_date=end, working_days=working_days,
                    provisional=due.provisional, created_by_id=by.id)
    session.add(notice)
    session.flush()
    audit.record(session=session, user_id=by.id, action="post", entity="notice", entity_id=notice.id,
                 after={"kind": kind, "subject": subject_id, "start": start.isoformat(), "end": end.isoformat(),
                        "working_days": working_days, "provisional": due.provisional})
    return notice


def by_public_id(*, session: Session, public_id: str) -> Notice | None:
    """A posted notice by its public id (what the QR code carries), or None."""
    return session.exec(select(Notice).where(Notice.public_id == public_id)).first()


def has_ended(notice: Notice, today: date) -> bool:
    """Whether the posting period is over (the day after its last day or later)."""
    return today > notice.end_date


def record_objection(*, session: Session, notice: Notice, received_on: date, text: str, by: User) -> Objection:
    """Record an objection received during the posting period."""
    text = text.strip()
    if not text:
        raise NoticeError("请填写异议内容")
    if not notice.start_date <= received_on <= notice.end_date:
        raise NoticeError(f"异议应在公示期内（{notice.start_date} 至 {notice.end_date}）收到")
    row = Objection(notice_id=notice.id, received_on=received_on, text=text[:2000], recorded_by_id=by.id)
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="objection", entity="notice", entity_id=notice.id,
                 after={"objection": row.id, "received_on": received_on.isoformat()})
    return row


def resolve_objection(*, session: Session, objection: Objection, resolution: str, by: User) -> Objection:
    """Record how an objection was handled."""
    resolution = resolution.strip()
    if not resolution:
        raise NoticeError("请填写处理结果")
    before = objection.resolution
    objection.resolution = resolution[:2000]
    session.add(objection)
    audit.record(session=session, user_id=by.id, action="resolve", entity="objection", entity_id=objection.id,
                 before={"resolution": before}, after={"resolution": objection.resolution})
    return objection


def objections_of(*, session: Session, notice: Notice) -> list[Objection]:
    """The notice's objections, oldest first."""
    return list(session.exec(select(Objection).where(Objection.notice_id == notice.id).order_by(Objection.id)))


def open_objections(*, session: Session, notice: Notice) -> list[Objection]:
    """Objections not yet resolved (a title or acceptance waits for them)."""
    return [o for o in objections_of(session=session, notice=notice) if not o.resolution]
