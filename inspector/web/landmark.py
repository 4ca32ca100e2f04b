"""Red-landmark applications: village (with evidence) → township → county ranking → city → meeting → notice."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory,
                   url_for)
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..runtime import get_calendar, get_db, today
from ..core import geo, photos
from ..models import RedLandmarkApplication, Site, User
from ..services import due as due_list
from ..services import evidence, landmark, landmark_read, rights, scope, sites
from . import render
from .work import unit_of_work

bp = Blueprint("landmark", __name__, url_prefix='/landmark')

def _user() -> User:
    return current_user.row


def _step_days() -> int:
    """Working days for the township and county steps: a county setting (the sources give none)."""
    default = landmark.procedure().step("township_recommend").period.days
    return int(current_app.config.get("LANDMARK_STEP_WORKING_DAYS", default))


def _date(name: str, label: str) -> date | None:
    """A date field of the form (empty = None); 422 when it is not a date."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise landmark.LandmarkError(f"{label}应为日期，如 2026-09-15（填写的是“{raw[:20]}”）") from None


def _checked(name: str) -> bool:
    return request.form.get(name, "") in ("1", "on", "yes", "true")


def _link(endpoint: str, fallback: str, **values) -> str:
    """url_for an endpoint another area builds; its literal path until that endpoint exists."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return fallback


def _application(application_id: int) -> RedLandmarkApplication:
    """An application of a site in the user's region, or 404."""
    session = get_db()
    found = session.get(RedLandmarkApplication, application_id)
    if found is None or scope.site(session=session, user=_user(), site_id=found.site_id) is None:
        abort(404, description="没有这份申报")
    return found


def _detail(application: RedLandmarkApplication, *, error: str | None = None, status: int = 200, form=None):
    """The application's page (with an error from a refused form)."""
    session = get_db()
    d = landmark_read.dossier(session=session, application=application, today=today())
    notice_url = (_link("notices.public", f"/notice/{d.notice.public_id}", public_id=d.notice.public_id)
                  if d.notice else None)
    return render_template("landmark/detail.html", d=d, a=application, error=error, form=form or {},
                           actions=landmark_read.available(application=application, current=d.current, user=_user()),
                           notice_url=notice_url, step_days=_step_days(), today=today(),
                           status_label=landmark.status_label, town_rank_basis=landmark.town_rank_basis,
                           procedure=landmark.procedure(), rank_problem=landmark.rank_problem(application)), status


def _act(application_id: int, action):
    """Run one step of an application as one unit of work and go back to its page; a refusal of the
    procedure re-renders the page with the form as filled in (any other refusal reaches the handler)."""
    application = _application(application_id)
    try:
        with unit_of_work() as session:
            action(session, application)
    except landmark.LandmarkError as exc:
        return _detail(get_db().get(RedLandmarkApplication, application_id), error=exc.message, status=exc.status,
                       form=request.form)
    return redirect(url_for("landmark.detail", application_id=application_id), code=303)


@bp.get("/")
@login_required
def index():
    """Applications in the user's region, filtered by year and status; htmx gets only the list."""
    session = get_db()
    region = scope.region_of(session=session, user=_user())
    year = request.args.get("year", type=int)
    status = request.args.get("status", "")
    status = status if status in landmark.STATUS_LABELS else ""
    rows = landmark_read.search(session=session, region=region, year=year, status=status or None)
    return render("landmark/index.html", "landmark/_list.html", rows=rows, year=year, status=status,
                  years=landmark_read.years(session=session, region=region), statuses=landmark.STATUS_LABELS,
                  status_label=landmark.status_label, can_apply=rights.can(_user(), "landmark_apply"),
                  can_due=rights.can(_user(), "due_list"))


def _new_context(site_id: int | None):
    """The village's sites and, for the chosen one, its self-assessments and build-standard evidence."""
    session = get_db()
    region = scope.region_of(session=session, user=_user())
    site_rows = [s for s, _r in sites.search(session=session, region=region, limit=100)[0]]
    site = next((s for s in site_rows if s.id == site_id), site_rows[0] if site_rows else None)
    return dict(sites=site_rows, site=site, year=today().year,
                assessments=landmark_read.self_assessments(session=session, site=site) if site else [],
                evidence=landmark_read.build_evidence(session=session, site=site) if site else None,
                existing=landmark_read.of_site_year(session=session, site=site, year=today().year) if site else None,
                town_rank=landmark.town_rank_of(session=session, site=site) if site else None,
                rank_rule=landmark.procedure().parameter("town-rank-top"),
                conditions=landmark.CONDITIONS, step_days=_step_days())


@bp.get("/new")
@login_required
def new():
    """The application form: self-assessment, the 4.2 conditions and the evidence found for them."""
    rights.require(_user(), "landmark_apply")
    return render_template("landmark/new.html", error=None, form={},
                           **_new_context(request.args.get("site_id", type=int)))


@bp.post("/")
@login_required
def create():
    """Apply (village): every 4.2 condition checked; 422 naming the condition, nothing stored."""
    rights.require(_user(), "landmark_apply")
    site = scope.site(session=get_db(), user=_user(), site_id=request.form.get("site_id", type=int) or 0)
    if site is None:
        abort(404, description="没有这个站点")
    root = Path(current_app.config["MEDIA_DIR"])
    limit = current_app.config["PHOTO_MAX_BYTES"]
    files = {key: [landmark.Upload(f.filename or "", f.read(limit + 1)) for f in request.files.getlist(f"evidence_{key}")
                   if f and f.filename]
             for key in landmark.EVIDENCE_KEYS}
    created: list[str] = []
    try:
        with unit_of_work() as session:
            application = landmark.apply(
                session=session, site=site, by=_user(), today=today(), calendar=get_calendar(),
                self_assessment_id=request.form.get("self_assessment_id", type=int),
                leadership_ok=_checked("leadership_ok"), operating_since=_date("operating_since", "挂牌运行起始日期"),
                no_major_incident=_checked("no_major_incident"), step_days=_step_days(), evidence_files=files,
                media_root=root, town_rank=request.form.get("town_rank", ""),
                town_total=request.form.get("town_total", ""), created=created)
    except BaseException as exc:
        photos.remove(root, created)  # nothing stored: the files written for it go too
        if not isinstance(exc, landmark.LandmarkError):
            raise
        return render_template("landmark/new.html", error=exc.message, form=request.form,
                               **_new_context(site.id)), exc.status
    flash("已申报，等待乡镇（街道）推荐")
    return redirect(url_for("landmark.detail", application_id=application.id), code=303)


@bp.get("/<int:application_id>")
@login_required
def detail(application_id: int):
    """One application: conditions and evidence, the steps with due dates, notice, objections, decision."""
    return _detail(_application(application_id))


@bp.post("/<int:application_id>/township")
@login_required
def township(application_id: int):
    """The township recommends with its application report."""
    return _act(application_id, lambda s, a: landmark.township_recommend(
        session=s, application=a, report=request.form.get("report", ""), by=_user(), today=today(),
        calendar=get_calendar(), step_days=_step_days()))


def _county_page(year: int, *, error: str | None = None, status: int = 200, form=None):
    """The county's ranking page: every application waiting for its recommendation this year."""
    session = get_db()
    region = scope.region_of(session=session, user=_user())
    rows = landmark.county_queue(session=session, region=region, year=year)
    return render_template("landmark/county.html", rows=rows, year=year, error=error, form=form or {},
                           status_label=landmark.status_label), status


@bp.get("/county")
@login_required
def county_ranking():
    """7.2: the county ranks its applications and recommends a chosen subset (择优推荐)."""
    rights.require(_user(), "landmark_county_recommend")
    return _county_page(request.args.get("year", type=int) or today().year)


def _ranked(application: RedLandmarkApplication, site: Site) -> landmark.Ranked:
    """The county's rank (and recommendation) of one application, as the form gives it."""
    raw = (request.form.get(f"rank_{application.id}") or "").strip()
    if not raw.isdigit():
        raise landmark.LandmarkError(f"请填写“{site.name}”的名次（整数）")
    return landmark.Ranked(application.id, int(raw), _checked(f"recommend_{application.id}"))


@bp.post("/county")
@login_required
def county_rank():
    """Record the county's ranking and its recommended applications."""
    rights.require(_user(), "landmark_county_recommend")
    year = request.form.get("year", type=int) or today().year
    try:
        with unit_of_work() as session:
            region = scope.region_of(session=session, user=_user())
            ranking = [_ranked(application, site)
                       for application, site in landmark.county_queue(session=session, region=region, year=year)]
            landmark.county_rank(session=session, region=region, year=year, ranking=ranking,
                                 opinion=request.form.get("opinion", ""), by=_user(), today=today())
    except landmark.LandmarkError as exc:
        return _county_page(year, error=exc.message, status=exc.status, form=request.form)
    flash("已完成县级择优推荐")
    return redirect(url_for("landmark.county_ranking", year=year), code=303)


@bp.post("/<int:application_id>/received")
@login_required
def received(application_id: int):
    """The city records the date it received the county's application (the 30 days start)."""
    return _act(application_id, lambda s, a: landmark.receive(
        session=s, application=a, received_on=_date("received_on", "收件日期"), by=_user(), today=today()))


@bp.post("/<int:application_id>/evaluation")
@login_required
def evaluation(application_id: int):
    """Start the city's evaluation inspection of this site and go to it."""
    application = _application(application_id)
    rights.require(_user(), "landmark_start_evaluation")  # the role is refused before the form is read
    spec = current_app.extensions["checklists"].get(landmark.CHECKLIST)
    try:
        device = geo.parse_position(request.form.get("lat"), request.form.get("lon"), request.form.get("accuracy"))
    except ValueError as exc:
        abort(400, description=str(exc))
    site = get_db().get(Site, application.site_id)
    flags = evidence.position_flags(site=site, device=device, accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"])
    try:
        with unit_of_work() as session:
            if spec is None:
                raise landmark.LandmarkError("找不到“红色地标”建设规范清单")
            ins = landmark.start_evaluation(session=session, application=application, spec=spec, by=_user(),
                                            position=device, flags=flags)
    except landmark.LandmarkError as exc:
        return _detail(application, error=exc.message, status=exc.status)
    return redirect(url_for("inspections.walk", inspection_id=ins.id), code=303)


@bp.post("/<int:application_id>/result")
@login_required
def result(application_id: int):
    """The city records the evaluation's result; a pass is publicly noticed for 7 working days."""
    return _act(application_id, lambda s, a: landmark.record_result(
        session=s, application=a, by=_user(), today=today(), calendar=get_calendar()))


@bp.post("/<int:application_id>/meeting")
@login_required
def meeting(application_id: int):
    """The department meeting's decision (部务会审定: date, minutes number); approved → the 7-day notice."""
    _application(application_id)  # another region's application is 404, then the role, then the form
    rights.require(_user(), "landmark_meeting")
    outcome = request.form.get("outcome", "")
    if outcome not in ("approve", "reject"):
        abort(400, description="请选择部务会审定结果：通过或未通过")
    return _act(application_id, lambda s, a: landmark.record_meeting(
        session=s, application=a, meeting_date=_date("meeting_date", "部务会日期"),
        minutes_number=request.form.get("minutes", ""), approve=outcome == "approve",
        reason=request.form.get("reason", ""), notice_start=_date("notice_start", "公示开始日期"),
        contact=request.form.get("contact", ""), by=_user(), today=today(), calendar=get_calendar()))


@bp.get("/<int:application_id>/evidence/<key>/<int:n>")
@login_required
def evidence_file(application_id: int, key: str, n: int):
    """An evidence file (4.2 a–c, 5.13) of an application of the user's region."""
    found = landmark.evidence_path(_application(application_id), key, n) or abort(404, description="没有这份材料")
    path, mimetype = found
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, mimetype=mimetype, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<int:application_id>/objections")
@login_required
def objection(application_id: int):
    """Record an objection received during the notice period."""
    return _act(application_id, lambda s, a: landmark.record_objection(
        session=s, application=a, received_on=_date("received_on", "收到异议日期"), text=request.form.get("text", ""),
        by=_user()))


@bp.post("/<int:application_id>/objections/<int:objection_id>/resolve")
@login_required
def resolve(application_id: int, objection_id: int):
    """Record how an objection was handled."""
    return _act(application_id, lambda s, a: landmark.resolve_objection(
        session=s, application=a, objection_id=objection_id, resolution=request.form.get("resolution", ""),
        by=_user()))


@bp.post("/<int:application_id>/award")
@login_required
def award(application_id: int):
    """Award the title by document, after the notice period."""
    return _act(application_id, lambda s, a: landmark.award(
        session=s, application=a, number=request.form.get("number", ""),
        award_date=_date("award_date", "命名日期"), by=_user(), today=today()))


@bp.post("/<int:application_id>/refuse")
@login_required
def refuse(application_id: int):
    """Refuse the title, with the reason."""
    return _act(application_id, lambda s, a: landmark.refuse(
        session=s, application=a, reason=request.form.get("reason", ""), by=_user(), today=today()))


@bp.post("/<int:application_id>/revoke")
@login_required
def revoke(application_id: int):
    """Revoke an awarded title (4.3), with the reason and date."""
    return _act(application_id, lambda s, a: landmark.revoke(
        session=s, application=a, reason=request.form.get("reason", ""),
        revoked_on=_date("revoked_on", "取消日期"), by=_user(), today=today()))


@bp.get("/due")
@login_required
def due():
    """Open steps of both programs with a due date in the user's region: overdue first."""
    user = _user()
    rights.require(user, "due_list")
    session = get_db()
    rows = due_list.due(session=session, region=scope.region_of(session=session, user=user), today=today())
    links = {r.step.id: (url_for("landmark.detail", application_id=r.step.program_id)
                         if r.step.program == landmark.PROGRAM
                         else _link("micro.detail", f"/micro/{r.step.program_id}", project_id=r.step.program_id))
             for r in rows}
    return render_template("landmark/due.html", rows=rows, links=links, today=today())
