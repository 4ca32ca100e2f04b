"""The working-day calendar as the app uses it: schedules entered from the State Council's notice,
and every open working-day deadline recomputed when a year's schedule arrives.

A deadline is stored as what it is (start + n working days under a rule, see core/workdays.Due)
on three tables: rectification tasks, program steps and notices. Entering a year recomputes each
one still open; every change is audit-logged and kept as a `DeadlineChange`, shown to the owners
of the affected steps and on the verify page of any document that printed the old date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable

from sqlmodel import Session, select

from ..core import workdays
from ..core.errors import DomainError
from ..core.workdays import Calendar, Due, Schedule
from ..models import (CalendarYear, DeadlineChange, Inspection, MicroProject, Notice, ProgramStep,
                      RectificationTask, Region, Site, User, utcnow)
from . import audit, rights
from .deadlines import store_due

OVERSEERS = {"township", "county_reviewer", "city_reviewer", "admin"}  # see every change in their region


class ScheduleInvalid(DomainError):
    """An entered schedule with problems; `problems` names each line or date (answered 422)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；".join(problems))


# ---------------------------------------------------------------- the calendar

def schedule_of(row: CalendarYear) -> Schedule:
    """A stored year as the core's Schedule."""
    return Schedule(row.year, frozenset(map(date.fromisoformat, row.holidays)),
                    frozenset(map(date.fromisoformat, row.workdays)), number=row.number, title=row.title,
                    issued_on=row.issued_on, origin="database")


def entered(*, session: Session) -> list[CalendarYear]:
    """The years entered in the app, in year order."""
    return list(session.exec(select(CalendarYear).order_by(CalendarYear.year)))


def entered_year(*, session: Session, year: int) -> CalendarYear | None:
    """The schedule entered for one year, if any."""
    return session.exec(select(CalendarYear).where(CalendarYear.year == year)).first()


def calendar(*, session: Session, strict: bool = False, seed_file: Path | None = None) -> Calendar:
    """The calendar: chinese_calendar, the seed file, and the years entered in the app."""
    return workdays.load(seed_file, entered=[schedule_of(r) for r in entered(session=session)], strict=strict)


@dataclass(frozen=True)
class YearView:
    """One year as the admin page lists it: where its schedule comes from."""

    year: int
    kind: str          # package / file / database / provisional
    label: str
    holidays: tuple[tuple[date, str], ...] = ()
    workdays: tuple[date, ...] = ()


def years_overview(cal: Calendar, today: date, ahead: int = 2) -> list[YearView]:
    """This year, last year and `ahead` years to come: official or provisional, newest first."""
    out = []
    for year in range(today.year + ahead, today.year - 2, -1):
        s = cal.schedule(year)
        if s is not None:
            kind = "database" if s.origin == "database" else "file"
            out.append(YearView(year, kind, s.label, tuple((d, "") for d in sorted(s.holidays)), tuple(sorted(s.workdays))))
        elif workdays.PACKAGE_FIRST_YEAR <= year <= workdays.PACKAGE_LAST_YEAR:
            out.append(YearView(year, "package", f"《国务院办公厅关于{year}年部分节假日安排的通知》（随系统提供）"))
        elif year > workdays.PACKAGE_LAST_YEAR:
            out.append(YearView(year, "provisional", "暂定：按法定节假日推算，未计调休",
                                tuple(workdays.statutory_holidays(year).items())))
    return out


# ---------------------------------------------------------------- entering a year

def enter_year(*, session: Session, year: int, title: str, number: str, issued_on: date | None,
               holidays_text: str, workdays_text: str, by: User | None, today: date,
               strict: bool = False) -> tuple[CalendarYear, list[DeadlineChange]]:
    """Store a year's schedule from the State Council's notice (replacing an earlier entry of the
    same year), audit-log it, and recompute every open deadline; ScheduleInvalid lists problems."""
    if by is not None:
        rights.require(by, "edit_calendar")
    title, number = (title or "").strip(), (number or "").strip()
    holidays, problems = workdays.parse_day_lines(holidays_text, year, "放假日期")
    made_up, more = workdays.parse_day_lines(workdays_text, year, "调休上班")
    problems += more
    problems += workdays.check_schedule(year, holidays, made_up, number=number, title=title, issued_on=issued_on)
    if len(title) > 200 or len(number) > 80:
        problems.append("通知标题不超过 200 字，文号不超过 80 字")
    if problems:
        raise ScheduleInvalid(problems)
    row = session.exec(select(CalendarYear).where(CalendarYear.year == year)).first()
    before = _year_facts(row) if row else None
    row = row or CalendarYear(year=year, title=title, number=number, issued_on=issued_on, holidays=[], workdays=[])
    row.title, row.number, row.issued_on = title, number, issued_on
    row.holidays = [d.isoformat() for d in sorted(holidays)]
    row.workdays = [d.isoformat() for d in sorted(made_up)]
    row.entered_by_id, row.entered_at = (by.id if by else None), utcnow()
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id if by else None, action="enter_schedule", entity="calendaryear",
                 entity_id=row.id, before=before, after=_year_facts(row))
    cal = calendar(session=session, strict=strict)
    changes = recompute(session=session, calendar=cal, today=today, by=by,
                        reason=f"按{schedule_of(row).label}重新计算")
    return row, changes


def import_file(*, session: Session, path: Path, today: date) -> tuple[list[CalendarYear], list[DeadlineChange]]:
    """Enter every year of a file in the seed file's format (the `flask calendar import` command)."""
    rows, changes = [], []
    for s in workdays.read_file(path):
        lines = "\n".join(d.isoformat() for d in sorted(s.holidays))
        made_up = "\n".join(d.isoformat() for d in sorted(s.workdays))
        row, moved = enter_year(session=session, year=s.year, title=s.title or f"国务院办公厅关于{s.year}年部分节假日安排的通知",
                                number=s.number, issued_on=s.issued_on, holidays_text=lines, workdays_text=made_up,
                                by=None, today=today)
        rows.append(row)
        changes += moved
    return rows, changes


def _year_facts(row: CalendarYear) -> dict:
    """What the audit log keeps of an entered year."""
    return {"year": row.year, "title": row.title, "number": row.number, "issued_on": row.issued_on.isoformat(),
            "holidays": list(row.holidays), "workdays": list(row.workdays)}


# ---------------------------------------------------------------- deadlines


def recompute(*, session: Session, calendar: Calendar, today: date, by: User | None,
              reason: str) -> list[DeadlineChange]:
    """Count every open working-day deadline again with `calendar`; each one that moves (or
    stops being provisional) is updated, audit-logged and recorded as a DeadlineChange."""
    changes = []
    for row, what, region_id, owner in _open_deadlines(session, today):
        old = (row.due_date, row.due_provisional)
        due = calendar.deadline(row.due_from, row.due_working_days, row.due_rule)
        if (due.date, due.provisional) == old:
            continue
        store_due(row, due)
        session.add(row)
        changes.append(_changed(session, row, what, region_id, owner, old, due, reason, by))
    for notice, what, owner in _open_notices(session, today):
        old = (notice.end_date, notice.provisional)
        due = calendar.deadline(notice.start_date, notice.working_days, "period")
        if (due.date, due.provisional) == old:
            continue
        notice.content = restate_period(notice.content, old[0], due.date)
        notice.end_date, notice.provisional = due.date, due.provisional
        session.add(notice)
        site = session.get(Site, notice.site_id)
        changes.append(_changed(session, notice, what, site.region_id, owner, old, due, reason, by))
    session.flush()
    return changes


def _changed(session: Session, row, what: str, region_id: int, owner: str, old: tuple[date, bool], due: Due,
             reason: str, by: User | None) -> DeadlineChange:
    """Record one moved deadline: a DeadlineChange and an audit row."""
    entity = type(row).__name__.lower()
    change = DeadlineChange(entity=entity, entity_id=row.id, region_id=region_id, owner_role=owner, what=what[:300],
                            old_date=old[0], new_date=due.date, old_provisional=old[1],
                            new_provisional=due.provisional, reason=reason[:400])
    session.add(change)
    audit.record(session=session, user_id=by.id if by else None, action="recompute_deadline", entity=entity,
                 entity_id=row.id, before={"due": old[0].isoformat(), "provisional": old[1]},
                 after={"due": due.date.isoformat(), "provisional": due.provisional, "reason": reason})
    return change


def _open_deadlines(session: Session, today: date) -> Iterable[tuple]:
    """(row, what, region id, owner role) of every open task and step with a working-day deadline."""
    tasks = session.exec(select(RectificationTask, Site).join(Inspection, RectificationTask.inspection_id == Inspection.id)
                         .join(Site, Inspection.site_id == Site.id)
                         .where(RectificationTask.status == "open", RectificationTask.due_working_days.is_not(None))
                         .order_by(RectificationTask.id)).all()
    for task, site in tasks:
        yield task, f"整改期限：{site.name} · 第 {task.inspection_id} 号检查 · {task.item_id}", site.region_id, "village"
    steps = session.exec(select(ProgramStep).where(ProgramStep.done_at.is_(None),
                                                   ProgramStep.due_working_days.is_not(None))
                         .order_by(ProgramStep.id)).all()
    for step in steps:
        yield step, _step_words(session, step), step.region_id, step.owner_role


def _step_words(session: Session, step: ProgramStep) -> str:
    """A program step's deadline in words: programme, subject and step."""
    if step.program == "micro_project":
        project = session.get(MicroProject, step.program_id)
        return f"微实事办理期限：{project.name if project else f'第 {step.program_id} 号项目'}"
    from . import landmark
    return f"红色地标申报第 {step.program_id} 号 · {landmark.step_label(step.step)}期限"


def _open_notices(session: Session, today: date) -> Iterable[tuple[Notice, str, str]]:
    """(notice, what, owner role) of every posted notice whose period has not ended."""
    rows = session.exec(select(Notice).where(Notice.status == "posted", Notice.end_date >= today)
                        .order_by(Notice.id)).all()
    for n in rows:
        owner = "city_reviewer" if n.kind == "red_landmark_result" else "village"
        yield n, f"公示期：{n.title}", owner


def restate_period(content, old_end: date, new_end: date):
    """A notice's published content with its end date restated (the period is part of the text)."""
    old, new = old_end.isoformat(), new_end.isoformat()

    def walk(value):
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value
    return walk(content)


# ---------------------------------------------------------------- who is shown what

def changes_for(*, session: Session, user: User, limit: int = 20) -> list[DeadlineChange]:
    """Recent deadline changes in the user's region that concern them (their role's steps; every
    change for those who oversee the region), newest first."""
    region = session.get(Region, user.region_id)
    query = (select(DeadlineChange).join(Region, DeadlineChange.region_id == Region.id)
             .where(Region.path.startswith(region.path)))
    if user.role not in OVERSEERS:
        query = query.where(DeadlineChange.owner_role == user.role)
    return list(session.exec(query.order_by(DeadlineChange.id.desc()).limit(limit)))


def changes_of(*, session: Session, entity: str, ids: Iterable[int]) -> dict[int, DeadlineChange]:
    """The latest change of each of these rows (for a document's verify page), by row id."""
    ids = list(ids)
    if not ids:
        return {}
    rows = session.exec(select(DeadlineChange).where(DeadlineChange.entity == entity,
                                                     DeadlineChange.entity_id.in_(ids))
                        .order_by(DeadlineChange.id)).all()
    return {r.entity_id: r for r in rows}


# ---------------------------------------------------------------- dates printed in issued documents

PRINTED = {  # report kind -> (date field, start field, working days or an `extra` key, rule, label)
    "rectification": ("deadline", "issued", "deadline_days", "after", "整改期限"),
    "red_landmark": ("notice_end", "notice_start", 7, "period", "公示期满"),
    "micro_notice": ("notice_end", "notice_start", 5, "period", "公示期满"),
}


@dataclass(frozen=True)
class Restated:
    """A date an issued document printed, as the calendar counts it today."""

    label: str
    printed: date
    printed_provisional: bool
    now: date
    now_provisional: bool
    reason: str

    @property
    def changed(self) -> bool:
        return (self.printed, self.printed_provisional) != (self.now, self.now_provisional)


def restated(*, kind: str, inputs: dict, calendar: Calendar) -> Restated | None:
    """The document's working-day date counted again (the PDF itself never changes): None when
    the kind prints none, or the inputs lack it."""
    if kind not in PRINTED:
        return None
    field, start_field, days, rule, label = PRINTED[kind]
    dates, extra = inputs.get("dates") or {}, inputs.get("extra") or {}
    try:
        printed, start = date.fromisoformat(dates[field]), date.fromisoformat(dates[start_field])
        n = int(extra[days]) if isinstance(days, str) else days
        due = calendar.deadline(start, n, rule)
    except (KeyError, TypeError, ValueError):
        return None
    was_provisional = field in (dates.get("provisional") or [])
    notices = [calendar.schedule(y) for y in range(start.year, max(printed, due.date).year + 1)]
    named = "、".join(s.label for s in notices if s is not None and s.origin == "database")
    reason = (f"印发时该日期为暂定（按法定节假日推算）；{named}录入后按正式安排重新计算" if was_provisional and named
              else due.reason or "按当前工作日日历重新计算")
    return Restated(label, printed, was_provisional, due.date, due.provisional, reason)
