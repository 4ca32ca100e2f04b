"""Self-assessment vs inspection: per site and county-wide."""
from __future__ import annotations

import io

from flask import Blueprint, abort, request, send_file
from flask_login import current_user, login_required

from .. import get_db, today
from ..models import Region
from ..services import comparison, rights, scope
from . import render

bp = Blueprint("compare", __name__, url_prefix='/compare')


def _filters():
    """The user's region, its townships, the township asked for (404 if not one of them) and the sort."""
    user = current_user.row
    rights.require(user, "compare")
    session = get_db()
    region = scope.region_of(session=session, user=user)
    towns = comparison.townships(session=session, region=region)
    township: Region | None = None
    raw = request.args.get("township", "").strip()
    if raw:
        township = next((t for t in towns if str(t.id) == raw), None) or abort(404, description="没有这个乡镇（街道）")
    sort, descending = comparison.parse_sort(request.args.get("sort"), request.args.get("dir"))
    return region, towns, township, sort, descending


@bp.get("/")
@login_required
def index():
    """Every site with both a self-assessment and an inspection, most overstated first; htmx gets the list."""
    region, towns, township, sort, descending = _filters()
    pairs = comparison.county_list(session=get_db(), region=region, township=township, sort=sort,
                                   descending=descending)
    return render("compare/index.html", "compare/_list.html", pairs=pairs, towns=towns, township=township,
                  sort=sort, descending=descending, sorts=comparison.SORTS)


@bp.get("/export.csv")
@login_required
def export():
    """The same list (same township filter and order) as a CSV file Excel opens."""
    region, _towns, township, sort, descending = _filters()
    rights.require(current_user.row, "export")
    pairs = comparison.county_list(session=get_db(), region=region, township=township, sort=sort,
                                   descending=descending)
    name = f"自评与检查对比{'-' + township.name if township else ''}-{today().isoformat()}.csv"
    response = send_file(io.BytesIO(comparison.to_csv(pairs)), mimetype="text/csv; charset=utf-8",
                         as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/site/<int:site_id>")
@login_required
def site(site_id: int):
    """One site's self-assessment and inspection side by side, item by item."""
    rights.require(current_user.row, "compare")
    session = get_db()
    found = scope.site(session=session, user=current_user.row, site_id=site_id) or abort(404, description="没有这个站点")
    checklist_id = request.args.get("checklist") or None
    result = comparison.for_site(session=session, site=found, checklist_id=checklist_id)
    if result is None and checklist_id:
        abort(404, description="这个站点没有该清单的自评与检查")
    return render("compare/site.html", None, site=found, c=result, labels=comparison.CATEGORY_LABELS,
                  hints=comparison.CATEGORY_HINTS, when=comparison.local_time)
