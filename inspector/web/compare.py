"""Self-assessment vs inspection: per site and county-wide (rights and scope checked by
services/comparison_view.py; a refusal answers through web/errors.py)."""
from __future__ import annotations

import io

from flask import Blueprint, request, send_file
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..services import comparison, comparison_view
from . import render

bp = Blueprint("compare", __name__, url_prefix='/compare')


def _view(*actions: str) -> comparison_view.View:
    return comparison_view.open_view(session=get_db(), user=current_user.row, args=request.args,
                                     actions=actions or ("compare",))


def _pairs(view: comparison_view.View):
    return comparison.county_list(session=get_db(), region=view.region, township=view.township, sort=view.sort,
                                  descending=view.descending)


@bp.get("/")
@login_required
def index():
    """Every site with both a self-assessment and an inspection, most overstated first; htmx gets the list."""
    view = _view()
    return render("compare/index.html", "compare/_list.html", pairs=_pairs(view), towns=view.towns,
                  township=view.township, sort=view.sort, descending=view.descending, sorts=comparison.SORTS)


@bp.get("/export.csv")
@login_required
def export():
    """The same list (same township filter and order) as a CSV file Excel opens."""
    view = _view("compare", "export")
    township = view.township
    name = f"自评与检查对比{'-' + township.name if township else ''}-{today().isoformat()}.csv"
    response = send_file(io.BytesIO(comparison.to_csv(_pairs(view))), mimetype="text/csv; charset=utf-8",
                         as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/site/<int:site_id>")
@login_required
def site(site_id: int):
    """One site's self-assessment and inspection side by side, item by item."""
    found, result = comparison_view.site_view(session=get_db(), user=current_user.row, site_id=site_id,
                                              checklist_id=request.args.get("checklist") or None)
    return render("compare/site.html", None, site=found, c=result, labels=comparison.CATEGORY_LABELS,
                  hints=comparison.CATEGORY_HINTS, when=comparison.local_time)
