"""The November tables on the web (004 四、加强领导): on screen, as Excel, and printed (附件6、7)."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, render_template
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..core import ledger as core
from ..services import ledger_summary
from .ledger_common import asked_year, bp, deadline_md, pdf_response


def _summary():
    """Both tables of the user's region for the year asked."""
    return ledger_summary.summary(session=get_db(), user=current_user.row, year=asked_year(), as_of=today(),
                                  deadline_md=deadline_md())


@bp.get("/summary")
@login_required
def summary():
    """The November tables: community → township → county, on screen."""
    data = _summary()
    return render_template("ledger/summary.html", s=data, cells=ledger_summary.summary_cells,
                           service_headers=ledger_summary.SERVICE_HEADERS, report_headers=ledger_summary.REPORT_HEADERS,
                           titles=ledger_summary.TITLES, due=date_due(data.year))


def date_due(year: int):
    """The tables' due date: the end of November (四、加强领导)."""
    return date(year, *core.SUMMARY_DUE)


@bp.get("/summary.xlsx")
@login_required
def summary_xlsx():
    """Both tables as Excel."""
    data = _summary()
    response = Response(ledger_summary.summary_xlsx(data),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f"attachment; filename=ledger-summary-{data.year}.xlsx"
    return response


@bp.get("/summary/<table>.pdf")
@login_required
def summary_pdf(table: str):
    """One of the two tables as a printable PDF (A4 landscape)."""
    if table not in ledger_summary.TITLES:
        abort(404, description="没有这张汇总表")
    data = _summary()
    headers = ledger_summary.REPORT_HEADERS if table == "report" else ledger_summary.SERVICE_HEADERS
    rows = {"service": data.service, "report": data.report, "by_unit": data.by_unit}[table]
    return pdf_response("reports/ledger_summary.html", f"summary-{table}-{data.year}.pdf", s=data,
                        table="report" if table == "report" else "service", title=ledger_summary.TITLES[table],
                        headers=headers, rows=rows, cells=ledger_summary.summary_cells,
                        first="单位" if table == "by_unit" else "社区",
                        attachment="附件7" if table == "report" else "附件6", printed=today())
