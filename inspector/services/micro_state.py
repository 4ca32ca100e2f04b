"""Micro projects (微实事): the project's state — its errors, rights, status changes and every read of it.

The other micro modules (decide, notices, completion, acceptance, fund, documents) build on this one;
services/micro.py names them together for callers.
"""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..core import micro as rules
from ..core.errors import DomainError
from ..models import Inspection, MicroProject, Notice, Region, Site, User, utcnow
from . import audit, programs, rights, scope

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


def check_transition(project: MicroProject, action: str) -> None:
    """Raise MicroError unless the project's status allows the action."""
    error = rules.transition_error(action, project.status)
    if error:
        raise MicroError(error)


def set_status(session: Session, project: MicroProject, status: str, by: User, action: str,
                after: dict[str, Any] | None = None) -> None:
    """Move the project to a status and write the audit row."""
    before = project.status
    project.status = status
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, user_id=by.id, action=action, entity=PROGRAM, entity_id=project.id,
                 before={"status": before}, after={"status": status, **(after or {})})


def merge_details(project: MicroProject, **changes: Any) -> None:
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



def site_program(site: Site) -> programs.core.ProgramSpec:
    """The micro-project program of a site; MicroError when the county has not set one."""
    program = programs.of_site(site)
    if program is None:
        raise MicroError(f"{site.name}尚未指定适用的微实事方案：请县级在“微实事方案”页为本村（社区）指定后再申报")
    return program


def completion_definition(project: MicroProject):
    """The notice the project's program asks for before acceptance (000 附件2; 001 资金使用情况和实施效果)."""
    defined = program_of(project).notice_gating("acceptance")
    if defined is None:
        raise MicroError(f"“{program_of(project).title}”未定义完工公示")
    return defined



def checklist_for(project: MicroProject) -> str:
    """The checklist a project's acceptance is walked on: its program's own (000 荷花街道, 001 郑坊镇 …)."""
    return program_of(project).acceptance.checklist

