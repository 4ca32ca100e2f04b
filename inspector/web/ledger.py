"""The in-service members' ledger (seed 004): communities, members, activities on a phone, feedback
letters, the November summary tables, the printed cards, and the inspection items computed from it."""
from __future__ import annotations

from pathlib import Path

import click
from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request, send_from_directory,
                   url_for)
from flask.cli import with_appcontext
from flask_login import current_user, login_required

from .. import ROOT, get_db, today
from ..core import ledger as core
from ..core import pdf, photos, scoring
from ..models import Inspection, LedgerMember, Site
from ..services import inspections, ledger, rights, scope

bp = Blueprint("ledger", __name__, url_prefix="/ledger")

CHECKLIST = "service-ledger"
CARDS = {  # the source's attachments printed per member (004 附件)
    "letter": ("在职党员进社区报到证明信", "附件1"),
    "info": ("在职党员基本情况信息卡", "附件1"),
    "receipt": ("在职党员进社区报到回执", "附件2"),
    "record": ("在职党员进社区情况写实登记卡", "附件3"),
    "pledge": ("在职党员服务承诺卡", "附件4"),
    "contact": ("在职党员进社区联系对象档案卡", "附件8"),
}


@bp.context_processor
def _helpers():
    """Words and helpers for this area's templates."""
    return {"KINDS": core.KINDS, "PAIR_KINDS": core.PAIR_KINDS, "QUARTERS": core.QUARTER_NAMES,
            "RATINGS": ledger.RATINGS, "CARDS": CARDS, "hours": core.format_hours}


def _deadline() -> tuple[int, int]:
    """The reporting deadline (month, day): LEDGER_REPORT_DEADLINE, 5月15日 in the source (三、工作措施 1)."""
    raw = str(current_app.config.get("LEDGER_REPORT_DEADLINE") or "05-15")
    month, day = (int(x) for x in raw.split("-"))
    return month, day


def _year() -> int:
    """The year asked for (?year=), this year by default."""
    raw = request.args.get("year", "") or request.form.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= today().year else today().year


def _units() -> set[int] | None:
    """The units whose members a unit account sees (None: every member of the community)."""
    return ledger.unit_ids(session=get_db(), user=current_user.row)


def _site(site_id: int, right: str = "ledger_view") -> Site:
    """A community of the user's region (else 404, before any role check), if the role has the right."""
    found = ledger.site(session=get_db(), user=current_user.row, site_id=site_id) or abort(
        404, description="没有这个社区（在职党员进社区台账只在社区建立）")
    rights.require(current_user.row, "ledger_view")
    rights.require(current_user.row, right)
    return found


def _member(member_id: int, right: str = "ledger_view") -> tuple[LedgerMember, Site]:
    """A member of the user's region (else 404, before any role check) and their community."""
    session = get_db()
    found = ledger.member(session=session, user=current_user.row, member_id=member_id) or abort(
        404, description="没有这名在职党员")
    rights.require(current_user.row, "ledger_view")
    rights.require(current_user.row, right)
    return found, session.get(Site, found.site_id)


@bp.get("/")
@login_required
def index():
    """The communities of the user's region with their members' counts; a single community opens directly."""
    rights.require(current_user.row, "ledger_view")
    session = get_db()
    sites = ledger.community_sites(session=session, user=current_user.row)
    if len(sites) == 1 and current_user.row.role == "village":
        return redirect(url_for("ledger.community", site_id=sites[0].id))
    year = _year()
    years = ledger.years_of(session=session, sites=sites, year=year, as_of=today(), deadline_md=_deadline(),
                            units=_units())
    rows = [(s, years[s.id]) for s in sites]
    return render_template("ledger/index.html", rows=rows, year=year)


@bp.get("/sites/<int:site_id>")
@login_required
def community(site_id: int):
    """A community's members with each one's tally for the year, and who falls short of what."""
    site = _site(site_id)
    session = get_db()
    year = _year()
    rows = ledger.year_of(session=session, site=site, year=year, as_of=today(), deadline_md=_deadline(),
                          units=_units())
    return render_template("ledger/community.html", site=site, rows=rows, year=year,
                           short=ledger.shortfalls(rows), deadline=core.deadline_of(year, _deadline()),
                           township=ledger.township_name(session=session, site=site), rules=core.RULES,
                           inspections=ledger.ledger_inspections(session=session, site=site)
                           if rights.can(current_user.row, "ledger_all") else [])


@bp.route("/sites/<int:site_id>/members/new", methods=["GET", "POST"])
@login_required
def new_member(site_id: int):
    """Register a member (基本情况信息卡's fields); 422 with the reason, nothing lost."""
    site = _site(site_id, "ledger_edit")
    if request.method == "GET":
        return render_template("ledger/member_new.html", site=site, form={}, problems=[])
    session = get_db()
    try:
        row = ledger.add_member(session=session, site=site, form=request.form, by=current_user.row, today=today())
    except ledger.Invalid as exc:
        session.rollback()
        return render_template("ledger/member_new.html", site=site, form=request.form, problems=exc.problems), 422
    session.commit()
    return redirect(url_for("ledger.member", member_id=row.id), code=303)


def _member_page(member: LedgerMember, site: Site, *, problems=(), form=None, status: int = 200):
    """A member's page: the year's rules with what is missing, the activity form, the record, the cards."""
    session = get_db()
    year = _year()
    acts = ledger.activities_of(session=session, member_ids=[member.id], year=year)
    tally = ledger.tally_of(member, acts, year=year, as_of=today(), deadline=core.deadline_of(year, _deadline()))
    unit = ledger.units_of(session=session, ids=[member.unit_id])[member.unit_id]
    return render_template("ledger/member.html", member=member, site=site, unit=unit, tally=tally,
                           activities=list(reversed(acts)), year=year, today=today(), problems=list(problems),
                           form=form or {}), status


@bp.get("/members/<int:member_id>")
@login_required
def member(member_id: int):
    """One member's ledger page."""
    return _member_page(*_member(member_id))


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(member_id: int):
    """Change a member's card, or mark them moved away (no longer counted); 422 with the reason."""
    found, site = _member(member_id, "ledger_edit")
    session = get_db()
    unit = ledger.units_of(session=session, ids=[found.unit_id])[found.unit_id]
    if request.method == "GET":
        form = {k: (getattr(found, k) or "") for k in ("name", "phone", "letter_number", "service_post", "pledge",
                                                       "skills", "pair_name", "pair_kind", "pair_address")}
        form.update(unit=unit.name, party_org=unit.party_org, supervisor_org=unit.supervisor_org,
                    county_department="是" if unit.county_department else "",
                    reported_on=found.reported_on.isoformat() if found.reported_on else "")
        return render_template("ledger/member_new.html", site=site, form=form, problems=[], member=found)
    try:
        ledger.update_member(session=session, member=found, form=request.form, by=current_user.row, today=today())
    except ledger.Invalid as exc:
        session.rollback()
        return render_template("ledger/member_new.html", site=site, form=request.form, problems=exc.problems,
                               member=found), 422
    session.commit()
    return redirect(url_for("ledger.member", member_id=found.id), code=303)


@bp.get("/import/template.xlsx")
@login_required
def import_template():
    """An empty list with the import's columns, for the units to fill in."""
    rights.require(current_user.row, "ledger_import")
    response = Response(ledger.import_template(),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = "attachment; filename=ledger-members-template.xlsx"
    return response


@bp.post("/members/<int:member_id>/activities")
@login_required
def add_activity(member_id: int):
    """Record an activity (with an optional photo) from the phone; 422 with every problem."""
    found, site = _member(member_id, "ledger_edit")
    session = get_db()
    limit = current_app.config["PHOTO_MAX_BYTES"]
    upload = request.files.get("photo")
    photo = ledger.Upload(upload.filename or "", upload.read(limit + 1)) if upload and upload.filename else None
    root = Path(current_app.config["MEDIA_DIR"])
    created: tuple[str, ...] = ()
    try:
        _row, created = ledger.record_activity(session=session, member=found, form=request.form, photo=photo,
                                               by=current_user.row, today=today(), media_root=root, max_bytes=limit)
        session.commit()
    except ledger.Invalid as exc:
        session.rollback()
        return _member_page(found, site, problems=exc.problems, form=request.form, status=422)
    except Exception:
        session.rollback()
        photos.remove(root, created)
        raise
    return redirect(url_for("ledger.member", member_id=found.id, year=_year()) + "#tally", code=303)


@bp.post("/members/<int:member_id>/report")
@login_required
def report(member_id: int):
    """Record the member's reporting date and letter number."""
    found, site = _member(member_id, "ledger_edit")
    session = get_db()
    try:
        ledger.mark_reported(session=session, member=found, on=request.form.get("on", ""),
                             letter_number=request.form.get("letter_number", ""), by=current_user.row, today=today())
    except ledger.Invalid as exc:
        session.rollback()
        return _member_page(found, site, problems=exc.problems, form=request.form, status=422)
    session.commit()
    return redirect(url_for("ledger.member", member_id=found.id), code=303)


@bp.get("/activities/<int:activity_id>/photo/<size>")
@login_required
def activity_photo(activity_id: int, size: str):
    """An activity's photo (thumb or display) for the user's region."""
    row = ledger.activity(session=get_db(), user=current_user.row, activity_id=activity_id) or abort(
        404, description="没有这条活动记录")
    rights.require(current_user.row, "ledger_view")
    path = ledger.photo_path(row, size) or abort(404, description="没有这张照片")
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- import


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
        rows = ledger.read_rows(upload.filename, upload.read(current_app.config["MAX_CONTENT_LENGTH"]))
        result = ledger.import_members(session=session, user=current_user.row, rows=rows, today=today(),
                                       default_site=default)
    except ledger.Invalid as exc:
        session.rollback()
        return render_template("ledger/import.html", report=None, problems=exc.problems, **page), 422
    if result.errors:
        session.rollback()
        return render_template("ledger/import.html", report=result, problems=[], **page), 422
    session.commit()
    return render_template("ledger/import.html", report=result, problems=[], **page)


# ---------------------------------------------------------------- feedback letters


def _feedback_page(site: Site, *, problems=(), status: int = 200):
    """The units' feedback letters of the year: quarters due and sent, the yearly card."""
    session = get_db()
    year = _year()
    units = ledger.feedback_status(session=session, site=site, year=year, as_of=today(), units=_units())
    rows = ledger.year_of(session=session, site=site, year=year, as_of=today(), deadline_md=_deadline(),
                          units=_units())
    return render_template("ledger/feedback.html", site=site, year=year, units=units, rows=rows,
                           due=core.quarters_due(year, today()), problems=list(problems)), status


@bp.get("/sites/<int:site_id>/feedback")
@login_required
def feedback(site_id: int):
    """Feedback letters to the members' units."""
    return _feedback_page(_site(site_id))


@bp.post("/sites/<int:site_id>/feedback")
@login_required
def send_feedback(site_id: int):
    """Send a unit its quarterly letter or the yearly 现实表现评议情况反馈卡."""
    site = _site(site_id, "ledger_edit")
    session = get_db()
    form = request.form
    if not (form.get("unit_id", "").isdigit() and form.get("quarter", "").isdigit()):
        return _feedback_page(site, problems=["请选择单位和季度"], status=422)
    ratings = {int(k.split("_", 1)[1]): (v, form.get(f"opinion_{k.split('_', 1)[1]}", ""))
               for k, v in form.items() if k.startswith("rating_") and k.split("_", 1)[1].isdigit()}
    try:
        ledger.send_feedback(session=session, site=site, unit_id=int(form["unit_id"]), year=_year(),
                             quarter=int(form["quarter"]), by=current_user.row, today=today(), ratings=ratings,
                             deadline_md=_deadline())
    except ledger.Invalid as exc:
        session.rollback()
        return _feedback_page(site, problems=exc.problems, status=422)
    except ledger.LedgerError as exc:
        session.rollback()
        return _feedback_page(site, problems=[str(exc)], status=409)
    session.commit()
    return redirect(url_for("ledger.feedback", site_id=site.id, year=_year()), code=303)


def _pdf(template: str, filename: str, **context) -> Response:
    """A printable PDF through the report engine (WeasyPrint, Noto CJK); ?html=1 shows the HTML."""
    html = render_template(template, **context)
    if request.args.get("html"):
        return Response(html, mimetype="text/html")
    pdf.check_setup()
    media = Path(current_app.config["MEDIA_DIR"])
    data = pdf.render(html, base=media, roots=(media, ROOT / "static"))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    return response


@bp.get("/feedback/<int:feedback_id>.pdf")
@login_required
def feedback_pdf(feedback_id: int):
    """A sent feedback letter (or the yearly card) as printed, from what was sent."""
    row = ledger.feedback(session=get_db(), user=current_user.row, feedback_id=feedback_id) or abort(
        404, description="没有这份反馈")
    rights.require(current_user.row, "ledger_view")
    template = "reports/ledger_feedback_card.html" if row.quarter == 0 else "reports/ledger_feedback_letter.html"
    return _pdf(template, f"feedback-{row.id}.pdf", f=row.content, row=row,
                title="在职党员现实表现评议情况反馈卡" if row.quarter == 0 else "在职党员进社区情况季度反馈函")


@bp.get("/members/<int:member_id>/cards/<card>.pdf")
@login_required
def card_pdf(member_id: int, card: str):
    """One of the member's cards (证明信、信息卡、回执、写实登记卡、承诺卡、联系对象档案卡), filled from the records."""
    found, site = _member(member_id)
    if card not in CARDS:
        abort(404, description="没有这种卡片")
    session = get_db()
    year = _year()
    acts = ledger.activities_of(session=session, member_ids=[found.id], year=year)
    tally = ledger.tally_of(found, acts, year=year, as_of=today(), deadline=core.deadline_of(year, _deadline()))
    unit = ledger.units_of(session=session, ids=[found.unit_id])[found.unit_id]
    return _pdf("reports/ledger_cards.html", f"{card}-{found.id}.pdf", card=card, title=CARDS[card][0],
                attachment=CARDS[card][1], m=found, site=site, unit=unit, activities=acts, tally=tally, year=year,
                township=ledger.township_name(session=session, site=site), printed=today())


# ---------------------------------------------------------------- summary tables


def _summary():
    """Both tables of the user's region for the year asked."""
    return ledger.summary(session=get_db(), user=current_user.row, year=_year(), as_of=today(),
                          deadline_md=_deadline())


@bp.get("/summary")
@login_required
def summary():
    """The November tables: community → township → county, on screen."""
    data = _summary()
    return render_template("ledger/summary.html", s=data, cells=ledger.summary_cells,
                           service_headers=ledger.SERVICE_HEADERS, report_headers=ledger.REPORT_HEADERS,
                           titles=ledger.TITLES, due=date_due(data.year))


def date_due(year: int):
    """The tables' due date: the end of November (四、加强领导)."""
    from datetime import date
    return date(year, *core.SUMMARY_DUE)


@bp.get("/summary.xlsx")
@login_required
def summary_xlsx():
    """Both tables as Excel."""
    data = _summary()
    response = Response(ledger.summary_xlsx(data),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f"attachment; filename=ledger-summary-{data.year}.xlsx"
    return response


@bp.get("/summary/<table>.pdf")
@login_required
def summary_pdf(table: str):
    """One of the two tables as a printable PDF (A4 landscape)."""
    if table not in ledger.TITLES:
        abort(404, description="没有这张汇总表")
    data = _summary()
    headers = ledger.REPORT_HEADERS if table == "report" else ledger.SERVICE_HEADERS
    rows = {"service": data.service, "report": data.report, "by_unit": data.by_unit}[table]
    return _pdf("reports/ledger_summary.html", f"summary-{table}-{data.year}.pdf", s=data,
                table="report" if table == "report" else "service", title=ledger.TITLES[table], headers=headers,
                rows=rows, cells=ledger.summary_cells, first="单位" if table == "by_unit" else "社区",
                attachment="附件7" if table == "report" else "附件6", printed=today())


# ---------------------------------------------------------------- the inspection reads the records


def _inspection(inspection_id: int) -> tuple[Inspection, Site]:
    """A ledger-checklist inspection of a community of the user's region, or 404."""
    session = get_db()
    found = scope.inspection(session=session, user=current_user.row, inspection_id=inspection_id) or abort(
        404, description="没有这次检查")
    spec = inspections.spec_for(session=session, inspection=found)
    if spec.id != CHECKLIST:
        abort(404, description="这次检查不是在职党员进社区台账检查")
    rights.require(current_user.row, "ledger_all")
    return found, session.get(Site, found.site_id)


def _inspection_page(found: Inspection, site: Site, *, problems=(), status: int = 200):
    """Each ledger item: the value computed from the records, the answer recorded, confirm or override."""
    session = get_db()
    spec = inspections.spec_for(session=session, inspection=found)
    year = (found.started_at.year if found.started_at else today().year)
    computed = ledger.compute_items(session=session, site=site, year=year, as_of=today(), deadline_md=_deadline())
    answers = inspections.answers_of(session=session, inspection=found)
    checks = ledger.checks_of(session=session, inspection=found)
    items = [(item, computed.get(item.id), answers.get(item.id), checks.get(item.id)) for item in spec.items()
             if item.id in ledger.COMPUTED_ITEMS]
    return render_template("ledger/inspection.html", inspection=found, site=site, items=items, year=year,
                           editable=inspections.may_edit(found, current_user.row), problems=list(problems)), status


@bp.get("/inspections/<int:inspection_id>")
@login_required
def inspection(inspection_id: int):
    """The ledger items of an inspection computed from the records, with links to them."""
    return _inspection_page(*_inspection(inspection_id))


@bp.post("/inspections/<int:inspection_id>/items/<item_id>")
@login_required
def decide(inspection_id: int, item_id: str):
    """Confirm the computed value or override it with a note; both are kept."""
    found, site = _inspection(inspection_id)
    rights.require(current_user.row, "ledger_confirm")
    session = get_db()
    spec = inspections.spec_for(session=session, inspection=found)
    item = spec.by_id.get(item_id) or abort(404, description="清单中没有这一项")
    year = found.started_at.year if found.started_at else today().year
    computed = ledger.compute_items(session=session, site=site, year=year, as_of=today(),
                                    deadline_md=_deadline()).get(item_id)
    override = None
    if request.form.get("decision") == "override":
        if item.kind == "rate":
            override = {"respondents": request.form.get("respondents", ""),
                        "satisfied": request.form.get("satisfied", "")}
        else:
            override = request.form.get("value", "")
    try:
        ledger.decide_item(session=session, inspection=found, item_id=item_id, kind=item.kind, computed=computed,
                           override=override, note=request.form.get("note", ""), by=current_user.row)
    except ledger.Invalid as exc:
        session.rollback()
        return _inspection_page(found, site, problems=exc.problems, status=422)
    except scoring.AnswerError as exc:  # an override that does not fit the item
        session.rollback()
        return _inspection_page(found, site, problems=[str(exc)], status=422)
    except (ledger.LedgerError, inspections.InspectionError, inspections.Conflict) as exc:
        session.rollback()
        return _inspection_page(found, site, problems=[str(exc) or "另一台设备刚保存了这一项，请刷新后再试"], status=409)
    session.commit()
    return redirect(url_for("ledger.inspection", inspection_id=found.id) + f"#{item_id}", code=303)


def register(app) -> None:
    """Register the ledger and service-project areas; the reporting deadline defaults to the source's 5月15日."""
    from . import service_projects
    app.config.setdefault("LEDGER_REPORT_DEADLINE", "05-15")  # 三、工作措施 1, "MM-DD"
    app.register_blueprint(bp)
    app.register_blueprint(service_projects.bp)
    app.cli.add_command(ledger_cli)


@click.group("ledger", help="在职党员进社区台账")
def ledger_cli():
    """The ledger's commands."""


@ledger_cli.command("link-unit", help="把“党员所在单位”账号绑定到单位：USERNAME UNIT（单位名称），单位须在账号所在县（区）")
@click.argument("username")
@click.argument("unit_name")
@with_appcontext
def link_unit(username: str, unit_name: str):
    """Bind a unit account to its unit."""
    from sqlmodel import select as _select

    from ..models import LedgerUnit
    from ..services import users
    session = get_db()
    user = users.by_username(session=session, username=username)
    if user is None:
        raise click.ClickException(f"没有用户 {username}")
    mine = scope.region_of(session=session, user=user)
    units = [u for u in session.exec(_select(LedgerUnit).where(LedgerUnit.name == unit_name))
             if scope.covers(session=session, user=user, region_id=u.county_id) or u.county_id == mine.id]
    if not units:
        raise click.ClickException(f"{user.display_name} 的区划内没有单位“{unit_name}”（单位在导入名单或登记党员时建立）")
    try:
        ledger.link_unit_user(session=session, user=user, unit=units[0])
    except ledger.LedgerError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"{user.username} → {units[0].name}")


@ledger_cli.command("demo", help="为演示县加入在职党员台账与党群服务项目（先运行 demo load）")
@with_appcontext
def demo():
    """Load the demo ledger."""
    from .. import get_calendar
    from ..demo import ledger as ledger_demo
    session = get_db()
    try:
        counts = ledger_demo.load(session=session, today=today(), calendar=get_calendar())
    except ledger.LedgerError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo("演示台账：党员 {members} 人，活动 {activities} 条，反馈函 {letters} 份，党群服务项目 {projects} 个；"
               "单位账号 unit-caizheng".format(**counts))
