"""Job pages: start a job (export, import, batch issue, notice PDF), watch its progress (htmx
polling of one partial, no inline script), download its result, read why it failed."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ..runtime import get_db
from .. import storage as media_storage
from ..models import LABELS, Inspection, Site
from ..services import dashboard, notices, queues, reports, rights, scope
from ..web import render
from ..web.work import unit_of_work
from . import kinds  # noqa: F401 - registers the job kinds
from . import queue as job_queue
from . import service

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

UPLOAD_LIMIT = 10 * 1024 * 1024  # as the synchronous import
ISSUED = ("submitted", "returned", "resubmitted", "approved", "accepted")


def _start(kind_id: str, params: dict, region) -> object:
    """Create (or reuse) the job, hand it to the queue after commit, and go to its page."""
    params = dict(params, base_url=request.host_url)
    with unit_of_work() as session:
        job, created = service.create(session=session, kind_id=kind_id, params=params, by=current_user.row,
                                      region=region)
    if created:
        job_queue.enqueue(current_app, job.id)
    return redirect(url_for("jobs.show", public_id=job.public_id), code=303)


def _job(public_id: str):
    """The job if the user may see it, else 404 (another region, or a role that may not)."""
    return (service.visible(session=get_db(), user=current_user.row, public_id=public_id)
            or abort(404, description="没有这个任务"))


@bp.get("/")
@login_required
def index():
    """The user's latest jobs."""
    jobs = service.recent(session=get_db(), user=current_user.row)
    return render_template("jobs/index.html", jobs=jobs, kinds=service.KINDS, labels=service.STATUS_LABELS,
                           percent=service.percent)


def _context(job):
    return {"job": job, "kind": service.KINDS[job.kind], "labels": service.STATUS_LABELS,
            "pct": service.percent(job), "live": job.status in service.LIVE}


@bp.get("/<public_id>")
@login_required
def show(public_id: str):
    """A job's page: progress bar while it runs, its result or its failure in Chinese."""
    job = _job(public_id)
    return render("jobs/show.html", "jobs/_status.html", **_context(job))


@bp.get("/<public_id>/status")
@login_required
def status(public_id: str):
    """The job's state as the partial htmx polls (a silent worker's job is recovered here too)."""
    job = _job(public_id)
    if job.status in service.LIVE and service.recover(current_app, lambda i: job_queue.enqueue(current_app, i),
                                                      job_id=job.id):
        get_db().expire(job)
        get_db().refresh(job)
    return render_template("jobs/_status.html", **_context(job))


@bp.get("/<public_id>/result")
@login_required
def result(public_id: str):
    """The job's result file, for those who may see the job."""
    job = _job(public_id)
    if job.status != "done" or not job.result_path:
        abort(404, description="任务尚未完成，还没有可下载的文件")
    store = media_storage.for_app(current_app)
    if not store.exists(job.result_path):
        abort(404, description="结果文件已不在存储中，请重新发起任务")
    path = store.local_path(job.result_path)
    response = send_file(path if path is not None else store.open(job.result_path), mimetype=job.result_mime,
                         as_attachment=True, download_name=job.result_name or "result", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/export")
@login_required
def export():
    """Start an Excel export of the dashboard's filtered sites."""
    user = current_user.row
    rights.require(user, "export")
    region = scope.region_of(session=get_db(), user=user)
    keys = ("township", "purpose", "checklist", "tier")
    filters = {k: request.form.get(k, "").strip() for k in keys if request.form.get(k, "").strip()}
    return _start("export", {"filters": filters}, region)


@bp.post("/import")
@login_required
def import_sites():
    """Start a site import of an uploaded .xlsx or .csv (stored first, so any node's worker reads it)."""
    user = current_user.row
    rights.require(user, "import_sites")
    session = get_db()
    region = scope.region_of(session=session, user=user)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(422, description="请选择要上传的文件")
    try:
        data = dashboard.read_bytes(upload.stream, UPLOAD_LIMIT)
    except dashboard.ImportRefused as exc:
        abort(413, description=exc.problems[0].reason)
    key = media_storage.for_app(current_app).put(data, prefix="jobs/uploads", suffix=".bin")
    return _start("import_sites", {"upload": key, "filename": upload.filename[:200]}, region)


@bp.post("/import-members")
@login_required
def import_members():
    """Start an import of a unit's member list (.xlsx or .csv), stored first so any node's worker reads it."""
    user = current_user.row
    rights.require(user, "ledger_import")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(422, description="请选择要导入的文件")
    try:
        data = dashboard.read_bytes(upload.stream, UPLOAD_LIMIT)
    except dashboard.ImportRefused as exc:
        abort(413, description=exc.problems[0].reason)
    key = media_storage.for_app(current_app).put(data, prefix="jobs/uploads", suffix=".bin")
    site_id = request.form.get("site_id", "").strip()
    params = {"upload": key, "filename": upload.filename[:200], "site_id": int(site_id) if site_id.isdigit() else None}
    return _start("import_members", params, scope.region_of(session=get_db(), user=user))


def _eligible(session, user, kind: reports.Kind) -> list[tuple[Inspection, Site]]:
    """Submitted inspections in the user's region a report kind can be made from (latest per site)."""
    return queues.issuable(session=session, user=user, statuses=ISSUED, purposes=kind.purposes or (),
                           checklists=kind.checklists, limit=kinds.BATCH_LIMIT)


@bp.route("/batch-issue", methods=["GET", "POST"])
@login_required
def batch_issue():
    """Choose a report kind and the inspections; issuing runs as one job with a ZIP of the PDFs."""
    user = current_user.row
    rights.require(user, "issue_report")
    session = get_db()
    kind = reports.KINDS.get(request.values.get("kind") or "rectification") or abort(
        404, description="没有这种报告")
    eligible = _eligible(session, user, kind)
    if request.method == "POST":
        known = {i.id for i, _s in eligible}
        chosen = sorted({int(v) for v in request.form.getlist("inspection") if v.isdigit()} & known)
        if not chosen:
            return render_template("jobs/batch.html", kind=kind, kinds=reports.KINDS, eligible=eligible,
                                   labels=LABELS, error="请至少选择一次检查"), 422
        fields = {f.name: request.form.get(f.name, "").strip() for f in kind.fields if request.form.get(f.name)}
        return _start("batch_issue", {"kind": kind.id, "inspections": chosen, "fields": fields},
                      scope.region_of(session=session, user=user))
    return render_template("jobs/batch.html", kind=kind, kinds=reports.KINDS, eligible=eligible, labels=LABELS,
                           error=None)


@bp.post("/notice/<public_id>")
@login_required
def notice_pdf(public_id: str):
    """Start the printable PDF of a public notice of the user's region."""
    user = current_user.row
    session = get_db()
    notice = notices.by_public_id(session=session, public_id=public_id)
    if notice is None or scope.site(session=session, user=user, site_id=notice.site_id) is None:
        abort(404, description="没有这份公示")
    rights.require(user, "issue_report")
    return _start("notice_pdf", {"notice": notice.id}, scope.region_of(session=session, user=user))
