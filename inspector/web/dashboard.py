"""County dashboard: charts, map, sites needing action, Excel export and import."""
from __future__ import annotations

import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import get_db, today
from ..models import LABELS, PURPOSES
from ..services import dashboard, rights, scope, summaries
from . import render

bp = Blueprint("dashboard", __name__, url_prefix='/dashboard')

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMIT = 10 * 1024 * 1024  # a county's site list is far smaller


def _filters(action: str):
    """The user (after the rights check), their region, township choices, filters and notes about them."""
    user = current_user.row
    rights.require(user, action)
    session = get_db()
    region = scope.region_of(session=session, user=user)
    choices = dashboard.townships(session=session, region=region, args=request.args)
    filters, notes = dashboard.parse_filters(request.args, choices=choices,
                                             checklists=current_app.extensions["checklists"])
    return session, region, choices, filters, notes


@bp.get("/")
@login_required
def index():
    """Where the region's sites stand: status, tiers, scores, failed items, sites needing action, map."""
    session, region, choices, filters, notes = _filters("dashboard")
    specs = current_app.extensions["checklists"]
    data = dashboard.overview(session=session, region=region, filters=filters, today=today(), specs=specs,
                              choices=choices)
    # htmx restoring history (its cache is off) asks for the whole page again
    partial = None if request.headers.get("HX-History-Restore-Request") else "dashboard/_body.html"
    return render("dashboard/index.html", partial, data=data, filters=filters, notes=notes,
                  choices=choices, region=region, purposes=PURPOSES, tiers=dashboard.TIERS, specs=specs,
                  status_labels=dashboard.STATUS_LABELS, charts={
                      "status": dashboard.status_chart(data), "applied": dashboard.tier_applied_chart(data),
                      "reached": dashboard.tier_reached_chart(data), "scores": dashboard.score_histogram(data),
                      "failed": dashboard.failed_chart(data)},
                  site_map=dashboard.site_map(data), can_export=rights.can(current_user.row, "export"),
                  can_import=rights.can(current_user.row, "import_sites"), oob=_partial(partial))


def _partial(partial: str | None) -> bool:
    """Whether render() answers with the partial (then the region selects come out of band)."""
    return bool(partial) and request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


@bp.get("/export.xlsx")
@login_required
def export():
    """The filtered sites as an Excel workbook: one row per site, one column per checklist item."""
    session, region, _choices, filters, _notes = _filters("export")
    specs = current_app.extensions["checklists"]
    spec = specs.get(filters.checklist or dashboard.DEFAULT_EXPORT_CHECKLIST) or next(iter(specs.values()))
    out = io.BytesIO()  # in the request: fine for a county; a province's export runs as a job (jobs/kinds.py)
    dashboard.export_xlsx(session=session, region=region, filters=filters, spec=spec, out=out)
    out.seek(0)
    name = f"{region.name}站点检查汇总-{spec.id}-{today().isoformat()}.xlsx"
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_sites():
    """Upload a site list (.xlsx or .csv): every row stored, or none and every bad row shown."""
    user = current_user.row
    rights.require(user, "import_sites")
    session = get_db()
    region = scope.region_of(session=session, user=user)
    problems: list[dashboard.ImportProblem] = []
    filename = ""
    if request.method == "POST":
        upload = request.files.get("file")
        filename = upload.filename if upload is not None else ""
        try:
            if upload is None or not filename:
                raise dashboard.ImportRefused([dashboard.ImportProblem(0, "文件", "", "请选择要上传的文件")])
            data = dashboard.read_bytes(upload.stream, UPLOAD_LIMIT)
            created = dashboard.import_file(session=session, filename=filename, data=data, by=user, within=region)
            session.commit()
        except dashboard.ImportRefused as exc:
            session.rollback()
            problems = exc.problems
        else:
            flash(f"已导入 {len(created)} 个站点。", "ok")
            return redirect(url_for("dashboard.import_sites"), code=303)
    return render_template("dashboard/import.html", problems=problems, filename=filename, region=region,
                           headers=dashboard.IMPORT_HEADERS, notes=dashboard.IMPORT_NOTES,
                           labels=LABELS), 422 if problems else 200


@bp.get("/import/template.xlsx")
@login_required
def import_template():
    """A blank import workbook with the expected headers."""
    rights.require(current_user.row, "import_sites")
    out = io.BytesIO()
    dashboard.template_xlsx(out)
    out.seek(0)
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name="站点导入模板.xlsx", max_age=0)


@bp.cli.command("rebuild-summaries")
def rebuild_summaries():
    """Recount the per-site and per-region summaries from scratch (set-based SQL)."""
    import click

    session = get_db()
    counts = summaries.rebuild(session)
    session.commit()
    click.echo(f"已重建汇总：{counts['site_summary']} 个站点，{counts['region_summary']} 条地区计数，"
               f"{counts['site_failed']} 条不合格条目")
