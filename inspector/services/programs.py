"""Programs: their definitions (checklists/programs/*.yaml) and the steps with deadlines.

The definitions are each locality's procedure rules as data (core/programs.py validates them at
start); a village site is bound to one micro-project program, set by the county. A step has an
owner role, an optional due date and a completion; the open steps with a due date are what the
county and city see as "due soon" and "overdue".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from ..core import programs as core
from ..core.errors import DomainError
from ..core.workdays import Due
from ..models import ROLE_LABELS, ProgramStep, Region, Site, User, utcnow
from . import audit, rights
from .deadlines import store_due

PROGRAMS = ("red_landmark", "micro_project")
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "checklists" / "programs"
_DEFINITIONS: dict[str, core.ProgramSpec] = {}


class StepError(DomainError):
    """A step that cannot be opened or closed (wrong order, wrong role, already done): 409, it
    conflicts with where the procedure stands."""

    status = 409


class BindError(DomainError):
    """A program binding that is refused (unknown program, not a micro-project scheme); 422."""


# ---------------------------------------------------------------- definitions

def install(definitions: dict[str, core.ProgramSpec]) -> None:
    """Use these validated definitions (create_app loads them at start)."""
    _DEFINITIONS.clear()
    _DEFINITIONS.update(definitions)


def definitions() -> dict[str, core.ProgramSpec]:
    """Every program definition (loaded from checklists/programs/ on first use when none was installed)."""
    if not _DEFINITIONS:
        install(core.load_dir(DEFAULT_DIR))
    return _DEFINITIONS


def get(program_id: str | None) -> core.ProgramSpec | None:
    """A program by id, or None."""
    return definitions().get(program_id or "")


def of_kind(kind: str) -> list[core.ProgramSpec]:
    """The programs of a kind (micro_project, red_landmark, build_acceptance), by title."""
    return sorted((p for p in definitions().values() if p.kind == kind), key=lambda p: p.title)


def one(kind: str) -> core.ProgramSpec:
    """The single program of a procedure kind (red_landmark, build_acceptance)."""
    found = of_kind(kind)
    if not found:
        raise LookupError(f"没有 {kind} 程序定义文件")
    return found[0]


def of_site(site: Site) -> core.ProgramSpec | None:
    """The micro-project program a site is bound to, or None."""
    program = get(site.micro_program)
    return program if program is not None and program.kind == "micro_project" else None


def bind(*, session: Session, site: Site, program_id: str, by: User) -> Site:
    """Bind a village site to a micro-project program (county or admin); audit-logged."""
    rights.require(by, "micro_bind_program")
    program = get(program_id)
    if program is None or program.kind != "micro_project":
        raise BindError(f"没有这个微实事方案：{program_id!r}")
    before = site.micro_program
    site.micro_program = program.id
    session.add(site)
    audit.record(session=session, user_id=by.id, action="bind_program", entity="site", entity_id=site.id,
                 before={"program": before}, after={"program": program.id})
    return site


def open_step(*, session: Session, program: str, program_id: int, step: str, owner_role: str,
              region_id: int, due_date: date | Due | None = None, by: User | None = None) -> ProgramStep:
    """Open the next step of a program, owned by a role, due on a date (None = no deadline); a
    working-day deadline (Due) is stored as what it is, so a new holiday schedule can recount it."""
    if program not in PROGRAMS:
        raise StepError(f"未知的项目类型 {program!r}")
    row = ProgramStep(program=program, program_id=program_id, step=step, owner_role=owner_role,
                      region_id=region_id, due_date=due_date if isinstance(due_date, date) else None)
    if isinstance(due_date, Due):
        store_due(row, due_date)
        due_date = due_date.date
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id if by else None, action="open_step", entity=program,
                 entity_id=program_id, after={"step": step, "owner": owner_role,
                                              "due": due_date.isoformat() if due_date else None})
    return row


def current(*, session: Session, program: str, program_id: int) -> ProgramStep | None:
    """The program's open step (there is at most one), or None when it has finished."""
    return session.exec(select(ProgramStep).where(ProgramStep.program == program,
                                                  ProgramStep.program_id == program_id,
                                                  ProgramStep.done_at.is_(None))
                        .order_by(ProgramStep.id.desc())).first()


def history(*, session: Session, program: str, program_id: int) -> list[ProgramStep]:
    """Every step of a program, oldest first."""
    return list(session.exec(select(ProgramStep).where(ProgramStep.program == program,
                                                       ProgramStep.program_id == program_id)
                             .order_by(ProgramStep.id)))


def close_step(*, session: Session, program: str, program_id: int, step: str, by: User,
               outcome: str = "done", note: str = "") -> ProgramStep:
    """Complete the program's open step; it must be `step` and `by` must hold its owner role."""
    row = current(session=session, program=program, program_id=program_id)
    if row is None or row.step != step:
        raise StepError(f"当前不在“{step}”环节" + (f"（当前环节：{row.step}）" if row else "（流程已结束）"))
    if by.role != row.owner_role:
        raise StepError(f"“{row.step}”环节由{ROLE_LABELS.get(row.owner_role, row.owner_role)}办理")
    row.done_at = utcnow()
    row.done_by_id = by.id
    row.outcome = outcome
    row.note = note[:2000]
    session.add(row)
    audit.record(session=session, user_id=by.id, action="close_step", entity=program, entity_id=program_id,
                 before={"step": step}, after={"outcome": outcome, "note": row.note})
    return row


@dataclass(frozen=True)
class Countdown:
    """Days left until a due date (negative = overdue), in calendar days, as shown to a person."""

    due: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def words(self) -> str:
        if self.days_left < 0:
            return f"已逾期 {-self.days_left} 天"
        if self.days_left == 0:
            return "今天到期"
        return f"剩 {self.days_left} 天"


def countdown(due: date | None, today: date) -> Countdown | None:
    """The countdown to a due date as of `today`."""
    return Countdown(due, (due - today).days) if due is not None else None


def due_steps(*, session: Session, region: Region, today: date, within_days: int | None = None,
              program: str | None = None) -> list[tuple[ProgramStep, Countdown]]:
    """Open steps with a due date in the region's subtree: overdue first, then soonest.

    `within_days` keeps only those due by today + N days (None = all open steps with a date).
    """
    query = (select(ProgramStep).join(Region, ProgramStep.region_id == Region.id)
             .where(Region.path.startswith(region.path), ProgramStep.done_at.is_(None),
                    ProgramStep.due_date.is_not(None)))
    if program is not None:
        query = query.where(ProgramStep.program == program)
    rows = session.exec(query.order_by(ProgramStep.due_date, ProgramStep.id)).all()
    out = [(r, countdown(r.due_date, today)) for r in rows]
    if within_days is not None:
        out = [(r, c) for r, c in out if c.days_left <= within_days]
    return out
