"""Red-landmark dates: the procedure's periods, the 4.2 b) year of operation, working-day due dates, and
what a due step of an application is about (for the due lists of services/due.py)."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from ..core import workdays
from ..models import ProgramStep, RedLandmarkApplication, Site
from .landmark_steps import LandmarkError, procedure, step_label


def _period_days(step: str) -> int:
    """The period of a step in the program file (days)."""
    return procedure().step(step).period.days


def review_days() -> int:
    """7.3: 接到县级组织部门申请后，市委组织部于 30 天内安排评审 (calendar days)."""
    return _period_days("city_review")


def notice_working_days() -> int:
    """7.4: 公示期为 7 个(人)工作日."""
    return _period_days("notice")


def eligible_from(operating_since: date) -> date:
    """The first day a center plaqued on `operating_since` has run ≥ 1 year (002 篇五 4.2 b).

    “1 年以上” includes exactly one year. A plaque hung on 29 February completes its year on
    1 March of the next (non-leap) year: 28 February would be a day short.
    """
    try:
        return operating_since.replace(year=operating_since.year + 1)
    except ValueError:  # 29 February → the next year has no such day
        return date(operating_since.year + 1, 3, 1)


def calendar_due(calendar: workdays.Calendar, start: date, n: int) -> workdays.Due:
    """n working days after `start` (provisional across a year without its schedule); strict
    mode's refusal becomes a LandmarkError."""
    try:
        return calendar.deadline(start, n)
    except workdays.CalendarUnknown as exc:
        raise LandmarkError(str(exc)) from None


def due_subjects(*, session: Session, steps: list[ProgramStep]) -> dict[int, tuple[str, str]]:
    """For each red-landmark step (by id): (what it is about — the site and year —, the step's name)."""
    ids = {s.program_id for s in steps}
    apps = {a.id: a for a in session.exec(select(RedLandmarkApplication)
                                          .where(RedLandmarkApplication.id.in_(ids)))} if ids else {}
    site_ids = {a.site_id for a in apps.values()}
    sites = {s.id: s.name for s in session.exec(select(Site).where(Site.id.in_(site_ids)))} if site_ids else {}
    out = {}
    for s in steps:
        a = apps.get(s.program_id)
        subject = f"{sites.get(a.site_id, '')}（{a.year} 年）" if a else f"第 {s.program_id} 号申报"
        out[s.id] = (subject, step_label(s.step))
    return out
