"""Micro projects (微实事): fund, application, routing, notice, acceptance, evaluation."""
from __future__ import annotations

from datetime import timezone
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..core import geo, photos
from ..core.clock import CHINA
from ..runtime import get_calendar, get_db, today
from ..core import micro as rules
from ..models import MicroProject, Site
from ..services import micro, programs, rights, scope, sites
from .work import unit_of_work

bp = Blueprint("micro", __name__, url_prefix='/micro')


def notice_url(notice) -> str | None:
    """The public page of a notice (another area's blueprint; None while it is not registered)."""
    if notice is None:
        return None
    try:
        return url_for("notices.public", public_id=notice.public_id)
    except BuildError:
        return None


@bp.context_processor
def _helpers():
    """Money in yuan, status and size words, the notice link, for this area's templates."""
    return {"money": rules.format_money, "STATUS": rules.STATUS_LABELS, "SIZES": rules.SIZES,
            "MEMBER_KINDS": rules.MEMBER_KINDS, "CATEGORIES": rules.CATEGORIES, "notice_url": notice_url,
            "may": lambda action: micro.may(current_user.row, action),
            "may_decide": lambda row: micro.may_decide(current_user.row, row), "local_date": _local_date}


def _local_date(moment) -> str:
    """A stored UTC time as its date in China (SQLite hands back naive UTC)."""
    if not moment:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date().isoformat()


def _project(project_id: int) -> tuple[MicroProject, Site]:
    """A project of the user's region and its site, or 404."""
    session = get_db()
    project = micro.get(session=session, user=current_user.row, project_id=project_id)
    if project is None:
        abort(404, description="没有这个微实事项目")
    return project, session.get(Site, project.site_id)


def _site(site_id: int) -> Site:
    """A site of the user's region, or 404."""
    return scope.site(session=get_db(), user=current_user.row, site_id=site_id) or abort(404, description="没有这个站点")


def _device() -> geo.Position | None:
    """The phone's position sent with the form (lat, lon, accuracy), or None; 400 when malformed."""
    try:
        return geo.parse_position(request.form.get("lat"), request.form.get("lon"), request.form.get("accuracy"))
    except ValueError as exc:
        abort(400, description=f"定位数据有误：{exc}")


def _int_arg(name: str) -> int | None:
    """An integer query argument, None when blank or not a number."""
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@bp.get("/")
@login_required
def index():
    """Projects of the user's region, by year and status; where to apply and the fund."""
    session = get_db()
    region = scope.region_of(session=session, user=current_user.row)
    year, status = _int_arg("year"), request.args.get("status", "")
    status = status if status in rules.STATUS_LABELS else ""
    rows = micro.listing(session=session, region=region, year=year, status=status or None)
    own_sites, _total = sites.search(session=session, region=region, limit=200)
    return render_template("micro/index.html", rows=rows, year=year, status=status,
                           years=sorted(set(micro.years(session=session, region=region)) | {today().year},
                                        reverse=True),
                           own_sites=[s for s, _r in own_sites], this_year=today().year)


@bp.get("/sites/<int:site_id>/new")
@login_required
def new(site_id: int):
    """The application form (000 附件1)."""
    site = _site(site_id)
    micro.require(current_user.row, "apply")
    return render_template("micro/new.html", site=site, form={}, problems=[], program=programs.of_site(site))


@bp.post("/sites/<int:site_id>/projects")
@login_required
def create(site_id: int):
    """Apply: validated as a whole; the route's first step opens. 422 with every broken rule."""
    site = _site(site_id)
    try:
        with unit_of_work() as session:
            project = micro.apply(session=session, site=site, form=request.form, by=current_user.row,
                                  today=today(), calendar=get_calendar())
    except micro.Invalid as exc:  # the form again, with every broken rule beside its field
        return render_template("micro/new.html", site=site, form=request.form, problems=exc.problems,
                               program=programs.of_site(site)), 422
    return redirect(url_for("micro.detail", project_id=project.id), code=303)


def _detail(project: MicroProject, site: Site, *, problems=(), error: str | None = None, form=None, status=200):
    """The project page: route and steps with countdowns, notices, photos, acceptance, survey, archive."""
    session = get_db()
    now = today()
    township, village = micro.region_names(session=session, site=site)
    steps = [(step, row, programs.countdown(row.due_date, now) if row is not None and row.done_at is None else None)
             for step, row in micro.steps_of(session=session, project=project)]
    current = next((row for _s, row, _c in steps if row is not None and row.done_at is None), None)
    completion = micro.completion_notice(session=session, project=project)
    inspection = micro.acceptance(session=session, project=project)
    plan = micro.plan_notice(session=session, project=project)
    funded = sum(c.amount_fen for c, _m, p in micro.commitments(session=session, site=site, year=project.year)
                 if p.id == project.id)
    survey = (rules.Satisfaction(project.satisfaction["respondents"], project.satisfaction["satisfied"])
              if project.satisfaction else None)
    program = micro.program_of(project)
    return render_template(
        "micro/detail.html", project=project, site=site, township=township, village=village, program=program,
        plan_def=program.notice_gating("start"), completion_def=program.notice_gating("acceptance"),
        warnings=micro.warnings_of(project), overrides=micro.overrides_of(project),
        route=micro.route_of(project), steps=steps, current=current, plan=plan, completion=completion,
        completion_ended=completion is not None and now > completion.end_date, inspection=inspection,
        accepted=micro.accepted(inspection), survey=survey, funded=funded, today=now,
        photos=list(enumerate(micro.photos_of(session=session, project=project))), problems=list(problems), error=error,
        form=form or {}), status


@bp.get("/<int:project_id>")
@login_required
def detail(project_id: int):
    """One project."""
    return _detail(*_project(project_id))


def _act(project_id: int, action):
    """Run a service action on a project: 303 back to it, or the page with every broken rule (422);
    a refusal (409, 403) reaches the one error handler."""
    project, site = _project(project_id)
    try:
        with unit_of_work() as session:
            target = action(session, project, site)
    except micro.Invalid as exc:
        return _detail(project, site, problems=exc.problems, form=request.form, status=422)
    return redirect(target if isinstance(target, str) else url_for("micro.detail", project_id=project.id), code=303)


@bp.post("/<int:project_id>/steps/<step_id>")
@login_required
def decide(project_id: int, step_id: str):
    """The open step's owner approves or rejects (with a reason)."""
    _project(project_id)  # another region's project is 404 before the form is read
    outcome = request.form.get("outcome", "")
    if outcome not in ("approve", "reject"):
        abort(400, description="请选择同意或不同意")
    return _act(project_id, lambda s, p, _site: micro.decide(
        session=s, project=p, step_id=step_id, approve=outcome == "approve", note=request.form.get("note", ""),
        by=current_user.row, today=today(), calendar=get_calendar(), amount=request.form.get("amount", "")))


@bp.post("/<int:project_id>/plan-notice")
@login_required
def plan_notice(project_id: int):
    """Post the plan notice (optional, 003: ≥ 5 working days)."""
    return _act(project_id, lambda s, p, _site: micro.post_plan_notice(
        session=s, project=p, form=request.form, by=current_user.row, today=today(), calendar=get_calendar())
       )


@bp.post("/<int:project_id>/start")
@login_required
def start(project_id: int):
    """Record that work began."""
    return _act(project_id, lambda s, p, _site: micro.start(session=s, project=p, by=current_user.row,
                                                            today=today()))


@bp.route("/<int:project_id>/complete", methods=["GET", "POST"])
@login_required
def complete(project_id: int):
    """Completion: before/after photos and the completion notice (000 二 4, 附件2)."""
    session = get_db()
    project, site = _project(project_id)
    micro.require(current_user.row, "complete")
    township, village = micro.region_names(session=session, site=site)
    page = dict(project=project, site=site, village=village, today=today(),
                defined=micro.completion_definition(project))
    if request.method == "GET":
        error = rules.transition_error("complete", project.status)
        return render_template("micro/complete.html", form={}, problems=[], error=error, **page), 409 if error else 200
    limit = current_app.config["PHOTO_MAX_BYTES"]
    uploads = {kind: [micro.Upload(f.filename or "", photos.read_upload(f.stream, limit))
                      for f in request.files.getlist(kind) if f and f.filename]
               for kind in ("before", "after")}
    root = Path(current_app.config["MEDIA_DIR"])
    created: tuple[str, ...] = ()
    try:
        with unit_of_work() as session:
            _notice, created = micro.complete(session=session, project=project, form=request.form,
                                              before=uploads["before"], after=uploads["after"], by=current_user.row,
                                              today=today(), calendar=get_calendar(), media_root=root,
                                              max_bytes=limit, device=_device(),
                                              accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"])
    except micro.Invalid as exc:
        return render_template("micro/complete.html", form=request.form, problems=exc.problems, error=None,
                               **page), 422
    except BaseException:
        photos.remove(root, created)  # the commit failed: the files this upload wrote go too
        raise
    return redirect(url_for("micro.detail", project_id=project.id), code=303)


@bp.post("/<int:project_id>/acceptance")
@login_required
def acceptance(project_id: int):
    """Start the acceptance inspection (township or inspector), then walk it."""
    def run(s, p, _site):
        spec = current_app.extensions["checklists"][micro.checklist_for(p)]
        inspection = micro.start_acceptance(session=s, project=p, spec=spec, by=current_user.row, today=today())
        s.flush()
        return url_for("inspections.walk", inspection_id=inspection.id)
    return _act(project_id, run)


@bp.post("/<int:project_id>/satisfaction")
@login_required
def satisfaction(project_id: int):
    """Record the residents' satisfaction survey (the rate is computed)."""
    return _act(project_id, lambda s, p, _site: micro.record_satisfaction(
        session=s, project=p, respondents=request.form.get("respondents", ""),
        satisfied=request.form.get("satisfied", ""), by=current_user.row, today=today()))


@bp.post("/<int:project_id>/archive")
@login_required
def archive(project_id: int):
    """Archive the project."""
    return _act(project_id, lambda s, p, _site: micro.archive(session=s, project=p, by=current_user.row))


@bp.get("/<int:project_id>/photos/<int:n>/<size>")
@login_required
def photo(project_id: int, n: int, size: str):
    """A before/after photo of a project of the user's region (thumb or display size)."""
    project, _site = _project(project_id)
    path = (micro.photo_path(session=get_db(), project=project, n=n, size=size)
            or abort(404, description="没有这张照片"))
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _fund_page(site: Site, year: int, *, problems=(), form=None, status=200):
    """The fund of a site for a year: members, allocation, committed, remaining; commitments."""
    session = get_db()
    lines = micro.fund(session=session, site=site, year=year)
    projects = [p for p, _s in micro.listing(session=session, region=scope.region_of(session=session,
                                                                                     user=current_user.row),
                                             year=year, site_id=site.id) if p.status not in ("rejected", "archived")]
    program = programs.of_site(site)
    return render_template("micro/fund.html", site=site, year=year, lines=lines, projects=projects,
                           fund_rule=program.fund if program else None,
                           commitments=micro.commitments(session=session, site=site, year=year),
                           total_allocation=sum(ln.member.allocation_fen for ln in lines),
                           total_committed=sum(ln.committed_fen for ln in lines),
                           problems=list(problems), form=form or {}), status


def _year(value: str | None) -> int:
    """A year from a form or query (this year when blank); 400 when not a year."""
    raw = (value or "").strip()
    if not raw:
        return today().year
    if not (raw.isdigit() and 2000 <= int(raw) <= 2100):
        abort(400, description=f"年度“{raw}”不对")
    return int(raw)


@bp.get("/sites/<int:site_id>/fund")
@login_required
def fund(site_id: int):
    """The micro-service fund of a site for a year (000 二 1: 200 CNY per member)."""
    return _fund_page(_site(site_id), _year(request.args.get("year")))


def _fund_write(site_id: int, action):
    """Run a fund change: 303 back to the fund page, or the page with every broken rule (422);
    a refusal (409, 403) reaches the one error handler."""
    site = _site(site_id)
    year = _year(request.form.get("year"))
    try:
        with unit_of_work() as session:
            action(session, site, year)
    except micro.Invalid as exc:
        return _fund_page(site, year, problems=exc.problems, form=request.form, status=422)
    return redirect(url_for("micro.fund", site_id=site.id, year=year), code=303)


@bp.post("/sites/<int:site_id>/fund/members")
@login_required
def add_member(site_id: int):
    """Register a Party member or residents' representative for the year."""
    f = request.form
    return _fund_write(site_id, lambda s, site, year: micro.add_member(
        session=s, site=site, year=year, name=f.get("name", ""), phone=f.get("phone", ""), kind=f.get("kind", ""),
        by=current_user.row))


@bp.post("/sites/<int:site_id>/fund/commitments")
@login_required
def commit(site_id: int):
    """A member commits part of their allocation to a project."""
    f = request.form
    return _fund_write(site_id, lambda s, site, year: micro.commit(
        session=s, site=site, member_id=f.get("member_id", type=int) or 0,
        project_id=f.get("project_id", type=int) or 0, amount=f.get("amount", ""), by=current_user.row))


@bp.get("/programs")
@login_required
def program_list():
    """Every program definition (micro schemes, red landmark, build acceptance) and, for the county, the binding."""
    session = get_db()
    region = scope.region_of(session=session, user=current_user.row)
    can_bind = rights.can(current_user.row, "micro_bind_program")
    rows = [s for s, _r in sites.search(session=session, region=region, limit=500)[0]] if can_bind else []
    return render_template("micro/programs.html", definitions=list(programs.definitions().values()),
                           micro_programs=programs.of_kind("micro_project"), sites=rows, can_bind=can_bind,
                           error=None), 200


@bp.post("/sites/<int:site_id>/program")
@login_required
def bind(site_id: int):
    """The county binds a village to a micro-project program (audit-logged)."""
    site = _site(site_id)
    try:
        with unit_of_work() as session:
            programs.bind(session=session, site=site, program_id=request.form.get("program", ""),
                          by=current_user.row)
    except programs.BindError as exc:  # another area's error class, not yet a DomainError
        abort(422, description=str(exc))
    return redirect(url_for("micro.program_list"), code=303)
