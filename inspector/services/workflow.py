"""The review workflow of an inspection, its sign-off and its rectification loop.

    draft ──submit──▶ submitted ──approve──▶ approved ──accept / every signature──▶ accepted
      ▲                   │
      │                return (a reason per item)
      │                   ▼
      └── (edit) ──── returned ──submit──▶ resubmitted ──approve / return── …

Who may do what is `services.rights`; where is `services.scope` (the views check both before
calling here, and every function here checks the role again so no caller can skip it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..core import scoring
from ..core.workdays import Calendar
from ..models import (LABELS, Inspection, Region, RectificationTask, ReturnReason, SignOff, Site, User, utcnow)
from . import audit, rights, users, workcalendar
from .inspections import InspectionError, refresh_score, spec_for

# action → {from status: to status}; anything else is refused with both statuses named.
TRANSITIONS = {
    "submit": {"draft": "submitted", "returned": "resubmitted"},
    "return": {"submitted": "returned", "resubmitted": "returned"},
    "approve": {"submitted": "approved", "resubmitted": "approved"},
    "accept": {"approved": "accepted"},
}
ACTION_LABELS = {"submit": "提交", "return": "退回", "approve": "审核通过", "accept": "验收"}

# Which roles may sign for each signature party of the checklist (build-standard 篇六 三:
# 乡镇相关同志、综合验收工作组全体成员、施工方负责人).
PARTY_ROLES = {
    "township-staff": ("township",),
    "acceptance-team": ("inspector", "county_reviewer"),
    "contractor-lead": ("contractor",),
}
RECTIFICATION_WORKING_DAYS = 20  # a county setting: the sources give no deadline for rectification


def _next_status(inspection: Inspection, action: str) -> str:
    """The status an action leads to from the current one, or InspectionError naming both."""
    target = TRANSITIONS[action].get(inspection.status)
    if target is None:
        allowed = "、".join(LABELS[s] for s in TRANSITIONS[action])
        raise InspectionError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不能{ACTION_LABELS[action]}"
                              f"（只有“{allowed}”的检查可以{ACTION_LABELS[action]}）")
    return target


def _move(session: Session, inspection: Inspection, action: str, by: User, **after) -> None:
    """Change the status and write the audit row (who, when, before, after)."""
    before = inspection.status
    inspection.status = _next_status(inspection, action)
    inspection.updated_at = utcnow()
    session.add(inspection)
    audit.record(session=session, user_id=by.id, action=action, entity="inspection", entity_id=inspection.id,
                 before={"status": before}, after={"status": inspection.status, **after})


# ---------------------------------------------------------------- return with reasons

def return_for_changes(*, session: Session, inspection: Inspection, reasons: dict[str, str], general: str,
                       by: User) -> list[ReturnReason]:
    """Send a submitted inspection back with a reason on each item concerned (and/or overall).

    At least one reason is required; item ids must belong to the checklist.
    """
    rights.require(by, "review", inspection.purpose)
    _next_status(inspection, "return")
    spec = spec_for(session=session, inspection=inspection)
    unknown = sorted(i for i in reasons if i not in spec.by_id)
    if unknown:
        raise InspectionError(f"清单中没有条目：{'、'.join(unknown)}")
    clean = {i: r.strip()[:2000] for i, r in reasons.items() if r and r.strip()}
    general = (general or "").strip()[:2000]
    if not clean and not general:
        raise InspectionError("退回时请至少填写一条退回原因（可针对具体条目）")
    inspection.round += 1
    rows = [ReturnReason(inspection_id=inspection.id, round=inspection.round, item_id=i, reason=r, by_id=by.id)
            for i, r in clean.items()]
    if general:
        rows.append(ReturnReason(inspection_id=inspection.id, round=inspection.round, item_id=None, reason=general,
                                 by_id=by.id))
    session.add_all(rows)
    inspection.reviewed_by_id = by.id
    _move(session, inspection, "return", by, round=inspection.round,
          reasons={(i or "*"): r for i, r in [(row.item_id, row.reason) for row in rows]})
    return rows


def reasons_of(*, session: Session, inspection: Inspection, latest_only: bool = True) -> list[ReturnReason]:
    """The return reasons (of the latest return by default), in the order given."""
    query = select(ReturnReason).where(ReturnReason.inspection_id == inspection.id)
    if latest_only:
        query = query.where(ReturnReason.round == inspection.round)
    return list(session.exec(query.order_by(ReturnReason.round, ReturnReason.id)))


# ---------------------------------------------------------------- approve, sign, accept

@dataclass(frozen=True)
class PartySlot:
    """A signature party of the checklist with the users who may sign for it."""

    id: str
    name: str
    each: bool
    candidates: tuple[User, ...]


def signature_parties(*, session: Session, inspection: Inspection) -> list[PartySlot]:
    """The checklist's signature parties, each with the active users of the right role whose region
    covers the site (a contractor is bound to the village they build for)."""
    spec = spec_for(session=session, inspection=inspection)
    if spec.signatures is None:
        return []
    site = session.get(Site, inspection.site_id)
    region = session.get(Region, site.region_id)
    ancestors = [int(x) for x in region.path.strip("/").split("/") if x]
    people = list(session.exec(select(User).where(User.region_id.in_(ancestors), User.active.is_(True))
                               .order_by(User.role, User.display_name)))
    return [PartySlot(p.id, p.name, p.each,
                      tuple(u for u in people if u.role in PARTY_ROLES.get(p.id, ()))) for p in spec.signatures.parties]


def approve(*, session: Session, inspection: Inspection, by: User, signers: dict[str, list[int]] | None = None,
            today: date, calendar: Calendar) -> list[RectificationTask]:
    """Approve a submitted inspection.

    Completion acceptance: `signers` names, per signature party, the users who must sign (one
    for a single party, at least one for an `each` party); the acceptance then stands only when
    all have signed. Failed items become rectification tasks due in RECTIFICATION_WORKING_DAYS
    working days; approving a follow-up closes the tasks it re-checked.
    """
    rights.require(by, "review", inspection.purpose)
    _next_status(inspection, "approve")
    result = refresh_score(session=session, inspection=inspection)
    slots = []
    if inspection.purpose == "completion_acceptance":
        slots = _check_signers(session, inspection, signers or {})
    tasks = _close_rechecked(session, inspection, result, by)
    tasks += _open_tasks(session, inspection, result, today=today, calendar=calendar)
    inspection.approved_at = utcnow()
    inspection.reviewed_by_id = by.id
    for party, user_id in slots:
        session.add(SignOff(inspection_id=inspection.id, party=party, user_id=user_id, assigned_by_id=by.id))
    _move(session, inspection, "approve", by, score=result.score, verdict=result.verdict,
          signers=[[p, u] for p, u in slots], tasks=[t.item_id for t in tasks if t.status == "open"])
    return tasks


def _check_signers(session: Session, inspection: Inspection, signers: dict[str, list[int]]) -> list[tuple[str, int]]:
    """The (party, user id) pairs to sign, or InspectionError naming the party that is wrong."""
    out = []
    for slot in signature_parties(session=session, inspection=inspection):
        chosen = list(dict.fromkeys(int(u) for u in signers.get(slot.id, [])))
        allowed = {u.id for u in slot.candidates}
        if not chosen:
            raise InspectionError(f"请指定签字人：{slot.name}")
        if not slot.each and len(chosen) > 1:
            raise InspectionError(f"“{slot.name}”只需一人签字")
        stray = [u for u in chosen if u not in allowed]
        if stray:
            raise InspectionError(f"所选人员不能代表“{slot.name}”签字（须为本站点所在地区的"
                                  f"{'、'.join(LABELS.get(r, r) if r != 'township' else '乡镇' for r in PARTY_ROLES.get(slot.id, ()))}账号）")
        out += [(slot.id, u) for u in chosen]
    return out


def signoffs(*, session: Session, inspection: Inspection) -> list[tuple[SignOff, User]]:
    """Required signatures with their users, in party order then by assignment."""
    rows = session.exec(select(SignOff, User).join(User, SignOff.user_id == User.id)
                        .where(SignOff.inspection_id == inspection.id).order_by(SignOff.id)).all()
    return [(s, u) for s, u in rows]


def sign(*, session: Session, inspection: Inspection, by: User, password: str) -> bool:
    """Sign a completion acceptance with one's own account (password re-entered).

    Returns True when this was the last signature: the acceptance then stands (status accepted).
    """
    if inspection.status != "approved":
        raise InspectionError(f"检查当前为“{LABELS.get(inspection.status, inspection.status)}”，不在签字阶段")
    mine = [s for s, u in signoffs(session=session, inspection=inspection) if u.id == by.id]
    if not mine:
        raise InspectionError("您不是本次验收的签字人")
    pending = [s for s in mine if s.signed_at is None]
    if not pending:
        raise InspectionError("您已签字，无需重复签字")
    if not users.check_password(by, password or ""):
        raise InspectionError("密码不正确，未签字")
    now = utcnow()
    for s in pending:
        s.signed_at = now
        session.add(s)
        audit.record(session=session, user_id=by.id, action="sign", entity="inspection", entity_id=inspection.id,
                     after={"party": s.party, "at": now.isoformat()})
    session.flush()
    if all(s.signed_at is not None for s, _u in signoffs(session=session, inspection=inspection)):
        inspection.accepted_at = now
        _move(session, inspection, "accept", by, by_signatures=True)
        return True
    return False


def accept(*, session: Session, inspection: Inspection, by: User) -> None:
    """Accept an approved inspection (completion acceptance is accepted by its signatures)."""
    if inspection.purpose == "completion_acceptance":
        _next_status(inspection, "accept")
        missing = [f"{u.display_name}（{s.party}）" for s, u in signoffs(session=session, inspection=inspection)
                   if s.signed_at is None]
        raise InspectionError("竣工验收须各方签字后自动生效" + (f"，尚未签字：{'、'.join(missing)}" if missing else ""))
    rights.require(by, "accept", inspection.purpose)
    _next_status(inspection, "accept")
    inspection.accepted_at = utcnow()
    _move(session, inspection, "accept", by)


# ---------------------------------------------------------------- rectification loop

def _open_tasks(session: Session, inspection: Inspection, result: scoring.Outcome, *, today: date,
                calendar: Calendar) -> list[RectificationTask]:
    """A task per failed item (of the follow-up's scope, for a follow-up), due in working days."""
    failed = [i for i in result.failed if not inspection.scope_items or i in inspection.scope_items]
    if not failed:
        return []
    due = calendar.deadline(today, RECTIFICATION_WORKING_DAYS)
    tasks = [RectificationTask(inspection_id=inspection.id, item_id=i, due_date=due.date) for i in failed]
    for task in tasks:
        workcalendar.store_due(task, due)
    session.add_all(tasks)
    session.flush()
    return tasks


def _close_rechecked(session: Session, follow_up: Inspection, result: scoring.Outcome, by: User) -> list:
    """Approving a follow-up closes the original's tasks it re-checked: fixed or not fixed."""
    if follow_up.follow_up_of_id is None:
        return []
    tasks = session.exec(select(RectificationTask).where(RectificationTask.follow_up_id == follow_up.id)).all()
    now = utcnow()
    for t in tasks:
        t.status = "fixed" if result.judgements[t.item_id].result in (scoring.PASS, scoring.NA) else "not_fixed"
        t.closed_at = now
        session.add(t)
    audit.record(session=session, user_id=by.id, action="close_tasks", entity="inspection",
                 entity_id=follow_up.follow_up_of_id, after={t.item_id: t.status for t in tasks})
    return []


def tasks_of(*, session: Session, inspection: Inspection) -> list[RectificationTask]:
    """The rectification tasks raised by an inspection, in checklist order of creation."""
    return list(session.exec(select(RectificationTask).where(RectificationTask.inspection_id == inspection.id)
                             .order_by(RectificationTask.id)))


def start_follow_up(*, session: Session, original: Inspection, by: User) -> Inspection:
    """A follow-up inspection that re-checks only the original's open rectification tasks.

    Same site, checklist version, purpose and tier; linked to the original; the tasks point to it.
    """
    rights.require(by, "rectify")
    rights.require(by, "start", original.purpose)
    if original.status not in ("approved", "accepted"):
        raise InspectionError("检查审核通过后才能整改复查")
    tasks = [t for t in tasks_of(session=session, inspection=original) if t.status == "open"]
    if not tasks:
        raise InspectionError("没有待复查的整改项")
    busy = [t for t in tasks if t.follow_up_id is not None]
    if busy:
        return session.get(Inspection, busy[0].follow_up_id)
    follow_up = Inspection(site_id=original.site_id, checklist_version_id=original.checklist_version_id,
                           purpose=original.purpose, tier=original.tier, created_by_id=by.id,
                           follow_up_of_id=original.id, scope_items=[t.item_id for t in tasks], start_flags=[])
    session.add(follow_up)
    session.flush()
    for t in tasks:
        t.follow_up_id = follow_up.id
        session.add(t)
    audit.record(session=session, user_id=by.id, action="follow_up", entity="inspection", entity_id=follow_up.id,
                 after={"of": original.id, "items": follow_up.scope_items})
    return follow_up
