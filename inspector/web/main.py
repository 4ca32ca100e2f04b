"""Home page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import select

from .. import get_db
from ..models import Inspection, Region, Site
from ..services import scope, workcalendar

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """Home: what is here (in the user's region) and where to go."""
    counts = {"checklists": len(current_app.extensions["checklists"]), "sites": 0, "inspections": 0}
    by_status: dict[str, int] = {}
    changes = []
    if current_user.is_authenticated:
        session = get_db()
        path = scope.region_of(session=session, user=current_user.row).path
        in_region = (select(Site.id).join(Region, Site.region_id == Region.id)
                     .where(Region.path.startswith(path)).scalar_subquery())
        counts["sites"] = session.exec(select(func.count()).select_from(Site).where(Site.id.in_(in_region))).one()
        by_status = dict(session.exec(select(Inspection.status, func.count()).where(Inspection.site_id.in_(in_region))
                                      .group_by(Inspection.status)).all())
        counts["inspections"] = sum(by_status.values())
        changes = workcalendar.changes_for(session=session, user=current_user.row, limit=10)
    return render_template("home.html", counts=counts, by_status=by_status, changes=changes)


@bp.get("/healthz")
def healthz():
    """Liveness: the app answers and the database is reachable and migrated (else 503 in Chinese)."""
    get_db().exec(select(Region.id).limit(1)).all()
    return {"ok": True}
