"""The units' lists imported on the web (.xlsx or .csv): all rows or none, with a line per row; the template."""
from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..core import ledger as core
from ..services import ledger, ledger_import, rights
from .ledger_common import bp
from .work import unit_of_work


@bp.get("/import/template.xlsx")
@login_required
def import_template():
    """An empty list with the import's columns, for the units to fill in."""
    rights.require(current_user.row, "ledger_import")
    response = Response(ledger_import.import_template(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = "attachment; filename=ledger-members-template.xlsx"
    return response


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_members():
    """Import the units' lists (.xlsx or .csv): all rows or none, with a line per row."""
    rights.require(current_user.row, "ledger_import")
    session = get_db()
    sites = ledger.community_sites(session=session, user=current_user.row)
    page = {"sites": sites, "columns": core.COLUMNS}
    if request.method == "GET":
        return render_template("ledger/import.html", report=None, problems=[], **page)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("ledger/import.html", report=None, problems=["请选择要导入的文件"], **page), 422
    default = None
    if request.form.get("site_id", "").isdigit():
        default = ledger.site(session=session, user=current_user.row, site_id=int(request.form["site_id"]))
    elif len(sites) == 1:
        default = sites[0]
    try:
        with unit_of_work():  # a report with errors stored nothing: all rows or none
            rows = ledger_import.read_rows(upload.filename, upload.read(current_app.config["MAX_CONTENT_LENGTH"]))
            result = ledger_import.import_members(session=session, user=current_user.row, rows=rows, today=today(),
                                                  default_site=default)
    except ledger.Invalid as exc:
        return render_template("ledger/import.html", report=None, problems=exc.problems, **page), 422
    return render_template("ledger/import.html", report=result, problems=[], **page), 422 if result.errors else 200
