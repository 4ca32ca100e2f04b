"""Checklist browser: what the app will check, with every rule and its source clause."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

bp = Blueprint("checklists", __name__, url_prefix="/checklists")


@bp.get("/")
def index():
    """Every loaded checklist with its version and content hash."""
    return render_template("checklists/index.html", specs=current_app.extensions["checklists"].values())


@bp.get("/<checklist_id>")
def detail(checklist_id: str):
    """One checklist: sections and items, rules for the chosen tier and site type, sources."""
    spec = current_app.extensions["checklists"].get(checklist_id)
    if spec is None:
        abort(404, description="没有这个清单")
    tier = request.args.get("tier") or (spec.tiers[0].id if spec.tiers else None)
    if spec.tiers and tier not in {t.id for t in spec.tiers}:
        abort(400, description="等级无效")
    site_type = request.args.get("type") or spec.site_types[0]
    if site_type not in spec.site_types:
        abort(400, description="站点类型无效")
    return render_template("checklists/detail.html", spec=spec, tier=tier, site_type=site_type)
