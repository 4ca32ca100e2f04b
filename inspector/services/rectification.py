"""The rectification loop: the failed items of an approved (or rejected) inspection become tasks
due in working days, a follow-up re-checks only those items, and approving (or rejecting) the
follow-up closes each task as fixed or not fixed."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from ..core import scoring
from ..core.workdays import Calendar
from ..models import Inspection, RectificationTask, User, utcnow
from . import audit, rights
from .deadlines import store_due
from .transitions import ReviewError

RECTIFICATION_WORKING_DAYS = 20  # a county setting: the sources give no deadline for rectification


def open_tasks(session: Session, inspection: Inspection, result: scoring.Outcome, *, today: date,
               calendar: Calendar) -> list[RectificationTask]:
    """A task per failed item (of the follow-up's scope, for a follow-up), due in working days."""
    failed = [i for i in result.failed if not inspection.scope_items or i in inspection.scope_items]
    if not failed:
        return []
    due = calendar.deadline(today, RECTIFICATION_WORKING_DAYS)
    tasks = [RectificationTask(inspection_id=inspection.id, item_id=i, due_date=due.date) for i in failed]
    for task in tasks:
        store_due(task, due)
    session.add_all(tasks)
    session.flush()
    return tasks


def close_rechecked(session: Session, follow_up: Inspection, result: scoring.Outcome, by: User) -> list:
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


def follow_ups_of(*, session: Session, inspection: Inspection) -> list[Inspection]:
    """The follow-up inspections that re-checked (or re-check) this one's tasks, oldest first."""
    return list(session.exec(select(Inspection).where(Inspection.follow_up_of_id == inspection.id)
                             .order_by(Inspection.id)))


def may_follow_up(user: User, inspection: Inspection) -> bool:
    """Whether the user may start the follow-up of this inspection now (a button shown)."""
    return inspection.status in ("approved", "accepted", "rejected") and rights.can(user, "rectify") \
        and rights.can(user, "start", inspection.purpose)


def start_follow_up(*, session: Session, original: Inspection, by: User) -> Inspection:
    """A follow-up inspection that re-checks only the original's open rectification tasks.

    Same site, checklist version, purpose and tier; linked to the original; the tasks point to it.
    """
    rights.require(by, "rectify")
    rights.require(by, "start", original.purpose)
    if original.status not in ("approved", "accepted", "rejected"):
        raise ReviewError("检查审核通过或判定验收不通过后才能整改复查")
    tasks = [t for t in tasks_of(session=session, inspection=original) if t.status == "open"]
    if not tasks:
        raise ReviewError("没有待复查的整改项")
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
