"""Micro projects (微实事): application, routing by amount, notices, acceptance, evaluation, archive; the fund.

Life of a project (status): applied → (each step of its route) → approved | rejected;
approved → [optional plan notice, 003] → started → noticed (before/after photos and the completion
notice, 000 二 4) → accepting (acceptance inspection on the program's checklist, after the
notice period) → evaluated (residents' satisfaction, 001 二 7 “先验收、后评价”) → archived.
Every change writes the audit log; the rules themselves live in core/micro.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ..core import micro as rules
from ..core import photos as photo_core
from ..core.checklist import ChecklistSpec
from ..core.errors import DomainError
from ..core.workdays import Calendar, CalendarUnknown, Due
from ..models import (ROLE_LABELS, FundCommitment, FundMember, Inspection, MicroProject, Notice, Region, Site,
                      User, utcnow)
from . import audit, inspections, notices, notifications, programs, rights, scope

PROGRAM = "micro_project"
PURPOSE = "micro_project"
LIVE = ("applied", "approved", "started", "noticed", "accepting", "evaluated", "archived")  # count against the year


class MicroError(DomainError):
    """An action not possible now (wrong status, notice not over): answered 409 with the reason."""

    status = 409


class Invalid(DomainError):
    """Input that breaks rules: every problem, each with its field, rule and source (answered 422)."""

    status = 422

    def __init__(self, problems: list[rules.Problem]):
        self.problems = problems
        super().__init__("；".join(map(str, problems)))


def may(user: User, action: str) -> bool:
    """Whether the user's role allows a micro-project action (rights.ACTIONS["micro_" + action])."""
    return rights.can(user, "micro_" + action)


def require(user: User, action: str) -> None:
    """Raise rights.Forbidden naming the roles that may, unless the user's role allows the action."""
    rights.require(user, "micro_" + action)


def may_decide(user: User, step_row: Any) -> bool:
    """Whether the user's role owns an open route step (decide refuses every other role)."""
    return step_row is not None and step_row.done_at is None and user.role == step_row.owner_role


def _transition(project: MicroProject, action: str) -> None:
    """Raise MicroError unless the project's status allows the action."""
    error = rules.transition_error(action, project.status)
    if error:
        raise MicroError(error)


def _set_status(session: Session, project: MicroProject, status: str, by: User, action: str,
                after: dict[str, Any] | None = None) -> None:
    """Move the project to a status and write the audit row."""
    before = project.status
    project.status = status
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, user_id=by.id, action=action, entity=PROGRAM, entity_id=project.id,
                 before={"status": before}, after={"status": status, **(after or {})})


def _details(project: MicroProject, **changes: Any) -> None:
    """Replace the project's details JSON with changes applied (a new dict, so the change is saved)."""
    project.details = {**(project.details or {}), **changes}


# ---------------------------------------------------------------- reading

def get(*, session: Session, user: User, project_id: int) -> MicroProject | None:
    """A project of a site in the user's region, or None."""
    project = session.get(MicroProject, project_id)
    if project is None or scope.site(session=session, user=user, site_id=project.site_id) is None:
        return None
    return project


def listing(*, session: Session, region: Region, year: int | None = None, status: str | None = None,
            site_id: int | None = None) -> list[tuple[MicroProject, Site]]:
    """Projects of the region's sites, newest first, optionally of one year, one status, one site."""
    stmt = (select(MicroProject, Site).join(Site, MicroProject.site_id == Site.id)
            .join(Region, Site.region_id == Region.id).where(Region.path.startswith(region.path)))
    if site_id is not None:
        stmt = stmt.where(MicroProject.site_id == site_id)
    if year is not None:
        stmt = stmt.where(MicroProject.year == year)
    if status:
        stmt = stmt.where(MicroProject.status == status)
    return list(session.exec(stmt.order_by(MicroProject.created_at.desc(), MicroProject.id.desc())).all())


def years(*, session: Session, region: Region) -> list[int]:
    """The years that have projects in the region, newest first."""
    stmt = (select(MicroProject.year).join(Site, MicroProject.site_id == Site.id)
            .join(Region, Site.region_id == Region.id).where(Region.path.startswith(region.path)).distinct())
    return sorted(session.exec(stmt).all(), reverse=True)


LEGACY_PROGRAM = "zhengfang-town"  # projects from before program files followed seed 001's bands


def program_of(project: MicroProject) -> programs.core.ProgramSpec:
    """The program a project follows (its own, stored at application)."""
    found = programs.get(project.program or LEGACY_PROGRAM)
    if found is None:
        raise MicroError(f"找不到项目所依据的微实事方案“{project.program}”（checklists/programs/）")
    return found


def route_of(project: MicroProject) -> rules.Route:
    """The project's approval route, as stored when it applied (older projects: their program's band)."""
    stored = (project.details or {}).get("route")
    if stored:
        return rules.Route.from_snapshot(stored)
    band = program_of(project).band(project.route)
    if band is None:
        raise MicroError(f"项目的审批分档“{project.route}”不在方案“{project.program}”中")
    return rules.route_of_band(band)


def warnings_of(project: MicroProject) -> list[dict[str, str]]:
    """The “原则上” limits the project exceeds (stored at application), each with its override rule."""
    return list((project.details or {}).get("warnings") or [])


def overrides_of(project: MicroProject) -> list[dict[str, Any]]:
    """The township's recorded overrides (统筹调剂) with their reasons."""
    return list((project.details or {}).get("overrides") or [])


def steps_of(*, session: Session, project: MicroProject) -> list[tuple[rules.Step, Any]]:
    """Each step of the route with its ProgramStep row (None while not yet reached)."""
    rows = {r.step: r for r in programs.history(session=session, program=PROGRAM, program_id=project.id)}
    return [(step, rows.get(step.id)) for step in route_of(project).steps]


def year_items(*, session: Session, site_id: int, year: int, exclude: int | None = None) -> list[rules.YearItem]:
    """The site's projects of a year that count against its “1 + N” (all but rejected ones)."""
    stmt = select(MicroProject).where(MicroProject.site_id == site_id, MicroProject.year == year,
                                      MicroProject.status.in_(LIVE))
    return [rules.YearItem(p.name, p.size, p.budget_fen) for p in session.exec(stmt) if p.id != exclude]


def region_names(*, session: Session, site: Site) -> tuple[str, str]:
    """(township, village) names of a site's region, as published on a notice."""
    village = session.get(Region, site.region_id)
    township = session.get(Region, village.parent_id) if village and village.parent_id else None
    return (township.name if township else "", village.name if village else "")


def plan_notice(*, session: Session, project: MicroProject) -> Notice | None:
    """The project's plan notice, if one was posted."""
    notice_id = (project.details or {}).get("plan_notice_id")
    return session.get(Notice, notice_id) if notice_id else None


def completion_notice(*, session: Session, project: MicroProject) -> Notice | None:
    """The project's completion notice, if posted."""
    return session.get(Notice, project.notice_id) if project.notice_id else None


def acceptance(*, session: Session, project: MicroProject) -> Inspection | None:
    """The project's acceptance inspection, if started."""
    return session.get(Inspection, project.acceptance_id) if project.acceptance_id else None


def accepted(inspection: Inspection | None) -> bool:
    """Whether an acceptance inspection was submitted and passed."""
    return (inspection is not None and inspection.status in ("submitted", "resubmitted", "approved", "accepted")
            and inspection.verdict == "pass")


# ---------------------------------------------------------------- application and routing

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


def site_program(site: Site) -> programs.core.ProgramSpec:
    """The micro-project program of a site; MicroError when the county has not set one."""
    program = programs.of_site(site)
    if program is None:
        raise MicroError(f"{site.name}尚未指定适用的微实事方案：请县级在“微实事方案”页为本村（社区）指定后再申报")
    return program


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


def decide(*, session: Session, project: MicroProject, step_id: str, approve: bool, note: str, by: User,
           today: date, calendar: Calendar, amount: str = "") -> MicroProject:
    """The owner of the open step approves (the next step opens, or the project is approved) or rejects it."""
    _transition(project, "decide")
    route = route_of(project)
    step = route.step(step_id)
    current = programs.current(session=session, program=PROGRAM, program_id=project.id)
    if step is None or current is None or current.step != step_id:
        now = route.step(current.step).label if current is not None and route.step(current.step) else "无"
        raise MicroError(f"项目当前不在“{step.label if step else step_id}”环节（当前环节：{now}）")
    if by.role != current.owner_role:
        raise rights.Forbidden(f"“{step.label}”环节由{ROLE_LABELS.get(current.owner_role, current.owner_role)}办理")
    note = (note or "").strip()
    if not approve and not note:
        raise Invalid([rules.Problem("note", f"不同意“{step.label}”时请写明理由", route.source)])
    override = step_id == rules.OVERRIDE_STEP
    if override and approve and not note:
        warned = warnings_of(project)
        raise Invalid([rules.Problem("note", "统筹调剂须写明理由：" + "；".join(w["rule"] for w in warned),
                                     warned[0]["override_source"] if warned else route.source)])
    approved_fen = None
    if step.sets_amount and approve:
        try:
            approved_fen = rules.parse_money(amount)
        except rules.MoneyError as exc:
            raise Invalid([rules.Problem("amount", f"请按标准核定项目经费：{exc}", route.source)]) from None
        if not 0 < approved_fen <= project.budget_fen:
            raise Invalid([rules.Problem("amount", (f"核定经费应大于 0、不超过申报预算 {rules.format_money(project.budget_fen)}，"
                                                    f"填写的是 {rules.format_money(approved_fen)}"), route.source)])
    programs.close_step(session=session, program=PROGRAM, program_id=project.id, step=step_id, by=by,
                        outcome="approved" if approve else "rejected", note=note)
    if approved_fen is not None:
        _details(project, approved_fen=approved_fen, approved_by=by.id, approved_on=today.isoformat())
        audit.record(session=session, user_id=by.id, action="set_funds", entity=PROGRAM, entity_id=project.id,
                     before={"budget_fen": project.budget_fen}, after={"approved_fen": approved_fen})
    if override and approve:
        record = {"limits": [w["limit_id"] for w in warnings_of(project)], "reason": note[:2000], "by": by.id,
                  "by_name": by.display_name, "on": today.isoformat()}
        _details(project, overrides=[*overrides_of(project), record])
        audit.record(session=session, user_id=by.id, action="override", entity=PROGRAM, entity_id=project.id,
                     after=record)
    if not approve:
        _set_status(session, project, "rejected", by, "reject", {"step": step_id, "note": note[:2000]})
        return project
    following = route.after(step_id)
    if following is not None:
        project.updated_at = utcnow()
        session.add(project)
        _open(session, project, following, site=session.get(Site, project.site_id), by=by, today=today,
              calendar=calendar)
    else:
        _set_status(session, project, "approved", by, "approve", {"step": step_id})
    return project


# ---------------------------------------------------------------- notices

def _issuer(village: str, given: str) -> str:
    """Who posts a notice: the form's words, or the village Party organization."""
    return given or (f"中共{village}委员会" if village else "")


def _contact(unit: str, phone: str) -> str:
    """The supervision line of a notice (000 附件2: 监督单位、监督电话)."""
    parts = [f"监督单位：{unit}" if unit else "", f"监督电话：{phone}" if phone else ""]
    return "　".join(p for p in parts if p)


def post_plan_notice(*, session: Session, project: MicroProject, form: Mapping[str, str], by: User, today: date,
                     calendar: Calendar) -> Notice:
    """Publicly notice an approved item as its program asks (001 二 7: 事项确定后公示; period from the program)."""
    require(by, "plan_notice")
    _transition(project, "plan_notice")
    defined = program_of(project).notice_gating("start")
    if defined is None:
        raise MicroError(f"“{program_of(project).title}”不设事项确定后的公示")
    if plan_notice(session=session, project=project) is not None:
        raise MicroError(f"本项目已发布{defined.label}")
    p: list[rules.Problem] = []
    place = (form.get("place") or "").strip()[:200]
    if not place:
        p.append(rules.Problem("place", f"请填写实施地点（{defined.when}公示{'、'.join(defined.contents)}）",
                               defined.source))
    start = _start_date(form.get("notice_start") or "", today, p, defined.source)
    days, dp = rules.read_working_days(form.get("working_days") or "", defined)
    p += dp
    if p:
        raise Invalid(p)
    site = session.get(Site, project.site_id)
    township, village = region_names(session=session, site=site)
    content = {
        "site": site.name, "region": f"{township} {village}".strip(),
        "sections": [
            {"label": "项目名称", "value": project.name},
            {"label": "事项内容", "value": project.description},
            {"label": "规模数量", "value": project.scale},
            {"label": "实施地点", "value": place},
            {"label": "实施时限", "value": f"{project.start_date.isoformat()} 至 {project.finish_date.isoformat()}"},
            {"label": "资金预算", "value": rules.format_money(project.budget_fen)},
            {"label": "经费来源", "value": project.fund_source},
            {"label": "事项效应", "value": project.expected_effect},
            {"label": "牵头党员/村（居）民代表", "value": project.lead_name},
            {"label": "联系电话", "value": project.lead_phone},
        ],
        "body": (form.get("body") or "").strip()[:2000],
        "photos": [],
        "contact": _contact((form.get("supervisor") or "").strip()[:100], (form.get("supervisor_phone") or "").strip()[:32]),
        "issuer": _issuer(village, (form.get("issuer") or "").strip()[:100]),
    }
    notice = _post(session, defined.kind, site, project, f"{project.name} {defined.label}", content, start, days,
                   calendar, by)
    _details(project, plan_notice_id=notice.id)
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, user_id=by.id, action="plan_notice", entity=PROGRAM, entity_id=project.id,
                 after={"notice": notice.id, "start": start.isoformat(), "end": notice.end_date.isoformat()})
    return notice


def _start_date(raw: str, today: date, p: list[rules.Problem], source: str) -> date | None:
    """A notice's first day from a form (default today); never before today."""
    raw = raw.strip()
    if not raw:
        return today
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        p.append(rules.Problem("notice_start", f"公示开始日期应为日期（如 2026-05-01），填写的是“{raw}”", source))
        return None
    if start < today:
        p.append(rules.Problem("notice_start", f"公示开始日期 {start} 早于今天 {today}，公示不能补记", source))
    return start


def _post(session, kind, site, project, title, content, start, days, calendar, by) -> Notice:
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


# ---------------------------------------------------------------- implementation

def start(*, session: Session, project: MicroProject, by: User, today: date) -> MicroProject:
    """Record that work began, after the notice its program asks for before work (001: 事项确定后公示)."""
    require(by, "start")
    _transition(project, "start")
    defined = program_of(project).notice_gating("start")
    notice = plan_notice(session=session, project=project)
    if defined is not None and notice is None:
        raise MicroError(f"{defined.when}要进行{defined.label}（{defined.source}），公示后才能开工")
    wait = defined.wait_for_end if defined is not None else True
    if notice is not None and wait and not notices.has_ended(notice, today):
        raise MicroError(f"{notice.title}期至 {notice.end_date.isoformat()}，公示期满后才能开工")
    if notice is not None and notices.open_objections(session=session, notice=notice):
        raise MicroError("公示期间收到的异议尚未处理，处理后才能开工")
    _details(project, started_on=today.isoformat())
    _set_status(session, project, "started", by, "start", {"on": today.isoformat()})
    return project


@dataclass(frozen=True)
class Upload:
    """A photo file from a form: its name (for messages) and bytes."""

    filename: str
    data: bytes


def complete(*, session: Session, project: MicroProject, form: Mapping[str, str], before: list[Upload],
             after: list[Upload], by: User, today: date, calendar: Calendar, media_root: Path,
             max_bytes: int = 25 * 1024 * 1024) -> tuple[Notice, tuple[str, ...]]:
    """Completion: before/after photos (≥ 1 each) and the completion notice for ≥ 5 working days (000 二 4).

    Nothing is stored when anything is refused: the photo files this call wrote are removed.
    Returns the notice and the media files this call created (the caller removes them if its
    commit fails).
    """
    require(by, "complete")
    _transition(project, "complete")
    defined = completion_definition(project)
    completion, problems = rules.read_completion(form, before=len(before), after=len(after), today=today,
                                                 notice=defined)
    if problems:
        raise Invalid(problems)
    site = session.get(Site, project.site_id)
    township, village = region_names(session=session, site=site)
    created: list[str] = []
    stored: list[dict[str, Any]] = []
    try:
        bad = []
        for kind, caption, uploads in (("before", "实施前", before), ("after", "完成后", after)):
            for up in uploads:
                mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None,
                                            accuracy_m=None, inspector=by.display_name)
                try:
                    photo = photo_core.ingest(up.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
                except photo_core.PhotoError as exc:
                    bad.append(rules.Problem(kind, f"{up.filename or '照片'}：{exc.reason}", rules.SRC_NOTICE_FORM))
                    continue
                created += photo.created
                stored.append({"kind": kind, "caption": caption, "display": photo.display, "thumb": photo.thumb,
                               "original": photo.original, "sha256": photo.sha256})
        if bad:
            raise Invalid(bad)
        content = {
            "site": site.name, "region": f"{township} {village}".strip(),
            "sections": [  # 000 附件2 项目完成情况公示
                {"label": "项目名称", "value": project.name},
                {"label": "牵头党员/村（居）民代表", "value": project.lead_name},
                {"label": "联系电话", "value": project.lead_phone},
                {"label": "村（社区）负责人", "value": completion.village_lead},
                {"label": "负责人联系电话", "value": completion.village_phone},
                {"label": "实用总资金", "value": rules.format_money(completion.spent_fen)},
                {"label": "资金来源", "value": project.fund_source},
            ],
            "body": completion.details,
            "photos": [{"caption": s["caption"], "display": s["display"], "thumb": s["thumb"]} for s in stored],
            "contact": _contact(completion.supervisor, completion.supervisor_phone),
            "issuer": _issuer(village, completion.issuer),
        }
        notice = _post(session, defined.kind, site, project, f"{project.name} {defined.label}", content,
                       completion.notice_start, completion.working_days, calendar, by)
    except BaseException:
        photo_core.remove(media_root, created)
        raise
    project.notice_id = notice.id
    _details(project, photos=stored, completion={
        "spent_fen": completion.spent_fen, "details": completion.details, "village_lead": completion.village_lead,
        "village_phone": completion.village_phone, "on": today.isoformat()})
    _set_status(session, project, "noticed", by, "complete",
                {"notice": notice.id, "photos": len(stored), "spent_fen": completion.spent_fen,
                 "notice_end": notice.end_date.isoformat()})
    return notice, tuple(created)


def completion_definition(project: MicroProject):
    """The notice the project's program asks for before acceptance (000 附件2; 001 资金使用情况和实施效果)."""
    defined = program_of(project).notice_gating("acceptance")
    if defined is None:
        raise MicroError(f"“{program_of(project).title}”未定义完工公示")
    return defined


def photo_path(project: MicroProject, n: int, size: str) -> str | None:
    """The stored path of the project's n-th photo at a size (thumb / display), or None."""
    if size not in ("thumb", "display"):
        return None
    items = (project.details or {}).get("photos") or []
    return items[n][size] if 0 <= n < len(items) else None


# ---------------------------------------------------------------- acceptance, evaluation, archive

def checklist_for(project: MicroProject) -> str:
    """The checklist a project's acceptance is walked on: its program's own (000 荷花街道, 001 郑坊镇 …)."""
    return program_of(project).acceptance.checklist


def start_acceptance(*, session: Session, project: MicroProject, spec: ChecklistSpec, by: User,
                     today: date) -> Inspection:
    """Start the acceptance inspection on the program's checklist, after the completion notice ended."""
    require(by, "acceptance")
    _transition(project, "acceptance")
    if spec.id != checklist_for(project):
        raise MicroError(f"本项目按《{program_of(project).title}》验收，应使用其验收清单，而不是《{spec.title}》")
    notice = completion_notice(session=session, project=project)
    if notice is None:  # pragma: no cover - “noticed” always has its notice
        raise MicroError("项目尚未发布完工公示")
    defined = completion_definition(project)
    if defined.wait_for_end and not notices.has_ended(notice, today):
        raise MicroError(f"{defined.label}期至 {notice.end_date.isoformat()}（{notice.working_days} 个工作日），"
                         f"公示结束后才能验收（{defined.source}）")
    if notices.open_objections(session=session, notice=notice):
        raise MicroError("完工公示期间收到的异议尚未处理，处理后才能验收")
    current = acceptance(session=session, project=project)
    if current is not None:
        if current.status in inspections.EDITABLE:
            raise MicroError("验收检查已开始，请继续填写")
        if accepted(current):
            raise MicroError("验收检查已合格，请登记满意度测评")
    site = session.get(Site, project.site_id)
    try:
        inspection = inspections.start(session=session, site=site, spec=spec, purpose=PURPOSE, tier=None, by=by)
    except inspections.InspectionError as exc:
        raise MicroError(str(exc)) from None
    history = list((project.details or {}).get("acceptance_history", []))
    if current is not None:
        history.append(current.id)
    project.acceptance_id = inspection.id
    _details(project, acceptance_history=history)
    _set_status(session, project, "accepting", by, "acceptance", {"inspection": inspection.id})
    return inspection


def record_satisfaction(*, session: Session, project: MicroProject, respondents: str, satisfied: str, by: User,
                        today: date) -> MicroProject:
    """Residents' satisfaction, after a passed acceptance (001 二 7 “先验收、后评价”); the rate is computed."""
    require(by, "satisfaction")
    _transition(project, "satisfaction")
    evaluation = program_of(project).evaluation
    if evaluation is None:
        raise MicroError(f"“{program_of(project).title}”不设满意度测评：验收合格后即可归档")
    inspection = acceptance(session=session, project=project)
    if not accepted(inspection):
        state = ("尚未提交" if inspection is None or inspection.status in inspections.EDITABLE
                 else "结论为不合格")
        raise MicroError(f"验收检查{state}：按照“先验收、后评价”的原则，验收合格后才能开展满意度测评"
                         f"（{evaluation.source}）")
    survey, problems = rules.read_satisfaction(respondents, satisfied)
    if problems:
        raise Invalid(problems)
    project.satisfaction = {"respondents": survey.respondents, "satisfied": survey.satisfied, "rate": survey.rate,
                            "on": today.isoformat(), "by": by.id}
    _set_status(session, project, "evaluated", by, "satisfaction", {"satisfaction": project.satisfaction})
    return project


def archive(*, session: Session, project: MicroProject, by: User) -> MicroProject:
    """Close the full-process archive (001 三 11); nothing changes afterwards."""
    require(by, "archive")
    _transition(project, "archive")
    if project.status == "accepting":
        if program_of(project).evaluation is not None:
            raise MicroError(f"按照“先验收、后评价”的原则，满意度测评后才能归档（{program_of(project).evaluation.source}）")
        if not accepted(acceptance(session=session, project=project)):
            raise MicroError("验收合格后才能归档")
    project.archived_at = utcnow()
    _set_status(session, project, "archived", by, "archive", {"archived_at": project.archived_at.isoformat()})
    return project


# ---------------------------------------------------------------- the fund (000 二 1)

@dataclass(frozen=True)
class FundLine:
    """A fund member's year: allocation, committed, remaining (fen)."""

    member: FundMember
    committed_fen: int

    @property
    def remaining_fen(self) -> int:
        return rules.remaining(self.member.allocation_fen, self.committed_fen)


def fund_of(site: Site):
    """The fund rule of the site's program; MicroError when its scheme gives members no fund."""
    program = site_program(site)
    if program.fund is None:
        raise MicroError(f"“{program.title}”未设党员、村（居）民代表个人微服务资金")
    return program.fund


def fund(*, session: Session, site: Site, year: int) -> list[FundLine]:
    """The site's fund members of a year with what each committed and has left."""
    members = session.exec(select(FundMember).where(FundMember.site_id == site.id, FundMember.year == year)
                           .order_by(FundMember.id)).all()
    sums = dict(session.exec(select(FundCommitment.member_id, func.sum(FundCommitment.amount_fen))
                             .where(FundCommitment.member_id.in_([m.id for m in members]))
                             .group_by(FundCommitment.member_id)).all()) if members else {}
    return [FundLine(m, int(sums.get(m.id) or 0)) for m in members]


def commitments(*, session: Session, site: Site, year: int) -> list[tuple[FundCommitment, FundMember, MicroProject]]:
    """Every commitment of the site's members in a year, oldest first."""
    stmt = (select(FundCommitment, FundMember, MicroProject)
            .join(FundMember, FundCommitment.member_id == FundMember.id)
            .join(MicroProject, FundCommitment.project_id == MicroProject.id)
            .where(FundMember.site_id == site.id, FundMember.year == year).order_by(FundCommitment.id))
    return list(session.exec(stmt).all())


def add_member(*, session: Session, site: Site, year: int, name: str, phone: str, kind: str, by: User) -> FundMember:
    """Give a Party member or residents' representative their allocation for a year (the program's fund, 000 二 1)."""
    require(by, "fund")
    fund_rule = fund_of(site)
    p: list[rules.Problem] = []
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name or len(name) > 64:
        p.append(rules.Problem("name", "请填写姓名（不超过 64 字）", rules.SRC_FUND))
    if phone and not rules.valid_phone(phone):
        p.append(rules.Problem("phone", f"电话“{phone}”格式不对", rules.SRC_FUND))
    if kind not in rules.MEMBER_KINDS:
        p.append(rules.Problem("kind", "请选择身份：党员或村（居）民代表", rules.SRC_FUND))
    if not 2000 <= year <= 2100:
        p.append(rules.Problem("year", f"年度 {year} 不对", rules.SRC_FUND))
    if not p and session.exec(select(FundMember).where(FundMember.site_id == site.id, FundMember.year == year,
                                                       FundMember.name == name, FundMember.phone == phone)).first():
        p.append(rules.Problem("name", f"{year} 年已登记“{name}”", rules.SRC_FUND))
    if p:
        raise Invalid(p)
    member = FundMember(site_id=site.id, year=year, name=name, phone=phone, kind=kind,
                        allocation_fen=int(fund_rule.per_member_yuan * 100))
    session.add(member)
    session.flush()
    audit.record(session=session, user_id=by.id, action="fund_member", entity="fundmember", entity_id=member.id,
                 after={"site": site.id, "year": year, "name": name, "kind": kind,
                        "allocation_fen": member.allocation_fen})
    return member


def commit(*, session: Session, site: Site, member_id: int, project_id: int, amount: str, by: User) -> FundCommitment:
    """A member commits part of their remaining allocation to a project of the same site and year."""
    require(by, "fund")
    member = session.get(FundMember, member_id) if member_id else None
    project = session.get(MicroProject, project_id) if project_id else None
    p: list[rules.Problem] = []
    if member is None or member.site_id != site.id:
        p.append(rules.Problem("member_id", "请选择本村（社区）登记的党员或村（居）民代表", rules.SRC_FUND))
    if project is None or project.site_id != site.id:
        p.append(rules.Problem("project_id", "请选择本村（社区）的微实事项目", rules.SRC_FUND))
    elif project.status in ("rejected", "archived"):
        p.append(rules.Problem("project_id", f"项目“{project.name}”{rules.STATUS_LABELS[project.status]}，不能再出资",
                               rules.SRC_FUND))
    if member is not None and project is not None and not p and member.year != project.year:
        p.append(rules.Problem("project_id", f"{member.name}的额度属于 {member.year} 年，项目属于 {project.year} 年",
                               rules.SRC_FUND))
    try:
        fen = rules.parse_money(amount)
    except rules.MoneyError as exc:
        p.append(rules.Problem("amount", str(exc), rules.SRC_FUND))
        fen = None
    if not p:
        if session.exec(select(FundCommitment).where(FundCommitment.member_id == member.id,
                                                     FundCommitment.project_id == project.id)).first():
            p.append(rules.Problem("member_id", f"{member.name}已为“{project.name}”出资", rules.SRC_FUND))
        else:
            used = session.exec(select(func.coalesce(func.sum(FundCommitment.amount_fen), 0))
                                .where(FundCommitment.member_id == member.id)).one()
            p += rules.check_commitment(fen, rules.remaining(member.allocation_fen, int(used)), member=member.name,
                                        allocation_fen=member.allocation_fen)
    if p:
        raise Invalid(p)
    row = FundCommitment(member_id=member.id, project_id=project.id, amount_fen=fen)
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="fund_commit", entity="fundcommitment", entity_id=row.id,
                 after={"member": member.id, "project": project.id, "amount_fen": fen})
    return row


# ---------------------------------------------------------------- documents from the project record (000 附件2–4)

REPORT_KINDS = ("micro_notice", "micro_acceptance", "plaque")


def of_acceptance(*, session: Session, inspection: Inspection) -> MicroProject | None:
    """The project an acceptance inspection belongs to (its current or an earlier acceptance), or None."""
    project = session.exec(select(MicroProject).where(MicroProject.acceptance_id == inspection.id)).first()
    if project is not None:
        return project
    for candidate in session.exec(select(MicroProject).where(MicroProject.site_id == inspection.site_id)):
        if inspection.id in ((candidate.details or {}).get("acceptance_history") or []):
            return candidate
    return None


def report_record(*, session: Session, inspection: Inspection, media_root: Path) -> dict[str, Any]:
    """Every field the notice, the acceptance form and the plaque print, taken from the project record.

    Nothing is typed again and no date is the issue day: the notice's own dates, the project's own
    name, lead, phone, fund source and photos. MicroError when the inspection belongs to no project.
    """
    project = of_acceptance(session=session, inspection=inspection)
    if project is None:
        raise MicroError("这次验收检查不属于任何微实事项目：请从微实事项目页开始验收，表格和公示从项目记录生成")
    return project_record(session=session, project=project, media_root=media_root)


def project_record(*, session: Session, project: MicroProject, media_root: Path) -> dict[str, Any]:
    """The project record as the seed's forms print it (附件1 申报表 to 附件4 标牌), plain JSON."""
    program = program_of(project)
    notice = completion_notice(session=session, project=project)
    defined = program.notice_gating("acceptance")
    completion = (project.details or {}).get("completion") or {}
    photos = [{"kind": p["kind"], "caption": p["caption"], "print": photo_core.print_copy(media_root, p["display"])}
              for p in (project.details or {}).get("photos") or []]
    plaque = program.plaque
    return {
        "id": project.id, "name": project.name, "year": project.year, "lead_name": project.lead_name,
        "lead_phone": project.lead_phone, "fund_source": project.fund_source, "budget_fen": project.budget_fen,
        "budget": rules.format_money(project.budget_fen), "members": len(project.members or []),
        "spent_fen": completion.get("spent_fen"),
        "spent": rules.format_money(completion["spent_fen"]) if completion.get("spent_fen") is not None else "",
        "details": completion.get("details", ""), "village_lead": completion.get("village_lead", ""),
        "village_phone": completion.get("village_phone", ""), "photos": photos,
        "description": project.description, "scale": project.scale, "expected_effect": project.expected_effect,
        "start_date": project.start_date.isoformat(), "finish_date": project.finish_date.isoformat(),
        "member_list": [{"name": m.get("name", ""), "phone": m.get("phone", ""), "kind": m.get("kind", "")}
                        for m in project.members or []],
        "household_list": [{"name": h.get("name", ""), "phone": h.get("phone", "")} for h in project.households or []],
        "notice": None if notice is None else {
            "start": notice.start_date.isoformat(), "end": notice.end_date.isoformat(),
            "working_days": notice.working_days, "public_id": notice.public_id, "title": notice.title,
            "provisional": notice.provisional,
            "contact": (notice.content or {}).get("contact", ""), "issuer": (notice.content or {}).get("issuer", ""),
            "label": defined.label if defined else "", "rule": defined.period.words() if defined else "",
            "source": (defined.period.source or defined.source) if defined else ""},
        "program": {"id": program.id, "title": program.title, "locality": program.locality},
        "plaque": None if plaque is None else {
            "width_cm": float(plaque.width_cm), "height_cm": float(plaque.height_cm), "material": plaque.material,
            "wordings": list(plaque.wordings), "issuer": plaque.issuer, "source": plaque.source},
    }


def report_fields(kind: str, record: dict[str, Any]) -> dict[str, str]:
    """A report's inputs from the record (what the generic report form would otherwise ask for)."""
    if kind == "micro_notice":
        if record["notice"] is None:
            raise MicroError(f"项目“{record['name']}”尚未发布完工公示")
        return {"project_name": record["name"], "notice_start": record["notice"]["start"]}
    if kind == "micro_acceptance":
        return {"project_name": record["name"], "lead": record["lead_name"], "phone": record["lead_phone"]}
    if kind == "plaque":
        if record["plaque"] is None:
            raise MicroError(f"“{record['program']['title']}”不设项目标牌")
        return {"project_name": record["name"], "issuer": record["plaque"]["issuer"], "year": str(record["year"])}
    raise MicroError(f"未知的微实事报告 {kind!r}")
