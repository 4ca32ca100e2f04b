"""A deadline written onto the row it belongs to (a rectification task or a program step): the
date with what it was counted from, so a calendar entered later can count it again
(services/workcalendar.recompute). Its own module: programs and the calendar both write deadlines,
and the calendar's recount reads the programs' step names."""
from __future__ import annotations

from ..core.workdays import Due
from ..models import ProgramStep, RectificationTask


def store_due(row: RectificationTask | ProgramStep, due: Due | None) -> None:
    """Write a deadline onto a task or step row (None: the step has no deadline)."""
    row.due_date = due.date if due else None
    row.due_from = due.start if due else None
    row.due_working_days = due.days if due else None
    row.due_rule = due.rule if due else None
    row.due_provisional = bool(due and due.provisional)
