"""Home page: the signed-in user's to-do list (services/queues.py), each entry a link to the work."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from ..runtime import get_db, today
from ..services import queues, regions, workcalendar
from . import notifications

bp = Blueprint("main", __name__)
bp.record_once(lambda state: notifications.register(state.app))  # the bell and /notifications come with the home


@bp.get("/")
def home():
    """Home: what waits on the user (in their region), then what is here and where to go."""
    counts = {"checklists": len(current_app.extensions["checklists"]), "sites": 0, "inspections": 0}
    by_status: dict[str, int] = {}
    changes, todo = [], []
    if current_user.is_authenticated:
        session = get_db()
        todo = queues.todo_for(session=session, user=current_user.row, today=today())
        counts["sites"], by_status = queues.overview(session=session, user=current_user.row)
        counts["inspections"] = sum(by_status.values())
        changes = workcalendar.changes_for(session=session, user=current_user.row, limit=10)
    return render_template("home.html", counts=counts, by_status=by_status, changes=changes, todo=todo)


@bp.get("/healthz")
def healthz():
    """Liveness: the app answers and the database is reachable and migrated (else 503 in Chinese)."""
    return {"ok": regions.reachable(session=get_db())}
