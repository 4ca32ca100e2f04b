"""Running totals of an inspection's score, so a save judges only the item it changes. Pure.

`scoring.evaluate` walks every item to reach a verdict; the verdict only needs how many items
are open, failed mandatory, vetoed, … and the points earned and possible. Each item adds a fixed
`contribution` to those counts, given its value, its note and whether the inspection itself
answered it. The counts of an inspection are the sum of its items' contributions, so a save
adds (new contribution − old contribution) of one item, and `outcome_of` reads the same score
and verdict from the counts as `evaluate` from all answers (tests/test_save_speed.py checks
this over random answer sequences). Points are whole `scoring.weight_units`, so adding and
taking away never drifts.

A tally belongs to one basis (checklist version, tier, site type, follow-up scope): when any of
them changes it is rebuilt from all answers (`build`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import scoring
from .checklist import ChecklistSpec, Item

VERSION = 1
# counts kept per inspection; scope_*: a follow-up's own re-checks (services.inspections.progress)
KEYS = ("applicable", "answered", "open", "critical_open", "failed", "gates", "refusals", "vetoes", "missing",
        "advisory", "unexplained", "earned", "possible", "scope_applicable", "scope_done", "scope_critical_open")


@dataclass(frozen=True)
class Basis:
    """What the contributions depend on besides the answers."""

    checklist_version_id: int
    tier: str | None
    site_type: str | None
    scope: tuple[str, ...] | None = None  # a follow-up's items; None: every item counts
    follow_up_of_id: int | None = None

    def key(self) -> str:
        """The basis as one string, stored with the counts."""
        scope = ",".join(self.scope) if self.scope else ""
        return f"v{VERSION}|{self.checklist_version_id}|{self.tier or ''}|{self.site_type or ''}|{self.follow_up_of_id or ''}|{scope}"


def contribution(item: Item, value: Any, note: str | None, *, own: bool, basis: Basis) -> tuple[dict[str, int], bool]:
    """One item's share of the counts, and whether it is an item needing photos judged 不适用
    (its photos are then not missing). Mirrors scoring.evaluate and services.inspections.progress."""
    tier, site_type = basis.tier, basis.site_type
    if not item.applies(tier, site_type):
        return {}, False
    j = scoring.judge(item, value, tier=tier, site_type=site_type).result
    force = item.force(tier)
    critical = item.is_critical(tier)
    c = {"applicable": 1, "answered": int(j != scoring.OPEN)}
    if j == scoring.OPEN and force != "optional" and (item.weight > 0 or item.gate or critical):
        c["open"] = 1
        c["critical_open"] = int(item.gate or critical)
    if j == scoring.FAIL and force == "advisory":
        c["advisory"] = 1
        c["unexplained"] = int(not (note or "").strip())
    elif j == scoring.FAIL and force == "mandatory":
        c["failed"] = 1
        kind = ("gates" if item.gate else "refusals" if item.consequence == "refuse"
                else "missing" if item.consequence == "evidence" else "vetoes" if critical else None)
        if kind:
            c[kind] = 1
    if not (item.gate or item.kind == "text" or j == scoring.NA or force == "optional"):
        c["possible"] = scoring.weight_units(item)
        c["earned"] = c["possible"] if j == scoring.PASS else 0
    counted = not basis.scope or item.id in basis.scope
    if basis.scope and counted:
        c["scope_applicable"] = 1
        c["scope_done"] = int(own)
        c["scope_critical_open"] = int(not own and (item.gate or critical))
    return c, counted and j == scoring.NA and item.evidence.photos > 0


def empty() -> dict[str, Any]:
    """Counts of nothing."""
    return {**{k: 0 for k in KEYS}, "na_photos": []}


def build(spec: ChecklistSpec, values: Mapping[str, Any], notes: Mapping[str, str], own: Iterable[str], *,
          basis: Basis) -> dict[str, Any]:
    """The counts of an inspection from all its (effective) values and notes; `own`: the item ids
    the inspection answered itself."""
    own = set(own)
    counts = empty()
    for item in spec.items():
        c, na_photo = contribution(item, values.get(item.id), notes.get(item.id), own=item.id in own, basis=basis)
        for k, n in c.items():
            counts[k] += n
        if na_photo:
            counts["na_photos"].append(item.id)
    counts["na_photos"].sort()
    counts["basis"] = basis.key()
    return counts


def change(counts: Mapping[str, Any], item: Item, before: tuple[Any, str | None, bool],
           after: tuple[Any, str | None, bool], *, basis: Basis) -> dict[str, Any]:
    """The counts once one item goes from `before` to `after` (each: value, note, own answer)."""
    old, old_na = contribution(item, before[0], before[1], own=before[2], basis=basis)
    new, new_na = contribution(item, after[0], after[1], own=after[2], basis=basis)
    out = dict(counts)
    for k in set(old) | set(new):
        out[k] = out.get(k, 0) + new.get(k, 0) - old.get(k, 0)
    na = set(counts.get("na_photos") or ())
    if old_na and not new_na:
        na.discard(item.id)
    elif new_na:
        na.add(item.id)
    out["na_photos"] = sorted(na)
    return out


def outcome_of(spec: ChecklistSpec, counts: Mapping[str, Any]) -> tuple[float | None, str]:
    """The score and the checklist verdict the counts add up to (as scoring.evaluate decides)."""
    possible = counts["possible"]
    score = round(100.0 * counts["earned"] / possible, 2) if possible else None
    rule = "all" if spec.pass_score is None else "score"
    if counts["gates"]:
        verdict = scoring.INELIGIBLE
    elif counts["refusals"]:
        verdict = scoring.REFUSED
    elif counts["vetoes"]:
        verdict = scoring.VETOED
    elif counts["open"] or counts["unexplained"] or counts["answered"] == 0 or (rule == "score" and score is None):
        verdict = scoring.INCOMPLETE
    elif counts["missing"] or (rule == "all" and counts["failed"]) or (rule == "score" and score < spec.pass_score):
        verdict = scoring.FAILED
    else:
        verdict = scoring.PASSED
    return score, verdict
