"""County dashboard: charts, map, sites needing action, Excel export and import.

The services check every right (services/dashboard_filters.open_view, dashboard_import); the
views ask `can(...)` only to show a button, and commit through web/work.unit_of_work."""
from __future__ import annotations

import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..models import LABELS, PURPOSES
from ..services import dashboard, rights, summaries
from . import render
from .work import unit_of_work

bp = Blueprint("dashboard", __name__, url_prefix='/dashboard')

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMIT = 10 * 1024 * 1024  # a county's site list is far smaller


def _view(action: str) -> dashboard.View:
    """The dashboard this user may see for `action`: region, township choices, filters, notes."""
    return dashboard.open_view(session=get_db(), user=current_user.row, action=action, args=request.args,
                               checklists=current_app.extensions["checklists"])


def _charts(data: dashboard.Overview) -> dict:
    return {"status": dashboard.status_chart(data), "applied": dashboard.tier_applied_chart(data),
            "reached": dashboard.tier_reached_chart(data), "scores": dashboard.score_histogram(data),
            "failed": dashboard.failed_chart(data)}


@bp.get("/")
@login_required
def index():
    """Where the region's sites stand: status, tiers, scores, failed items, sites needing action, map."""
    view = _view("dashboard")
    specs = current_app.extensions["checklists"]
    data = dashboard.overview(session=get_db(), region=view.region, filters=view.filters, today=today(),
                              specs=specs, choices=view.choices)
    # htmx restoring history (its cache is off) asks for the whole page again
    partial = None if request.headers.get("HX-History-Restore-Request") else "dashboard/_body.html"
    user = current_user.row
    return render("dashboard/index.html", partial, data=data, filters=view.filters, notes=view.notes,
                  choices=view.choices, region=view.region, purposes=PURPOSES, tiers=dashboard.TIERS, specs=specs,
                  status_labels=dashboard.STATUS_LABELS, charts=_charts(data), site_map=dashboard.site_map(data),
                  can_export=rights.can(user, "export"), can_import=rights.can(user, "import_sites"),
                  oob=_partial(partial))


def _partial(partial: str | None) -> bool:
    """Whether render() answers with the partial (then the region selects come out of band)."""
    return bool(partial) and request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


@bp.get("/export.xlsx")
@login_required
def export():
    """The filtered sites as an Excel workbook: one row per site, one column per checklist item."""
    view = _view("export")
    specs = current_app.extensions["checklists"]
    spec = specs.get(view.filters.checklist or dashboard.DEFAULT_EXPORT_CHECKLIST) or next(iter(specs.values()))
    out = io.BytesIO()  # in the request: fine for a county; a province's export runs as a job (jobs/kinds.py)
    dashboard.export_xlsx(session=get_db(), region=view.region, filters=view.filters, spec=spec, out=out)
    out.seek(0)
    name = f"{view.region.name}站点检查汇总-{spec.id}-{today().isoformat()}.xlsx"
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


def _store_upload(region) -> int:
    """Import the uploaded file in one unit of work; the number of sites created (ImportRefused if none)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise dashboard.ImportRefused([dashboard.ImportProblem(0, "文件", "", "请选择要上传的文件")])
    data = dashboard.read_bytes(upload.stream, UPLOAD_LIMIT)
    with unit_of_work() as session:
        return len(dashboard.import_file(session=session, filename=upload.filename, data=data,
                                         by=current_user.row, within=region))


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_sites():
    """Upload a site list (.xlsx or .csv): every row stored, or none and every bad row shown."""
    region = dashboard.import_region(session=get_db(), user=current_user.row)
    problems: list[dashboard.ImportProblem] = []
    upload = request.files.get("file")
    filename = upload.filename if request.method == "POST" and upload is not None else ""
    if request.method == "POST":
        try:
            created = _store_upload(region)
        except dashboard.ImportRefused as exc:  # the form again, with every bad row (rolled back)
            problems = exc.problems
        else:
            flash(f"已导入 {created} 个站点。", "ok")
            return redirect(url_for("dashboard.import_sites"), code=303)
    return render_template("dashboard/import.html", problems=problems, filename=filename, region=region,
                           headers=dashboard.IMPORT_HEADERS, notes=dashboard.IMPORT_NOTES,
                           labels=LABELS), 422 if problems else 200


@bp.get("/import/template.xlsx")
@login_required
def import_template():
    """A blank import workbook with the expected headers."""
    out = io.BytesIO()
    dashboard.template_xlsx(out, by=current_user.row)
    out.seek(0)
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name="站点导入模板.xlsx", max_age=0)


@bp.cli.command("rebuild-summaries")
def rebuild_summaries():
    """Recount the per-site and per-region summaries from scratch (set-based SQL)."""
    import click

    with unit_of_work() as session:  # a command: its own transaction
        counts = summaries.rebuild(session)
    click.echo(f"已重建汇总：{counts['site_summary']} 个站点，{counts['region_summary']} 条地区计数，"
               f"{counts['site_failed']} 条不合格条目")
