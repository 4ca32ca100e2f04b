"""Reports: preview (HTML or PDF), issue immutable versions, download, and public verification."""
from __future__ import annotations

import hashlib
from pathlib import Path

import segno
from flask import (Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for)
from flask_login import current_user, login_required

from ..runtime import ROOT, get_calendar, get_db, today
from ..core import sources
from ..models import Inspection, Site, User
from ..services import documents, inspections, micro, reports, scope, workcalendar
from . import security
from .work import unit_of_work

bp = Blueprint("reports", __name__)


def _media() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def _calendar():
    """The working-day calendar (entered schedules; provisional years unless the county is strict)."""
    return get_calendar()


def _qr(url: str) -> str:
    """A QR code of the verification URL as an SVG data URI."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _renderer(kind: reports.Kind):
    """Render a report kind's template with its inputs and issue metadata."""
    def render(inputs, meta):
        return render_template(f"reports/{kind.id}.html", r=inputs, meta=meta, kind=kind,
                               qr=_qr(meta["verify_url"]) if meta.get("verify_url") else None,
                               media_base=_media().resolve().as_uri() + "/")
    return render


def _context(inspection_id: int, kind_id: str):
    """The inspection, its site and the report kind, or 404."""
    session = get_db()
    inspection = (scope.inspection(session=session, user=current_user.row, inspection_id=inspection_id)
                  or abort(404, description="没有这次检查"))
    kind = reports.KINDS.get(kind_id) or abort(404, description="没有这种报告")
    spec = inspections.spec_for(session=session, inspection=inspection)
    if not kind.fits(inspection, spec):
        abort(404, description=f"这次检查不能生成“{kind.title}”")
    return inspection, session.get(Site, inspection.site_id), kind


def _gather(inspection, site, kind, form):
    record = None
    if kind.id in micro.REPORT_KINDS:  # the micro project's documents take every field from its record
        try:
            record = micro.report_record(session=get_db(), inspection=inspection, media_root=_media())
            form = micro.report_fields(kind.id, record)
        except micro.MicroError as exc:
            raise reports.ReportError(str(exc)) from None
    extra = reports.read_fields(kind, form, inspection, site)
    inputs = reports.gather(session=get_db(), inspection=inspection, kind=kind, extra=extra, media_root=_media(),
                            calendar=_calendar(), today=today())
    if record is not None:
        inputs["project"] = record
    return inputs


def _index_page(inspection: Inspection, error: str | None = None, status: int = 200):
    """The reports an inspection can produce (with their default inputs) and those issued."""
    session = get_db()
    spec = inspections.spec_for(session=session, inspection=inspection)
    site = session.get(Site, inspection.site_id)
    kinds = reports.kinds_for(inspection, spec)
    defaults = {k.id: {f.name: (f.default(inspection, site) if f.default else "") for f in k.fields} for k in kinds}
    for k in kinds:  # the micro project's documents show what its record says (and are made from it)
        if k.id in micro.REPORT_KINDS:
            try:
                defaults[k.id].update(micro.report_fields(k.id, micro.report_record(
                    session=session, inspection=inspection, media_root=_media())))
            except micro.MicroError:
                pass
    return render_template("reports/index.html", inspection=inspection, site=site, kinds=kinds, defaults=defaults,
                           issued=reports.issued_for(session=session, inspection=inspection), error=error), status


@bp.get("/inspections/<int:inspection_id>/reports")
@login_required
def index(inspection_id: int):
    """The reports this inspection can produce, and those already issued."""
    inspection = (scope.inspection(session=get_db(), user=current_user.row, inspection_id=inspection_id)
                  or abort(404, description="没有这次检查"))
    return _index_page(inspection)


@bp.get("/inspections/<int:inspection_id>/reports/<kind_id>")
@login_required
def preview(inspection_id: int, kind_id: str):
    """The report as it would print: HTML on screen, or `?format=pdf` (marked 预览稿, not issued)."""
    inspection, site, kind = _context(inspection_id, kind_id)
    inputs = _gather(inspection, site, kind, request.args)  # a ReportError answers 422 with its reason
    meta = {"number": "（预览稿，未签发）", "version": 0, "issued_at": "", "issued_by": "", "verify_url": None,
            "preview": True}
    html = _renderer(kind)(inputs, meta)
    if request.args.get("format") != "pdf":
        return html
    data = reports.render_pdf(html, media_root=_media(), static_root=ROOT / "static")
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=preview.pdf"
    return response


def _issue(inspection, site, kind):
    """Issue one report in a unit of work; a stored file the failed commit leaves is removed."""
    created = None
    try:
        with unit_of_work() as session:
            inputs = _gather(inspection, site, kind, request.form)
            report, created = reports.issue(
                session=session, inspection=inspection, kind=kind, inputs=inputs, by=current_user.row,
                media_root=_media(), render=_renderer(kind), static_root=ROOT / "static",
                verify_url=lambda pid: security.public_url("reports.verify", public_id=pid))
    except Exception:
        if created:
            (_media() / created).unlink(missing_ok=True)
        raise
    return report


@bp.post("/inspections/<int:inspection_id>/reports/<kind_id>")
@login_required
def issue(inspection_id: int, kind_id: str):
    """Issue the report: a new immutable version when anything changed since the last one."""
    inspection, site, kind = _context(inspection_id, kind_id)
    try:
        report = _issue(inspection, site, kind)
    except reports.ReportError as exc:  # the reports page again, with the reason (rolled back)
        return _index_page(inspection, error=exc.message, status=exc.status)
    return redirect(url_for("reports.verify", public_id=report.public_id), code=303)


@bp.get("/reports/<public_id>.pdf")
@login_required
def download(public_id: str):
    """The issued PDF, exactly the stored bytes."""
    session = get_db()
    report = reports.by_public_id(session=session, public_id=public_id)
    if report is None or scope.inspection(session=session, user=current_user.row,
                                          inspection_id=report.inspection_id) is None:
        abort(404, description="没有这份报告")
    return send_file(_media() / report.path, mimetype="application/pdf", download_name=f"{report.number}.pdf",
                     as_attachment=False, max_age=31536000)


@bp.route("/verify/<public_id>", methods=["GET", "POST"])
def verify(public_id: str):
    """Public verification (the QR code's target): number, status, fingerprint; optionally check a file."""
    session = get_db()
    report = reports.by_public_id(session=session, public_id=public_id) or abort(404, description="没有这份报告")
    checked = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            abort(400, description="请选择要核对的 PDF 文件")
        try:
            checked = hashlib.sha256(upload.read()).hexdigest() == report.sha256
        finally:
            upload.close()
    issuer = session.get(User, report.issued_by_id)
    newer = reports.successor(session=session, report=report)
    dated = workcalendar.restated(kind=report.kind, inputs=report.inputs, calendar=get_calendar())
    return render_template("reports/verify.html", report=report, issuer=issuer, newer=newer, checked=checked,
                           kind=reports.KINDS[report.kind], dated=dated), 200


# ------------------------------------------------ the seed's forms from a micro project's record (000 附件1–4)

APPLICATION = reports.Kind("micro_application", "活动项目申报表", "SB")
FORMS = {"application": APPLICATION, "notice": reports.KINDS["micro_notice"],
         "acceptance": reports.KINDS["micro_acceptance"], "plaque": reports.KINDS["plaque"]}


def _form_inputs(project, site, kind):
    """A form's inputs: the acceptance inspection's when there is a submitted one (its measured
    values prefill the form), else the project record alone."""
    session = get_db()
    inspection = session.get(Inspection, project.acceptance_id) if project.acceptance_id else None
    if kind is not APPLICATION and inspection is not None and inspection.status != "draft":
        return _gather(inspection, site, kind, {})
    record = micro.project_record(session=session, project=project, media_root=_media())
    if kind.id == "micro_notice" and record["notice"] is None:
        raise reports.ReportError(f"项目“{project.name}”尚未发布完工公示")
    if kind.id == "plaque" and record["plaque"] is None:
        raise reports.ReportError(f"“{record['program']['title']}”不设项目标牌")
    return documents.record_inputs(session=session, site=site, title=kind.title, record=record)


@bp.get("/micro/<int:project_id>/forms/<form_id>")
@login_required
def micro_form(project_id: int, form_id: str):
    """A seed form (申报表、完成情况公示、验收表、标牌样稿) filled from the project record, as PDF
    (`?format=html` shows the HTML). A form to print and sign, not an issued report."""
    session = get_db()
    project = (micro.get(session=session, user=current_user.row, project_id=project_id)
               or abort(404, description="没有这个微实事项目"))
    kind = FORMS.get(form_id) or abort(404, description="没有这种表格")
    program = micro.program_of(project)
    if form_id not in program.forms:  # each scheme prints only the forms it attaches (seed 001 attaches none)
        abort(404, description=f"“{program.title}”未附{kind.title}，无此表格可打印")
    site = session.get(Site, project.site_id)
    try:
        inputs = _form_inputs(project, site, kind)
    except micro.MicroError as exc:  # a project record that cannot fill the form: 422 with its reason
        raise reports.ReportError(str(exc)) from None
    meta = {"number": "", "version": 0, "issued_at": "", "issued_by": "", "verify_url": None, "preview": False,
            "form": True, "printed_on": sources.cn_date(today())}
    html = _renderer(kind)(inputs, meta)
    if request.args.get("format") == "html":
        return html
    data = reports.render_pdf(html, media_root=_media(), static_root=ROOT / "static")
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={form_id}-{project.id}.pdf"
    return response
