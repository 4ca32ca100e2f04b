"""Micro projects: the notices they post (003 plan notice, 001 事项公示) and the start of work."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session

from ..core import micro as rules
from ..core.workdays import Calendar, CalendarUnknown
from ..models import MicroProject, Notice, Site, User, utcnow
from . import audit, notices
from .micro_state import (PROGRAM, Invalid, MicroError, check_transition, merge_details, plan_notice, program_of,
                          region_names, require, set_status)


def issuer_of(village: str, given: str) -> str:
    """Who posts a notice: the form's words, or the village Party organization."""
    return given or (f"中共{village}委员会" if village else "")


def contact_line(unit: str, phone: str) -> str:
    """The supervision line of a notice (000 附件2: 监督单位、监督电话)."""
    parts = [f"监督单位：{unit}" if unit else "", f"监督电话：{phone}" if phone else ""]
    return "　".join(p for p in parts if p)


def _plan_form(form: Mapping[str, str], defined, today: date) -> tuple[str, date, int]:
    """The plan notice's place, first day and period from the form; Invalid with every problem."""
    p: list[rules.Problem] = []
    place = (form.get("place") or "").strip()[:200]
    if not place:
        p.append(rules.Problem("place", f"请填写实施地点（{defined.when}公示{'、'.join(defined.contents)}）",
                               defined.source))
    start = rules.read_notice_start(form.get("notice_start") or "", today, p, defined.source)
    days, dp = rules.read_working_days(form.get("working_days") or "", defined)
    p += dp
    if p:
        raise Invalid(p)
    return place, start, days


def _plan_content(project: MicroProject, site: Site, township: str, village: str, place: str,
                  form: Mapping[str, str]) -> dict:
    """What the plan notice publishes (001 二 7: 事项内容、规模数量、实施地点、实施时限、资金预算 …)."""
    rows = (("项目名称", project.name), ("事项内容", project.description), ("规模数量", project.scale),
            ("实施地点", place),
            ("实施时限", f"{project.start_date.isoformat()} 至 {project.finish_date.isoformat()}"),
            ("资金预算", rules.format_money(project.budget_fen)), ("经费来源", project.fund_source),
            ("事项效应", project.expected_effect), ("牵头党员/村（居）民代表", project.lead_name),
            ("联系电话", project.lead_phone))
    return {
        "site": site.name, "region": f"{township} {village}".strip(),
        "sections": [{"label": label, "value": value} for label, value in rows],
        "body": (form.get("body") or "").strip()[:2000],
        "photos": [],
        "contact": contact_line((form.get("supervisor") or "").strip()[:100],
                                (form.get("supervisor_phone") or "").strip()[:32]),
        "issuer": issuer_of(village, (form.get("issuer") or "").strip()[:100]),
    }


def post_plan_notice(*, session: Session, project: MicroProject, form: Mapping[str, str], by: User, today: date,
                     calendar: Calendar) -> Notice:
    """Publicly notice an approved item as its program asks (001 二 7: 事项确定后公示; period from the program)."""
    require(by, "plan_notice")
    check_transition(project, "plan_notice")
    defined = program_of(project).notice_gating("start")
    if defined is None:
        raise MicroError(f"“{program_of(project).title}”不设事项确定后的公示")
    if plan_notice(session=session, project=project) is not None:
        raise MicroError(f"本项目已发布{defined.label}")
    place, start, days = _plan_form(form, defined, today)
    site = session.get(Site, project.site_id)
    township, village = region_names(session=session, site=site)
    content = _plan_content(project, site, township, village, place, form)
    notice = post_notice(session, defined.kind, site, project, f"{project.name} {defined.label}", content, start,
                         days, calendar, by)
    merge_details(project, plan_notice_id=notice.id)
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, user_id=by.id, action="plan_notice", entity=PROGRAM, entity_id=project.id,
                 after={"notice": notice.id, "start": start.isoformat(), "end": notice.end_date.isoformat()})
    return notice


def post_notice(session, kind, site, project, title, content, start, days, calendar, by) -> Notice:
    """notices.post with its refusals turned into problems (minimum period, unknown calendar year)."""
    defined = next((n for n in program_of(project).notices if n.kind == kind), None)
    source = defined.source if defined else rules.SRC_PLAN_NOTICE
    try:
        return notices.post(session=session, kind=kind, site=site, subject_id=project.id, title=title[:200],
                            content=content, start=start, working_days=days, calendar=calendar, by=by)
    except notices.NoticeError as exc:
        raise Invalid([rules.Problem("working_days", str(exc), source)]) from None
    except CalendarUnknown as exc:
        raise Invalid([rules.Problem("notice_start", str(exc), source)]) from None


# ---------------------------------------------------------------- the start of work

def start(*, session: Session, project: MicroProject, by: User, today: date) -> MicroProject:
    """Record that work began, after the notice its program asks for before work (001: 事项确定后公示)."""
    require(by, "start")
    check_transition(project, "start")
    defined = program_of(project).notice_gating("start")
    notice = plan_notice(session=session, project=project)
    if defined is not None and notice is None:
        raise MicroError(f"{defined.when}要进行{defined.label}（{defined.source}），公示后才能开工")
    wait = defined.wait_for_end if defined is not None else True
    if notice is not None and wait and not notices.has_ended(notice, today):
        raise MicroError(f"{notice.title}期至 {notice.end_date.isoformat()}，公示期满后才能开工")
    if notice is not None and notices.open_objections(session=session, notice=notice):
        raise MicroError("公示期间收到的异议尚未处理，处理后才能开工")
    merge_details(project, started_on=today.isoformat())
    set_status(session, project, "started", by, "start", {"on": today.isoformat()})
    return project


