"""Steps due in a region, of every program (red landmark, micro projects): one list, overdue first.

Each program says what its own steps are about (services/landmark_dates.py for applications, the
micro-project routes here); this module only puts them side by side.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..models import ROLE_LABELS, MicroProject, ProgramStep, Region, Site
from . import landmark_dates, micro, programs
from .landmark_steps import PROGRAM as LANDMARK

PROGRAM_LABELS = {LANDMARK: "红色地标", micro.PROGRAM: "微实事"}


@dataclass
class DueRow:
    """An open step with a due date, with what it is about."""

    step: ProgramStep
    countdown: programs.Countdown
    program_label: str
    subject: str
    label: str
    owner: str


def due(*, session: Session, region: Region, today: date) -> list[DueRow]:
    """Open steps of both programs with a due date in the region: overdue first, then soonest."""
    rows = programs.due_steps(session=session, region=region, today=today)
    subjects = landmark_dates.due_subjects(session=session, steps=[s for s, _c in rows if s.program == LANDMARK])
    subjects |= _micro_subjects(session, [s for s, _c in rows if s.program == micro.PROGRAM])
    out = [DueRow(s, c, PROGRAM_LABELS.get(s.program, s.program), *subjects.get(s.id, ("", s.step)),
                  ROLE_LABELS.get(s.owner_role, s.owner_role)) for s, c in rows]
    out.sort(key=lambda r: (not r.countdown.overdue, r.countdown.days_left, r.step.id))
    return out


def _micro_subjects(session: Session, steps: list[ProgramStep]) -> dict[int, tuple[str, str]]:
    """For each micro-project step (by id): (the site and project, the route step's name)."""
    ids = {s.program_id for s in steps}
    projects = {m.id: m for m in session.exec(select(MicroProject).where(MicroProject.id.in_(ids)))} if ids else {}
    site_ids = {m.site_id for m in projects.values()}
    sites = {s.id: s.name for s in session.exec(select(Site).where(Site.id.in_(site_ids)))} if site_ids else {}
    out = {}
    for s in steps:
        m = projects.get(s.program_id)
        subject = f"{sites.get(m.site_id, '')} · {m.name}" if m else f"第 {s.program_id} 号项目"
        step = _micro_step(m, s.step)
        out[s.id] = (subject, step.label if step else s.step)
    return out


def _micro_step(project: MicroProject | None, step_id: str):
    """A micro project's route step by id (None when unknown)."""
    if project is None:
        return None
    try:
        return micro.route_of(project).step(step_id)
    except micro.MicroError:
        return None
