"""Home page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import func
from sqlmodel import select

from .. import get_db
from ..models import Inspection, Site

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """Home: what is here and where to go."""
    session = get_db()
    counts = {
        "sites": session.exec(select(func.count()).select_from(Site)).one(),
        "inspections": session.exec(select(func.count()).select_from(Inspection)).one(),
        "checklists": len(current_app.extensions["checklists"]),
    }
    by_status = dict(session.exec(select(Inspection.status, func.count()).group_by(Inspection.status)).all())
    return render_template("home.html", counts=counts, by_status=by_status)


@bp.get("/healthz")
def healthz():
    """Liveness: the app answers and the database is reachable."""
    get_db().exec(select(1)).one()
    return {"ok": True}
