"""Party–mass service projects (seed 003): survey, design, review, plan notice, activities, summary report,
district evaluation, the library with its monthly rota, and the quotas."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..runtime import get_calendar, get_db, today
from ..core import photos
from ..core import service_projects as core
from ..models import ServiceProject, Site
from ..services import rights
from ..services import service_project_activities as activities
from ..services import service_project_library as district
from ..services import service_projects as projects
from .ledger_common import pdf_response, problems_of
from .work import unit_of_work

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.context_processor
def _helpers():
    """Words for this area's templates."""
    return {"STATUS": core.STATUS_LABELS, "LEVELS": core.LEVELS, "SURVEY_WAYS": core.SURVEY_WAYS, "SP": core}


def _notice_url(notice) -> str | None:
    """The public page of a notice (None while the notices area is not registered)."""
    try:
        return url_for("notices.public", public_id=notice.public_id) if notice is not None else None
    except BuildError:
        return None


def _project(project_id: int) -> ServiceProject:
    """A project of the user's region (else 404, before any role check)."""
    found = projects.get(session=get_db(), user=current_user.row, project_id=project_id) or abort(
        404, description="没有这个党群服务项目")
    rights.require(current_user.row, "projects_view")
    return found


def _year() -> int:
    """?year=, this year by default."""
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else today().year


@bp.get("/")
@login_required
def index():
    """The region's projects, the quotas and where to start one."""
    rights.require(current_user.row, "projects_view")
    session = get_db()
    year = _year()
    rows = projects.listing(session=session, user=current_user.row, year=year)
    return render_template("ledger/projects_index.html", rows=rows, year=year,
                           quotas=district.quotas(session=session, user=current_user.row, year=year))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start a project with its needs survey (三（一）)."""
    rights.require(current_user.row, "projects_edit")
    session = get_db()
    sites = projects.community_sites(session=session, user=current_user.row)
    if request.method == "GET":
        return render_template("ledger/project_new.html", sites=sites, form={}, problems=[])
    try:
        with unit_of_work():
            project = projects.create(session=session, user=current_user.row, form=request.form, today=today())
    except projects.Invalid as exc:
        return render_template("ledger/project_new.html", sites=sites, form=request.form, problems=exc.problems), 422
    return redirect(url_for("projects.detail", project_id=project.id), code=303)


def _detail(project: ServiceProject, *, problems=(), status: int = 200):
    """The project page: every step, its record and the form for the next one."""
    session = get_db()
    township, community = projects.names(session=session, project=project)
    notice = projects.notice_of(session=session, project=project)
    return render_template("ledger/project.html", p=project, township=township, community=community,
                           site=session.get(Site, project.site_id), notice=notice, notice_url=_notice_url(notice),
                           activities=projects.activities_of(session=session, project=project),
                           running=projects.running(session=session, project=project, today=today()),
                           visit=district.site_visit(session=session, project=project), today=today(),
                           problems=list(problems)), status


@bp.get("/<int:project_id>")
@login_required
def detail(project_id: int):
    """One project."""
    return _detail(_project(project_id))


def _act(project_id: int, run):
    """Run a step on a project of the user's region: 422 with the problems, 409 with the reason; else back."""
    project = _project(project_id)
    try:
        with unit_of_work() as session:
            target = run(session, project)
    except (projects.Invalid, projects.ProjectError) as exc:
        return _detail(project, problems=problems_of(exc), status=exc.status)
    return redirect(target if isinstance(target, str) else url_for("projects.detail", project_id=project.id), code=303)


@bp.post("/<int:project_id>/design")
@login_required
def design(project_id: int):
    """Save the design and send it to the township's review."""
    return _act(project_id, lambda s, p: projects.design(session=s, project=p, form=request.form, by=current_user.row))


@bp.post("/<int:project_id>/review")
@login_required
def review(project_id: int):
    """The township's review (approve or not, opinion, the social organization)."""
    return _act(project_id, lambda s, p: projects.review(
        session=s, project=p, approve=request.form.get("outcome") == "approve", opinion=request.form.get("opinion", ""),
        partner=request.form.get("partner", ""), by=current_user.row, today=today()))


@bp.post("/<int:project_id>/notice")
@login_required
def notice(project_id: int):
    """Post the plan notice (≥ 5 working days)."""
    return _act(project_id, lambda s, p: projects.post_notice(session=s, project=p, form=request.form,
                                                              by=current_user.row, today=today(),
                                                              calendar=get_calendar()))


@bp.post("/<int:project_id>/activities")
@login_required
def add_activity(project_id: int):
    """Record an activity with photos."""
    _project(project_id)
    rights.require(current_user.row, "projects_edit")
    limit = current_app.config["PHOTO_MAX_BYTES"]
    uploads = [activities.Upload(f.filename or "", f.read(limit + 1)) for f in request.files.getlist("photos")
               if f and f.filename]
    root = Path(current_app.config["MEDIA_DIR"])
    created: list[str] = []

    def run(s, p):
        _row, files = activities.add_activity(session=s, project=p, form=request.form, photos=uploads,
                                              by=current_user.row, today=today(), media_root=root, max_bytes=limit)
        created.extend(files)
    try:
        return _act(project_id, run)
    except Exception:
        photos.remove(root, created)
        raise


@bp.post("/<int:project_id>/summary")
@login_required
def summarize(project_id: int):
    """Generate the summary report from the record."""
    return _act(project_id, lambda s, p: projects.summarize(session=s, project=p, form=request.form,
                                                            by=current_user.row, today=today()))


@bp.post("/<int:project_id>/apply")
@login_required
def apply(project_id: int):
    """Put the project up for evaluation (the running rule is checked)."""
    return _act(project_id, lambda s, p: projects.apply(session=s, project=p, by=current_user.row, today=today()))


@bp.post("/<int:project_id>/site-visit")
@login_required
def site_visit(project_id: int):
    """Start the site-visit inspection (inspector) and walk it."""
    spec = current_app.extensions["checklists"][projects.CHECKLIST]

    def run(s, p):
        inspection = district.start_site_visit(session=s, project=p, spec=spec, by=current_user.row)
        s.flush()
        return url_for("inspections.walk", inspection_id=inspection.id)
    return _act(project_id, run)


@bp.post("/<int:project_id>/evaluate")
@login_required
def evaluate(project_id: int):
    """The county's evaluation: votes, questionnaire, decision."""
    return _act(project_id, lambda s, p: district.evaluate(session=s, project=p, form=request.form,
                                                           by=current_user.row, today=today()))


@bp.get("/<int:project_id>/summary.pdf")
@login_required
def summary_pdf(project_id: int):
    """The summary report as a printable PDF."""
    project = _project(project_id)
    if not project.summary:
        abort(404, description="本项目还没有总结报告")
    township, community = projects.names(session=get_db(), project=project)
    return pdf_response("reports/ledger_project_summary.html", f"project-{project.id}.pdf", p=project,
                        s=project.summary,
                        township=township, community=community, title="党群服务项目总结报告", printed=today())


@bp.get("/activities/<int:activity_id>/photos/<int:n>/<size>")
@login_required
def photo(activity_id: int, n: int, size: str):
    """An activity's photo for the user's region."""
    row = activities.activity(session=get_db(), user=current_user.row, activity_id=activity_id) or abort(
        404, description="没有这条活动记录")
    rights.require(current_user.row, "projects_view")
    path = activities.photo_path(row, n, size) or abort(404, description="没有这张照片")
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _library_page(*, problems=(), status: int = 200):
    """The district library and the monthly promotion rota."""
    session = get_db()
    rows = district.library(session=session, user=current_user.row)
    county = district.own_county(session=session, user=current_user.row)
    rota = district.rota(session=session, county=county) if county is not None else []
    names = {p.id: p.name for p, _r in rows}
    towns = district.rota_townships(session=session, rota=rota)
    return render_template("ledger/library.html", rows=rows, rota=rota, county=county, names=names, towns=towns,
                           next_month=f"{today().year:04d}-{today().month:02d}", problems=list(problems)), status


@bp.get("/library")
@login_required
def library():
    """The district project library (三（五）)."""
    rights.require(current_user.row, "projects_view")
    return _library_page()


@bp.post("/rota")
@login_required
def fill_rota():
    """Plan the rota: townships take turns promoting a library project each month."""
    rights.require(current_user.row, "projects_evaluate")
    raw = request.form.get("months", "12")
    try:
        with unit_of_work() as session:
            district.fill_rota(session=session, user=current_user.row, start=request.form.get("start", ""),
                               months=int(raw) if raw.isdigit() else 0)
    except (projects.Invalid, projects.ProjectError) as exc:
        return _library_page(problems=problems_of(exc), status=exc.status)
    return redirect(url_for("projects.library"), code=303)
