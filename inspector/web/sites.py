"""Sites: list with search, and one site's page."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..runtime import get_db
from ..core import geo
from ..models import Region
from ..services import inspections, regions, rights, scope, sites, versions
from . import render
from .work import unit_of_work

bp = Blueprint("sites", __name__, url_prefix="/sites")


@bp.get("/")
@login_required
def index():
    """Sites, searchable by name or address; htmx gets only the results."""
    q = request.args.get("q", "").strip()[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    per = current_app.config["SITES_PER_PAGE"]
    session = get_db()
    region = scope.region_of(session=session, user=current_user.row)
    rows, total = sites.search(session=session, q=q, region=region, limit=per, offset=(page - 1) * per)
    township_names = regions.parent_names(session=session, regions=[region for _site, region in rows])
    return render("sites/index.html", "sites/_results.html", rows=rows, total=total, q=q, page=page,
                  pages=max((total + per - 1) // per, 1), township_names=township_names)


@bp.get("/<int:site_id>")
@login_required
def detail(site_id: int):
    """One site: where it is, what tier it applied for, its inspections."""
    session = get_db()
    site = scope.site(session=session, user=current_user.row, site_id=site_id)
    if site is None:
        abort(404, description="没有这个站点")
    region = session.get(Region, site.region_id)
    chain = regions.ancestry(session=session, region=region)
    history = sites.inspections_of(session=session, site=site)
    titles = versions.titles(session=session, ids=(ins.checklist_version_id for ins in history))
    return render_template("sites/detail.html", site=site, chain=chain, history=history, titles=titles,
                           unfinished=[i for i in history if i.status in inspections.EDITABLE])


def _site_form(site_id: int, action: str, template: str, change, **context):
    """A site's form: shown on GET; on POST (for a role that may `action`) the change in one unit of
    work and back to the site, or the form again with the reason (422)."""
    session = get_db()
    site = scope.site(session=session, user=current_user.row, site_id=site_id) or abort(404, description="没有这个站点")
    error, form = None, request.form
    if request.method == "POST":
        rights.require(current_user.row, action)
        try:
            with unit_of_work():
                change(session, site, form)
            return redirect(url_for("sites.detail", site_id=site.id), code=303)
        except rights.Forbidden:
            raise
        except ValueError as exc:  # the form again, with the reason
            error = str(exc)
    return render_template(template, site=site, error=error, form=form, **context), 422 if error else 200


def _numbers(form, site) -> tuple[float, float, int]:
    """Latitude, longitude and radius as typed, or the reason they are not numbers."""
    try:
        return float(form.get("lat", "")), float(form.get("lon", "")), int(form.get("geofence_m") or site.geofence_m)
    except ValueError:
        raise ValueError("纬度、经度、范围应为数字") from None


@bp.route("/<int:site_id>/location", methods=["GET", "POST"])
@login_required
def location(site_id: int):
    """Enter the site's coordinates as shown by a map app (WGS-84, GCJ-02 or BD-09)."""
    def change(session, site, form):
        lat, lon, radius = _numbers(form, site)
        sites.set_location(session=session, site=site, lat=lat, lon=lon, system=form.get("system", ""),
                           geofence_m=radius, by=current_user.id)
    return _site_form(site_id, "edit_site", "sites/location.html", change, systems=geo.SYSTEM_LABELS)


@bp.route("/<int:site_id>/category", methods=["GET", "POST"])
@login_required
def category(site_id: int):
    """The county records the category it approved for the site, with the document's number and date."""
    def change(session, site, form):
        sites.set_category(session=session, site=site, category=form.get("category", ""),
                           number=form.get("number", ""), doc_date=form.get("date", ""), by=current_user.id)
    return _site_form(site_id, "set_category", "sites/category.html", change, categories=sites.TIERS)
