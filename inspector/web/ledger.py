"""The in-service members' ledger (seed 004) on the web: the communities and their members' year here;
the member pages, the list import, the feedback letters, the November tables and the inspection's items
computed from the records each in a module of their own (web/ledger_*.py) on the one blueprint."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..core import ledger as core
from ..services import ledger, rights
from ..services.ledger_items import ledger_inspections
from ..services.ledger_tallies import shortfalls, year_of, years_of
from . import service_projects
# The pages of each job put their routes on `bp` when imported.
from . import ledger_feedback, ledger_import, ledger_items, ledger_members, ledger_summary  # noqa: F401
from .ledger_cli import ledger_cli
from .ledger_common import asked_year, bp, deadline_md, own_units, site_or_404


@bp.get("/")
@login_required
def index():
    """The communities of the user's region with their members' counts; a single community opens directly."""
    rights.require(current_user.row, "ledger_view")
    session = get_db()
    own = ledger.own_community(session=session, user=current_user.row)
    if own is not None:
        return redirect(url_for("ledger.community", site_id=own.id))
    sites = ledger.community_sites(session=session, user=current_user.row)
    year = asked_year()
    years = years_of(session=session, sites=sites, year=year, as_of=today(), deadline_md=deadline_md(),
                     units=own_units())
    rows = [(s, years[s.id]) for s in sites]
    return render_template("ledger/index.html", rows=rows, year=year)


@bp.get("/sites/<int:site_id>")
@login_required
def community(site_id: int):
    """A community's members with each one's tally for the year, and who falls short of what."""
    site = site_or_404(site_id)
    session = get_db()
    year = asked_year()
    rows = year_of(session=session, site=site, year=year, as_of=today(), deadline_md=deadline_md(),
                   units=own_units())
    return render_template("ledger/community.html", site=site, rows=rows, year=year,
                           short=shortfalls(rows), deadline=core.deadline_of(year, deadline_md()),
                           township=ledger.township_name(session=session, site=site), rules=core.RULES,
                           inspections=ledger_inspections(session=session, site=site)
                           if rights.can(current_user.row, "ledger_all") else [])


def register(app) -> None:
    """Register the ledger and service-project areas; the reporting deadline defaults to the source's 5月15日."""
    app.config.setdefault("LEDGER_REPORT_DEADLINE", "05-15")  # 三、工作措施 1, "MM-DD"
    app.register_blueprint(bp)
    app.register_blueprint(service_projects.bp)
    app.cli.add_command(ledger_cli)
