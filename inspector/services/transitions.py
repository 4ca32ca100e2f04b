"""The review status machine of an inspection: which action leads from which status to which, the
audited move itself, and the refusal every step of the review answers with.

    draft ──submit──▶ submitted ──approve──▶ approved ──accept / every signature──▶ accepted
      ▲                   │  └──reject──▶ rejected (completion acceptance not passed: rectify, follow up)
      │                return (a reason per item)
      │                   ▼
      └── (edit) ──── returned ──submit──▶ resubmitted ──approve / reject / return── …

A completion acceptance is approved, signed and accepted only while its decision
(`inspections.decision`) passes: 002 篇六 三 pays "对验收合格的" and refuses a project that changed
its design without approval outright.
"""
from __future__ import annotations

from sqlmodel import Session

from ..core.decision import Decision
from ..core.errors import DomainError
from ..models import LABELS, Inspection, User, utcnow
from . import audit
from .inspections import InspectionError

# action → {from status: to status}; anything else is refused with both statuses named.
TRANSITIONS = {
    "submit": {"draft": "submitted", "returned": "resubmitted"},
    "return": {"submitted": "returned", "resubmitted": "returned"},
    "approve": {"submitted": "approved", "resubmitted": "approved"},
    "accept": {"approved": "accepted"},
    "reject": {"submitted": "rejected", "resubmitted": "rejected"},
}
ACTION_LABELS = {"submit": "提交", "return": "退回", "approve": "审核通过", "accept": "验收",
                 "reject": "判定验收不通过"}


class ReviewError(InspectionError, DomainError):
    """A review step that is refused (wrong status, missing reasons or signers, a decision that does
    not pass, a bad signature): 422 with the reason. An InspectionError too, for its callers."""

    status = 422


def refuse_unless_passed(decision: Decision, action: str) -> None:
    """A completion acceptance whose decision does not pass cannot be approved, signed or accepted."""
    if decision.passed:
        return
    why = "；".join(decision.reasons[:8]) or decision.headline
    more = f"（另有 {len(decision.reasons) - 8} 条）" if len(decision.reasons) > 8 else ""
    raise ReviewError(f"验收结论为“{decision.headline}”，不能{action}：{why}{more}。"
                      "请判定验收不通过、整改后复查")


def next_status(inspection: Inspection, action: str) -> str:
    """The status an action leads to from the current one, or ReviewError naming both."""
    target = TRANSITIONS[action].get(inspection.status)
    if target is None:
        allowed = "、".join(LABELS[s] for s in TRANSITIONS[action])
        raise ReviewError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不能{ACTION_LABELS[action]}"
                          f"（只有“{allowed}”的检查可以{ACTION_LABELS[action]}）")
    return target


def refuse_unless_signing(inspection: Inspection) -> None:
    """Signatures are given only while the inspection is approved (waiting for them)."""
    if inspection.status != "approved":
        raise ReviewError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不在签字阶段")


def move(session: Session, inspection: Inspection, action: str, by: User, **after) -> None:
    """Change the status and write the audit row (who, when, before, after)."""
    before = inspection.status
    inspection.status = next_status(inspection, action)
    inspection.updated_at = utcnow()
    session.add(inspection)
    audit.record(session=session, user_id=by.id, action=action, entity="inspection", entity_id=inspection.id,
                 before={"status": before}, after={"status": inspection.status, **after})
