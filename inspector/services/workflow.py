"""The review decisions on an inspection: return it with reasons, approve it (naming who must sign a
completion acceptance), judge a completion acceptance not passed, accept it; and what the summary
page reads of them (the trail, the reasons, what the user may do next).

Its parts live apart: the status machine and its refusal in `services.transitions`, the signatures
in `services.signoff`, the rectification loop in `services.rectification`; the names below them are
re-exported so that `workflow.sign(...)` and `workflow.start_follow_up(...)` keep working.

Who may do what is `services.rights`; where is `services.scope` (the views check both before
calling here, and every function here checks the role again so no caller can skip it).
"""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from ..core.decision import Decision
from ..core.workdays import Calendar
from ..models import AuditLog, Inspection, RectificationTask, ReturnReason, User, utcnow
from . import notifications, rights, signoff
from .inspections import refresh_decision, spec_for
# the parts, re-exported for the workflow's callers
from .rectification import (RECTIFICATION_WORKING_DAYS, close_rechecked, follow_ups_of, may_follow_up,  # noqa: F401
                            open_tasks, start_follow_up, tasks_of)
from .signoff import (PARTY_ROLES, SIGNATURE_MAX_BYTES, TEAM_MIN_DEFAULT, PartySlot, check_signers,  # noqa: F401
                      sign, sign_by_hand, signature_parties, signer_name, signoffs, store_signature, unsigned)
from .transitions import ACTION_LABELS, TRANSITIONS, ReviewError, move, next_status, refuse_unless_passed  # noqa: F401

TRAIL_ACTIONS = ("start", "submit", "return", "approve", "reject", "sign", "accept", "follow_up", "close_tasks")


# ---------------------------------------------------------------- return with reasons

def _return_rows(inspection: Inspection, reasons: dict[str, str], general: str, by: User) -> list[ReturnReason]:
    """The reasons of this return (per item, then overall), or ReviewError when there is none."""
    clean = {i: r.strip()[:2000] for i, r in reasons.items() if r and r.strip()}
    general = (general or "").strip()[:2000]
    if not clean and not general:
        raise ReviewError("退回时请至少填写一条退回原因（可针对具体条目）")
    rows = [ReturnReason(inspection_id=inspection.id, round=inspection.round + 1, item_id=i, reason=r, by_id=by.id)
            for i, r in clean.items()]
    if general:
        rows.append(ReturnReason(inspection_id=inspection.id, round=inspection.round + 1, item_id=None,
                                 reason=general, by_id=by.id))
    return rows


def return_for_changes(*, session: Session, inspection: Inspection, reasons: dict[str, str], general: str,
                       by: User) -> list[ReturnReason]:
    """Send a submitted inspection back with a reason on each item concerned (and/or overall).

    At least one reason is required; item ids must belong to the checklist.
    """
    rights.require(by, "review", inspection.purpose)
    next_status(inspection, "return")
    spec = spec_for(session=session, inspection=inspection)
    unknown = sorted(i for i in reasons if i not in spec.by_id)
    if unknown:
        raise ReviewError(f"清单中没有条目：{'、'.join(unknown)}")
    rows = _return_rows(inspection, reasons, general, by)
    inspection.round += 1
    session.add_all(rows)
    inspection.reviewed_by_id = by.id
    move(session, inspection, "return", by, round=inspection.round,
         reasons={(row.item_id or "*"): row.reason for row in rows})
    notifications.about_inspection(session=session, inspection=inspection, kind="returned", by=by,
                                   users=[notifications.author_of(session, inspection)],
                                   what=f"被退回修改（第 {inspection.round} 次，{len(rows)} 条原因），请按原因修改后重新提交")
    return rows


def reasons_of(*, session: Session, inspection: Inspection, latest_only: bool = True) -> list[ReturnReason]:
    """The return reasons (of the latest return by default), in the order given."""
    query = select(ReturnReason).where(ReturnReason.inspection_id == inspection.id)
    if latest_only:
        query = query.where(ReturnReason.round == inspection.round)
    return list(session.exec(query.order_by(ReturnReason.round, ReturnReason.id)))


# ---------------------------------------------------------------- approve, reject, accept

def approve(*, session: Session, inspection: Inspection, by: User, signers: dict[str, list[int]] | None = None,
            today: date, calendar: Calendar, named: dict[str, list[tuple[str, str]]] | None = None,
            team_min: int = TEAM_MIN_DEFAULT) -> list[RectificationTask]:
    """Approve a submitted inspection.

    Completion acceptance: only when its decision passes. `signers` names, per signature party,
    the users who must sign with their account and `named` the people without one (name, role),
    who sign by hand on the inspector's phone (one for a single party, at least one for an
    `each` party; the acceptance team at least `team_min`); the acceptance then stands only
    when all have signed. Failed items become rectification tasks due in RECTIFICATION_WORKING_DAYS
    working days; approving a follow-up closes the tasks it re-checked.
    """
    rights.require(by, "review", inspection.purpose)
    next_status(inspection, "approve")
    verdict = refresh_decision(session=session, inspection=inspection)
    result = verdict.outcome
    slots: list[signoff.Slot] = []
    if inspection.purpose == "completion_acceptance":
        refuse_unless_passed(verdict, "审核通过")
        slots = check_signers(session, inspection, signers or {}, named or {}, team_min)
    tasks = close_rechecked(session, inspection, result, by)
    tasks += open_tasks(session, inspection, result, today=today, calendar=calendar)
    inspection.approved_at = utcnow()
    inspection.reviewed_by_id = by.id
    signoff.assign(session, inspection, slots, by)
    move(session, inspection, "approve", by, score=result.score, verdict=verdict.verdict, subsidy=verdict.subsidy,
         signers=[[p, u or n] for p, u, n, _r in slots], tasks=[t.item_id for t in tasks if t.status == "open"])
    notifications.approved(session=session, inspection=inspection, by=by, slots=slots, tasks=tasks)
    return tasks


def _refuse_unless_failed(verdict: Decision) -> None:
    """Only a completed acceptance whose decision does not pass is judged not passed."""
    if verdict.passed:
        raise ReviewError("验收结论为合格，不能判定不通过；如有异议请退回并写明原因")
    if verdict.verdict == "incomplete":
        raise ReviewError("检查尚未完成，不能作出验收结论；请退回补查")


def reject(*, session: Session, inspection: Inspection, by: User, today: date, calendar: Calendar,
           reason: str = "") -> list[RectificationTask]:
    """Record that a completion acceptance did not pass: 0 paid, failed items become rectification tasks.

    Refused when the decision passes (then approve it, or return it with reasons).
    """
    rights.require(by, "review", inspection.purpose)
    if inspection.purpose != "completion_acceptance":
        raise ReviewError("只有竣工验收需要判定验收不通过；其他检查请审核通过或退回")
    next_status(inspection, "reject")
    verdict = refresh_decision(session=session, inspection=inspection)
    _refuse_unless_failed(verdict)
    result = verdict.outcome
    tasks = close_rechecked(session, inspection, result, by)
    tasks += open_tasks(session, inspection, result, today=today, calendar=calendar)
    inspection.reviewed_by_id = by.id
    move(session, inspection, "reject", by, score=result.score, verdict=verdict.verdict, subsidy=0,
         reasons=list(verdict.reasons)[:20], note=(reason or "").strip()[:2000],
         tasks=[t.item_id for t in tasks if t.status == "open"])
    notifications.about_inspection(session=session, inspection=inspection, kind="rejected", by=by,
                                   users=[notifications.author_of(session, inspection)],
                                   what=f"判定验收不通过（不予拨付），{len(tasks)} 项转为整改任务，整改后复查")
    notifications.tasks_issued(session=session, inspection=inspection, tasks=tasks, by=by)
    return tasks


def accept(*, session: Session, inspection: Inspection, by: User) -> None:
    """Accept an approved inspection (completion acceptance is accepted by its signatures)."""
    if inspection.purpose == "completion_acceptance":
        next_status(inspection, "accept")
        refuse_unless_passed(refresh_decision(session=session, inspection=inspection), "验收")
        missing = unsigned(session=session, inspection=inspection)
        raise ReviewError("竣工验收须各方签字后自动生效" + (f"，尚未签字：{'、'.join(missing)}" if missing else ""))
    rights.require(by, "accept", inspection.purpose)
    next_status(inspection, "accept")
    inspection.accepted_at = utcnow()
    move(session, inspection, "accept", by)
    notifications.about_inspection(session=session, inspection=inspection, kind="accepted", what="已验收", by=by,
                                   users=[notifications.author_of(session, inspection)])


# ---------------------------------------------------------------- what the summary page reads

def trail(*, session: Session, inspection: Inspection) -> list[tuple[AuditLog, User | None]]:
    """The inspection's workflow steps from the audit log, each with who took it, oldest first."""
    rows = session.exec(select(AuditLog, User).join(User, AuditLog.user_id == User.id, isouter=True)
                        .where(AuditLog.entity == "inspection", AuditLog.entity_id == inspection.id,
                               AuditLog.action.in_(TRAIL_ACTIONS)).order_by(AuditLog.id)).all()
    return [(a, u) for a, u in rows]


def may_review(user: User, inspection: Inspection) -> bool:
    """Whether the user may return, approve or reject this inspection now (buttons shown)."""
    return rights.can(user, "review", inspection.purpose) and inspection.status in TRANSITIONS["approve"]


def may_accept(user: User, inspection: Inspection) -> bool:
    """Whether the user may accept this inspection now (not a completion acceptance: its signatures do)."""
    return inspection.purpose != "completion_acceptance" and inspection.status == "approved" \
        and rights.can(user, "accept", inspection.purpose)
