"""An inspection's running score totals (core.tally), kept in `inspection.tally` by every save.

`record_answer` calls `count_save` in the same transaction as the answer: the item's old and new
contribution change the counts, and the inspection's score, verdict and subsidy are written from
them, by compare-and-set on `inspection.tally_rev` (a concurrent save of another item of the same
inspection makes the loser read the counts again, locked, and add its change to them). Counts of
another basis, or none (an inspection older than migration 0012, a follow-up), are rebuilt from
all answers once. See docs/saves.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, cast, func, literal, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from ..core import scoring, tally
from ..core.checklist import ChecklistSpec, Item
from ..core.decision import Approval, verdict_and_subsidy
from ..models import Answer, Inspection, Photo, Site
from .answer_rows import COUNT_COLUMNS, notes_of, values_of

Side = tuple[Any, "str | None", bool]  # an item's value, note and whether the inspection answered it itself


def basis_of(inspection: Inspection, site: Site) -> tally.Basis:
    """What the inspection's counts depend on besides its answers."""
    scope = tuple(inspection.scope_items) if inspection.scope_items else None
    return tally.Basis(inspection.checklist_version_id, inspection.tier, site.site_type, scope,
                       inspection.follow_up_of_id)


def fresh(spec: ChecklistSpec, inspection: Inspection, site: Site) -> dict[str, Any]:
    """The counts of a new inspection without answers (services.inspections.start)."""
    return tally.build(spec, {}, {}, (), basis=basis_of(inspection, site))


def rebuild(*, session: Session, inspection: Inspection, spec: ChecklistSpec, basis: tally.Basis) -> dict[str, Any]:
    """The counts from every stored answer (a follow-up's over its original's, as decision() reads them)."""
    rows = session.execute(select(Answer.item_id, Answer.value, Answer.note)
                           .where(Answer.inspection_id == inspection.id)).all()
    values = {r.item_id: r.value for r in rows}
    notes = {r.item_id: r.note or "" for r in rows}
    if inspection.follow_up_of_id is not None:
        original = session.get(Inspection, inspection.follow_up_of_id)
        values = {**values_of(session=session, inspection=original), **values}
        notes = {**notes_of(session=session, inspection=original), **notes}
    return tally.build(spec, values, notes, {r.item_id for r in rows}, basis=basis)


def valid(inspection: Inspection, basis: tally.Basis) -> bool:
    """Whether the stored counts are of this basis."""
    return bool(inspection.tally) and inspection.tally.get("basis") == basis.key()


def decided(spec: ChecklistSpec, inspection: Inspection, site: Site, counts: dict) -> tuple[float | None, str, int | None]:
    """Score, verdict and subsidy of the counts: what services.inspections.decision() stores."""
    score, verdict = tally.outcome_of(spec, counts)
    verdict, subsidy = verdict_and_subsidy(spec, verdict, purpose=inspection.purpose, tier=inspection.tier,
                                           approval=approval_of(site))
    return score, verdict, subsidy


def _count_statement():
    """UPDATE inspection … WHERE tally_rev (compare-and-set), built once, on the table."""
    table = Inspection.__table__
    return (update(table).where(table.c.id == bindparam("inspection_id"), table.c.tally_rev == bindparam("old_rev"))
            .values({table.c[c]: bindparam(f"new_{c}", type_=table.c[c].type) for c in COUNT_COLUMNS}))


_COUNT = _count_statement()
_PHOTO = Photo.__table__.c
# photos that count towards an item's required number: not deleted, not a marked-up copy (evidence.photo_counts)
_PHOTO_COUNTS = (select(_PHOTO.item_id, func.count().label("n"))
                 .where(_PHOTO.inspection_id == bindparam("inspection_id"), _PHOTO.deleted_at.is_(None),
                        _PHOTO.derived_from_id.is_(None))
                 .group_by(_PHOTO.item_id))
_COUNTED = _PHOTO_COUNTS.subquery()
# The same counts as one text column ("item:n,item:n") that the save's single read carries
# (services/inspections.for_save), so a save needs no statement of its own for them. Item ids are
# [a-z0-9._-] (core.checklist.ID_RE): ':' and ',' never occur in them.
PHOTO_COUNTS_TEXT = select(func.aggregate_strings(_COUNTED.c.item_id + literal(":") + cast(_COUNTED.c.n, String),
                                                  ",")).scalar_subquery()


def photo_counts_of(text: str | None) -> dict[str, int]:
    """The counts by item from PHOTO_COUNTS_TEXT."""
    return {item: int(n) for item, _, n in (part.rpartition(":") for part in text.split(","))} if text else {}


def planned(*, inspection: Inspection, spec: ChecklistSpec, site: Site, item: Item, before: Side, after: Side,
            now) -> dict[str, Any] | None:
    """What the inspection's row holds after this one item's change (COUNT_COLUMNS), when its stored
    counts are of this basis; None when they must be rebuilt first (count_save does that)."""
    basis = basis_of(inspection, site)
    if not valid(inspection, basis):
        return None
    return _stored(spec, inspection, site, tally.change(inspection.tally, item, before, after, basis=basis), now)


def _stored(spec: ChecklistSpec, inspection: Inspection, site: Site, counts: dict, now) -> dict[str, Any]:
    """The inspection's COUNT_COLUMNS for these counts."""
    score, verdict, subsidy = decided(spec, inspection, site, counts)
    return {"tally": counts, "tally_rev": inspection.tally_rev + 1, "updated_at": now, "score": score,
            "verdict": verdict, "subsidy": subsidy}


def settle(inspection: Inspection, values: dict[str, Any]) -> None:
    """The loaded inspection takes what its row now holds, without reading it back."""
    for key, value in values.items():
        set_committed_value(inspection, key, value)


def count_save(*, session: Session, inspection: Inspection, spec: ChecklistSpec, site: Site, item: Item,
               before: Side, after: Side, now, stale: bool = False) -> dict[str, Any]:
    """Add one item's change to the counts and store them with the score, verdict and subsidy.

    `stale`: another save of this inspection is known to have counted since its counts were read
    (answer_rows.write_counted's own compare-and-set missed), so they are read again first."""
    basis = basis_of(inspection, site)
    for attempt in range(3):
        if stale:
            # another save of this inspection counted first: read its counts (locked on PostgreSQL, FOR NO
            # KEY UPDATE, which does not wait for the key-share lock a concurrent answer INSERT holds on the
            # inspection — FOR UPDATE would deadlock two such saves; on SQLite this transaction already
            # holds the write lock) and add this change to them
            row = session.execute(select(Inspection.tally, Inspection.tally_rev).where(Inspection.id == inspection.id)
                                  .with_for_update(key_share=True)).one()
            settle(inspection, {"tally": row.tally, "tally_rev": row.tally_rev})
        if valid(inspection, basis):
            counts = tally.change(inspection.tally, item, before, after, basis=basis)
        else:
            counts = rebuild(session=session, inspection=inspection, spec=spec, basis=basis)
        values = _stored(spec, inspection, site, counts, now)
        done = session.execute(_COUNT, {"inspection_id": inspection.id, "old_rev": inspection.tally_rev,
                                        **{f"new_{k}": v for k, v in values.items()}})
        if done.rowcount == 1:
            settle(inspection, values)
            return counts
        stale = True
    raise RuntimeError(f"inspection {inspection.id}: counts changed under three saves in a row")  # pragma: no cover


_PHOTO_ITEMS: dict[tuple, tuple[tuple[str, int], ...]] = {}


def photo_items(spec: ChecklistSpec, basis: tally.Basis) -> tuple[tuple[str, int], ...]:
    """The counted items that need photos, with how many, in checklist order."""
    key = (spec.content_hash, basis.tier, basis.site_type, basis.scope)
    found = _PHOTO_ITEMS.get(key)
    if found is None:
        if len(_PHOTO_ITEMS) > 1024:
            _PHOTO_ITEMS.clear()
        found = _PHOTO_ITEMS[key] = tuple(
            (i.id, i.evidence.photos) for i in spec.items()
            if i.evidence.photos > 0 and i.applies(basis.tier, basis.site_type)
            and (not basis.scope or i.id in basis.scope))
    return found


@dataclass(frozen=True)
class Standing:
    """What the progress bar shows after a save: the stored decision's verdict, subsidy and score,
    and the progress (read from the counts, not from every answer)."""

    verdict: str
    subsidy: int | None
    score: float | None
    progress: Any  # services.inspections.Progress
    earned: float = 0.0     # points earned and possible (weights), for the phone's own re-scoring
    possible: float = 0.0

    @property
    def verdict_label(self) -> str:
        """The verdict in Chinese."""
        return scoring.VERDICT_LABELS[self.verdict]

    @property
    def subsidy_words(self) -> str:
        """The money in words (as core.decision.Decision.subsidy_words)."""
        if self.subsidy is None:
            return ""
        return f"{self.subsidy:,} 元" if self.subsidy else "不予拨付"


@dataclass(frozen=True)
class Progress:
    """How far an inspection is: answered of total, critical items open, photos missing."""

    answered: int
    total: int
    critical_open: int
    photos_missing: int
    missing_photo_items: tuple[str, ...]

    @property
    def percent(self) -> int:
        """Answered share, 0–100."""
        return round(100 * self.answered / self.total) if self.total else 100


def standing(*, session: Session, inspection: Inspection, spec: ChecklistSpec, site: Site,
             photo_counts: dict[str, int] | None = None) -> Standing:
    """The inspection's standing from its counts and its photos by item (`photo_counts` when the
    caller read them already, else one count)."""
    basis = basis_of(inspection, site)
    counts = inspection.tally if valid(inspection, basis) else rebuild(session=session, inspection=inspection,
                                                                       spec=spec, basis=basis)
    needed = photo_items(spec, basis)
    have: dict[str, int] = photo_counts if photo_counts is not None else {}
    if needed and photo_counts is None:
        have = dict(session.execute(_PHOTO_COUNTS, {"inspection_id": inspection.id}).all())
    na = set(counts["na_photos"])
    missing = [(i, n - have.get(i, 0)) for i, n in needed if i not in na and have.get(i, 0) < n]
    if basis.scope:
        done, total, critical = counts["scope_done"], counts["scope_applicable"], counts["scope_critical_open"]
    else:
        done, total, critical = counts["answered"], counts["applicable"], counts["critical_open"]
    progress = Progress(done, total, critical, sum(n for _i, n in missing), tuple(i for i, _n in missing))
    score, verdict, subsidy = decided(spec, inspection, site, counts)
    return Standing(verdict, subsidy, score, progress, counts["earned"] / scoring.WEIGHT_UNITS,
                    counts["possible"] / scoring.WEIGHT_UNITS)


def approval_of(site: Site) -> Approval:
    """The site's approved category with its document."""
    return Approval(site.tier_applied, site.category_doc_number or "",
                    site.category_doc_date.isoformat() if site.category_doc_date else "")
