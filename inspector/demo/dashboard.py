"""The demo county's dashboard: something to act on (moved out of services/dashboard.py)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, or_, select as sa_select
from sqlmodel import Session, select

from ..core import clock
from ..models import Answer, Inspection, RectificationTask
from ..services.dashboard import REVIEW_WAIT_DAYS


def demo(*, session: Session, today: date) -> dict[str, int]:
    """Give the demo county something to act on (idempotent): two sites whose latest inspection
    has waited 8 days for review, and rectification tasks on the returned inspection's failed items, one overdue and
    one due in 3 days. Returns what was changed."""
    back_dated = tasks = 0
    waiting_since = clock.china_at(today - timedelta(days=8), 10)
    newest = sa_select(func.max(Inspection.id)).group_by(Inspection.site_id)
    recent = clock.china_at(today - timedelta(days=REVIEW_WAIT_DAYS))
    for ins in session.exec(select(Inspection).where(Inspection.status == "submitted", Inspection.id.in_(newest),
                                                     or_(Inspection.submitted_at.is_(None),
                                                         Inspection.submitted_at >= recent))
                            .order_by(Inspection.id).limit(2)):
        ins.submitted_at = waiting_since
        session.add(ins)
        back_dated += 1
    returned = session.exec(select(Inspection).where(Inspection.status == "returned").order_by(Inspection.id)).first()
    if returned is not None:
        failed = session.exec(select(Answer.item_id).where(Answer.inspection_id == returned.id,
                                                           Answer.result == "fail").order_by(Answer.id)).all()
        have = set(session.exec(select(RectificationTask.item_id)
                                .where(RectificationTask.inspection_id == returned.id)).all())
        for item_id, due in zip(failed[:2], (today - timedelta(days=2), today + timedelta(days=3))):
            if item_id not in have:
                session.add(RectificationTask(inspection_id=returned.id, item_id=item_id, due_date=due))
                tasks += 1
    session.flush()
    return {"back_dated": back_dated, "tasks": tasks}
