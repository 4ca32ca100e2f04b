"""Inspections: start one on a fixed checklist version, record answers, score them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from ..core import scoring
from ..core.checklist import ChecklistSpec
from ..models import PURPOSES, Answer, ChecklistVersion, Inspection, Site, User, utcnow
from . import audit
from .checklists import ensure_version, spec_of


class InspectionError(ValueError):
    """A request that breaks a rule of inspections (wrong purpose, unknown item...)."""


@dataclass
class Conflict(Exception):
    """A save based on a stale version: someone else saved this item first."""

    current: Answer
    submitted: Any


def start(*, session: Session, site: Site, spec: ChecklistSpec, purpose: str, tier: str | None,
          by: User) -> Inspection:
    """Start an inspection of a site with this checklist; the checklist version is fixed now."""
    if purpose not in PURPOSES:
        raise InspectionError(f"未知的检查目的 {purpose!r}")
    if purpose not in spec.purposes:
        raise InspectionError(f"清单“{spec.title}”不用于该目的")
    if site.site_type not in spec.site_types:
        raise InspectionError(f"清单“{spec.title}”不适用于{site.site_type}")
    if spec.tiers and tier not in {t.id for t in spec.tiers}:
        raise InspectionError("请选择申报等级")
    if not spec.tiers:
        tier = None
    version = ensure_version(session=session, spec=spec)
    inspection = Inspection(site_id=site.id, checklist_version_id=version.id, purpose=purpose, tier=tier,
                            created_by_id=by.id)
    session.add(inspection)
    session.flush()
    audit.record(session=session, user_id=by.id, action="start", entity="inspection", entity_id=inspection.id,
                 after={"site": site.id, "checklist": spec.id, "hash": spec.content_hash, "purpose": purpose})
    return inspection


def spec_for(*, session: Session, inspection: Inspection) -> ChecklistSpec:
    """The checklist the inspection was started with."""
    return spec_of(session.get(ChecklistVersion, inspection.checklist_version_id))


def answers_of(*, session: Session, inspection: Inspection) -> dict[str, Answer]:
    """The inspection's answers by item id."""
    rows = session.exec(select(Answer).where(Answer.inspection_id == inspection.id))
    return {a.item_id: a for a in rows}


def record_answer(*, session: Session, inspection: Inspection, item_id: str, raw: Any, note: str | None,
                  by: User, base_version: int | None = None, client_id: str | None = None) -> Answer:
    """Store an answer: normalized, judged, versioned; a repeated save (same client id) changes nothing.

    Raises scoring.AnswerError for a value that does not fit the item, InspectionError for an
    unknown item, and Conflict when base_version is older than the stored answer.
    """
    spec = spec_for(session=session, inspection=inspection)
    item = spec.by_id.get(item_id)
    if item is None:
        raise InspectionError(f"清单中没有条目 {item_id!r}")
    site = session.get(Site, inspection.site_id)
    value = scoring.normalize(item, raw)
    result = scoring.judge(item, value, tier=inspection.tier, site_type=site.site_type).result
    current = session.exec(select(Answer).where(Answer.inspection_id == inspection.id,
                                                Answer.item_id == item_id)).first()
    if current is not None and client_id and current.client_id == client_id:
        return current
    if current is not None and base_version is not None and base_version != current.version:
        raise Conflict(current, value)
    before = None
    if current is None:
        current = Answer(inspection_id=inspection.id, item_id=item_id, by_id=by.id, version=0)
    else:
        before = {"value": current.value, "note": current.note, "version": current.version}
    current.value = value
    current.result = result
    if note is not None:
        current.note = note.strip()[:2000]
    current.by_id = by.id
    current.at = utcnow()
    current.version += 1
    current.client_id = client_id
    inspection.updated_at = current.at
    session.add(current)
    session.add(inspection)
    session.flush()
    audit.record(session=session, user_id=by.id, action="answer", entity="answer", entity_id=current.id,
                 before=before, after={"item": item_id, "value": value, "note": current.note, "version": current.version})
    return current


def outcome(*, session: Session, inspection: Inspection) -> scoring.Outcome:
    """Score the inspection at its own tier and site type."""
    spec = spec_for(session=session, inspection=inspection)
    site = session.get(Site, inspection.site_id)
    values = {k: a.value for k, a in answers_of(session=session, inspection=inspection).items()}
    return scoring.evaluate(spec, values, tier=inspection.tier, site_type=site.site_type)


def refresh_score(*, session: Session, inspection: Inspection) -> scoring.Outcome:
    """Recompute and store the inspection's score and verdict (for lists and dashboards)."""
    result = outcome(session=session, inspection=inspection)
    inspection.score = result.score
    inspection.verdict = result.verdict
    session.add(inspection)
    return result
