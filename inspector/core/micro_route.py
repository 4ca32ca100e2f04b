"""Micro projects: the approval route of a project (its program's band) and the yearly limits. Pure."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from . import programs
from .micro_terms import SRC_ROUTING, Problem

# ---------------------------------------------------------------- routing (the program's approval chain)

@dataclass(frozen=True)
class Step:
    """One step of a route: its id, the role that owns it, what it is called, its period in working days."""

    id: str
    owner_role: str
    label: str
    working_days: int | None = None
    period_words: str = ""
    sets_amount: bool = False


@dataclass(frozen=True)
class Route:
    """Who decides a project of this amount, as ordered steps (a band of the program's approval chain)."""

    id: str
    label: str
    steps: tuple[Step, ...]
    source: str = SRC_ROUTING

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)

    def after(self, step_id: str) -> Step | None:
        """The step that follows `step_id`, or None when it is the last."""
        ids = [s.id for s in self.steps]
        i = ids.index(step_id)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None

    def snapshot(self) -> dict[str, Any]:
        """The route as stored with a project (a later change of the program file does not move it)."""
        return {"id": self.id, "label": self.label, "source": self.source, "steps": [asdict(s) for s in self.steps]}

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Route:
        """A stored route."""
        return cls(data["id"], data["label"], tuple(Step(**s) for s in data["steps"]), data.get("source", ""))


OVERRIDE_STEP = "township_override"


def route_of_band(band: programs.Band) -> Route:
    """A band of a program's approval chain as a route."""
    return Route(band.id, band.label, tuple(
        Step(s.id, s.role, s.label, s.period.days if s.period and s.period.unit == "working_days" else None,
             s.period.words() if s.period else "", s.sets_amount) for s in band.steps), band.source)


def route_for(budget_fen: int, program: programs.ProgramSpec) -> Route:
    """The approval route of a project by its budget, from the program's bands."""
    return route_of_band(program.band_for(budget_fen))


def with_override(route: Route, breaches: list[LimitBreach]) -> Route:
    """The route with the override step first when a limit written “原则上” is exceeded."""
    if not breaches:
        return route
    b = breaches[0]
    step = Step(OVERRIDE_STEP, b.override_role, f"{b.override_label}：超出“原则上”限额，须说明统筹调剂理由",
                None, "")
    return Route(route.id, route.label, (step, *route.steps), route.source)


# ---------------------------------------------------------------- yearly limits (the program's, with their force)

@dataclass(frozen=True)
class YearItem:
    """A project already counted against the village's year."""

    name: str
    size: str
    budget_fen: int


@dataclass(frozen=True)
class LimitBreach:
    """A limit written “原则上” that an application exceeds: a warning a named role may override."""

    limit_id: str
    rule: str
    source: str
    override_role: str
    override_label: str
    override_wording: str
    override_source: str

    def as_dict(self) -> dict[str, str]:
        """Plain data (stored with the project)."""
        return asdict(self)


def check_quota(*, program: programs.ProgramSpec, size: str, budget_fen: int,
                others: Iterable[YearItem]) -> tuple[list[Problem], list[LimitBreach]]:
    """The program's limits: hard ones refuse (problems), “原则上” ones warn (breaches to override)."""
    refusals, warnings = [], []
    found = programs.check_limits(program, size=size, budget_fen=budget_fen,
                                  others=[(o.name, o.size, o.budget_fen) for o in others])
    for limit, words in found:
        field_ = "size" if limit.measure == "year_count" else "budget"
        if limit.force == "hard":
            refusals.append(Problem(field_, words, limit.source))
        else:
            o = limit.override
            warnings.append(LimitBreach(limit.id, words, limit.source, o.role, o.label, o.wording, o.source))
    return refusals, warnings

