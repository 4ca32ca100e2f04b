"""Micro projects: the application and its route of decisions (001 二 7 分级确定、即报即审)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session

from ..core import micro as rules
from ..core.workdays import Calendar, CalendarUnknown, Due
from ..models import ROLE_LABELS, MicroProject, Site, User, utcnow
from . import audit, notifications, programs, rights, scope
from .micro_state import (PROGRAM, Invalid, MicroError, check_transition, merge_details, overrides_of, require,
                          route_of, set_status, site_program, warnings_of, year_items)


def _due(today: date, calendar: Calendar, days: int | None = None) -> Due | None:
    """When a step opened today is due (its program's period, working days): None without one, or
    where strict mode refuses a year without its schedule."""
    if days is None:
        return None
    try:
        return calendar.deadline(today, days)
    except CalendarUnknown:
        return None


def _open(session: Session, project: MicroProject, step: rules.Step, *, site: Site, by: User, today: date,
          calendar: Calendar) -> None:
    """Open a route step, owned by its role, due after the program's period for it."""
    programs.open_step(session=session, program=PROGRAM, program_id=project.id, step=step.id,
                       owner_role=step.owner_role, region_id=site.region_id,
                       due_date=_due(today, calendar, step.working_days), by=by)
    notifications.step_opened(session=session, region_id=site.region_id, role=step.owner_role, target="micro",
                              target_id=project.id, what=f"{site.name}的微实事项目“{project.name}”：{step.label}，待您办理",
                              by=by)


def apply(*, session: Session, site: Site, form: Mapping[str, str], by: User, today: date,
          calendar: Calendar) -> MicroProject:
    """A village applies for a project at its own site; nothing is stored when any rule is broken."""
    require(by, "apply")
    if not scope.covers(session=session, user=by, region_id=site.region_id):
        raise rights.Forbidden("只能为本村（社区）的党群服务中心申报")
    program = site_program(site)
    reading = rules.read_application(form)
    problems = list(reading.problems)
    breaches: list[rules.LimitBreach] = []
    if reading.size and reading.budget_fen is not None and reading.start_date is not None:
        refusals, breaches = rules.check_quota(program=program, size=reading.size, budget_fen=reading.budget_fen,
                                               others=year_items(session=session, site_id=site.id,
                                                                 year=reading.start_date.year))
        problems += refusals
    if problems:
        raise Invalid(problems)
    a = reading.application
    route = rules.with_override(rules.route_for(a.budget_fen, program), breaches)
    project = MicroProject(
        site_id=site.id, year=a.start_date.year, size=a.size, name=a.name, lead_name=a.lead_name,
        lead_phone=a.lead_phone, description=a.description, scale=a.scale, expected_effect=a.expected_effect,
        budget_fen=a.budget_fen, fund_source=a.fund_source, start_date=a.start_date, finish_date=a.finish_date,
        members=[m.__dict__ for m in a.members], households=[h.__dict__ for h in a.households],
        spending=[s.__dict__ for s in a.spending], route=route.id, program=program.id, emergency=a.emergency,
        status="applied", created_by_id=by.id,
        details={"route": route.snapshot(), "warnings": [b.as_dict() for b in breaches]})
    session.add(project)
    session.flush()
    audit.record(session=session, user_id=by.id, action="apply", entity=PROGRAM, entity_id=project.id,
                 after={"site": site.id, "name": a.name, "budget_fen": a.budget_fen, "size": a.size,
                        "program": program.id, "route": route.id, "status": "applied",
                        "warnings": [b.limit_id for b in breaches]})
    _open(session, project, route.steps[0], site=site, by=by, today=today, calendar=calendar)
    return project


def _open_step(session: Session, project: MicroProject, route: rules.Route, step_id: str, by: User) -> rules.Step:
    """The step being decided: it must be the open one, and the user's role its owner."""
    step = route.step(step_id)
    current = programs.current(session=session, program=PROGRAM, program_id=project.id)
    if step is None or current is None or current.step != step_id:
        now = route.step(current.step).label if current is not None and route.step(current.step) else "无"
        raise MicroError(f"项目当前不在“{step.label if step else step_id}”环节（当前环节：{now}）")
    if by.role != current.owner_role:
        raise rights.Forbidden(f"“{step.label}”环节由{ROLE_LABELS.get(current.owner_role, current.owner_role)}办理")
    return step


def _check_note(project: MicroProject, route: rules.Route, step: rules.Step, approve: bool, note: str) -> None:
    """A refusal names its reason; an override (统筹调剂) names why the limit may be exceeded."""
    if not approve and not note:
        raise Invalid([rules.Problem("note", f"不同意“{step.label}”时请写明理由", route.source)])
    if step.id == rules.OVERRIDE_STEP and approve and not note:
        warned = warnings_of(project)
        raise Invalid([rules.Problem("note", "统筹调剂须写明理由：" + "；".join(w["rule"] for w in warned),
                                     warned[0]["override_source"] if warned else route.source)])


def _approved_amount(project: MicroProject, route: rules.Route, amount: str) -> int:
    """The amount a step that sets the funds approves: more than 0, no more than the budget."""
    try:
        approved_fen = rules.parse_money(amount)
    except rules.MoneyError as exc:
        raise Invalid([rules.Problem("amount", f"请按标准核定项目经费：{exc}", route.source)]) from None
    if not 0 < approved_fen <= project.budget_fen:
        raise Invalid([rules.Problem("amount", (f"核定经费应大于 0、不超过申报预算 {rules.format_money(project.budget_fen)}，"
                                                f"填写的是 {rules.format_money(approved_fen)}"), route.source)])
    return approved_fen


def _record_funds(session: Session, project: MicroProject, approved_fen: int, by: User, today: date) -> None:
    """The approved funds, kept with the project and audit-logged."""
    merge_details(project, approved_fen=approved_fen, approved_by=by.id, approved_on=today.isoformat())
    audit.record(session=session, user_id=by.id, action="set_funds", entity=PROGRAM, entity_id=project.id,
                 before={"budget_fen": project.budget_fen}, after={"approved_fen": approved_fen})


def _record_override(session: Session, project: MicroProject, note: str, by: User, today: date) -> None:
    """The township's override of a “原则上” limit, with its reason, kept with the project and audit-logged."""
    record = {"limits": [w["limit_id"] for w in warnings_of(project)], "reason": note[:2000], "by": by.id,
              "by_name": by.display_name, "on": today.isoformat()}
    merge_details(project, overrides=[*overrides_of(project), record])
    audit.record(session=session, user_id=by.id, action="override", entity=PROGRAM, entity_id=project.id,
                 after=record)


def decide(*, session: Session, project: MicroProject, step_id: str, approve: bool, note: str, by: User,
           today: date, calendar: Calendar, amount: str = "") -> MicroProject:
    """The owner of the open step approves (the next step opens, or the project is approved) or rejects it."""
    check_transition(project, "decide")
    route = route_of(project)
    step = _open_step(session, project, route, step_id, by)
    note = (note or "").strip()
    _check_note(project, route, step, approve, note)
    approved_fen = _approved_amount(project, route, amount) if step.sets_amount and approve else None
    programs.close_step(session=session, program=PROGRAM, program_id=project.id, step=step_id, by=by,
                        outcome="approved" if approve else "rejected", note=note)
    if approved_fen is not None:
        _record_funds(session, project, approved_fen, by, today)
    if step.id == rules.OVERRIDE_STEP and approve:
        _record_override(session, project, note, by, today)
    if not approve:
        set_status(session, project, "rejected", by, "reject", {"step": step_id, "note": note[:2000]})
        return project
    following = route.after(step_id)
    if following is None:
        set_status(session, project, "approved", by, "approve", {"step": step_id})
        return project
    project.updated_at = utcnow()
    session.add(project)
    _open(session, project, following, site=session.get(Site, project.site_id), by=by, today=today,
          calendar=calendar)
    return project
