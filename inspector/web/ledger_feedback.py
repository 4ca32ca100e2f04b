"""The feedback letters to the members' units on the web: the quarters due and sent, sending a letter or the
yearly card, and the letter as printed."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..core import ledger as core
from ..models import Site
from ..services import ledger, ledger_feedback, ledger_tallies, rights
from .ledger_common import asked_year, bp, deadline_md, own_units, pdf_response, problems_of, site_or_404
from .work import unit_of_work


def _feedback_page(site: Site, *, problems=(), status: int = 200):
    """The units' feedback letters of the year: quarters due and sent, the yearly card."""
    session = get_db()
    year = asked_year()
    units = ledger_feedback.feedback_status(session=session, site=site, year=year, as_of=today(), units=own_units())
    rows = ledger_tallies.year_of(session=session, site=site, year=year, as_of=today(), deadline_md=deadline_md(),
                                  units=own_units())
    return render_template("ledger/feedback.html", site=site, year=year, units=units, rows=rows,
                           due=core.quarters_due(year, today()), problems=list(problems)), status


@bp.get("/sites/<int:site_id>/feedback")
@login_required
def feedback(site_id: int):
    """Feedback letters to the members' units."""
    return _feedback_page(site_or_404(site_id))


@bp.post("/sites/<int:site_id>/feedback")
@login_required
def send_feedback(site_id: int):
    """Send a unit its quarterly letter or the yearly 现实表现评议情况反馈卡."""
    site = site_or_404(site_id, "ledger_edit")
    form = request.form
    if not (form.get("unit_id", "").isdigit() and form.get("quarter", "").isdigit()):
        return _feedback_page(site, problems=["请选择单位和季度"], status=422)
    ratings = {int(k.split("_", 1)[1]): (v, form.get(f"opinion_{k.split('_', 1)[1]}", ""))
               for k, v in form.items() if k.startswith("rating_") and k.split("_", 1)[1].isdigit()}
    try:
        with unit_of_work() as session:
            ledger_feedback.send_feedback(session=session, site=site, unit_id=int(form["unit_id"]), year=asked_year(),
                                          quarter=int(form["quarter"]), by=current_user.row, today=today(),
                                          ratings=ratings, deadline_md=deadline_md())
    except (ledger.Invalid, ledger.LedgerError) as exc:
        return _feedback_page(site, problems=problems_of(exc), status=exc.status)
    return redirect(url_for("ledger.feedback", site_id=site.id, year=asked_year()), code=303)


@bp.get("/feedback/<int:feedback_id>.pdf")
@login_required
def feedback_pdf(feedback_id: int):
    """A sent feedback letter (or the yearly card) as printed, from what was sent."""
    row = ledger_feedback.feedback(session=get_db(), user=current_user.row, feedback_id=feedback_id) or abort(
        404, description="没有这份反馈")
    rights.require(current_user.row, "ledger_view")
    template = "reports/ledger_feedback_card.html" if row.quarter == 0 else "reports/ledger_feedback_letter.html"
    return pdf_response(template, f"feedback-{row.id}.pdf", f=row.content, row=row,
                        title="在职党员现实表现评议情况反馈卡" if row.quarter == 0 else "在职党员进社区情况季度反馈函")
