"""The work each kind of job does. Every kind is idempotent: the result is stored by content
hash, a report issued again with the same inputs is the same version, and an import commits its
sites and the job's end in one transaction (a run that dies before it stores nothing)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import current_app, url_for

from ..runtime import ROOT, get_calendar, get_db, today
from ..core import workdays
from ..models import Notice, Region, Site, User
from ..services import dashboard, reports, scope
from .. import storage as media_storage
from .service import Context, JobFailed, kind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH_LIMIT = 200  # notices one batch may issue (a township has a few dozen villages)


def _who(ctx: Context) -> tuple[User, Region]:
    """The user who asked (rights checked again: a role changed since is refused) and the job's region."""
    session = get_db()
    user = session.get(User, ctx.job.created_by_id)
    region = session.get(Region, ctx.job.region_id)
    if user is None or not user.active:
        raise JobFailed("发起任务的账号已停用，任务未执行")
    from ..services import rights
    if not rights.can(user, ctx.kind.action):
        raise JobFailed(f"发起任务的账号已无权{ctx.kind.title}，任务未执行")
    if not scope.covers(session=session, user=user, region_id=region.id):
        raise JobFailed("发起任务的账号已不在该地区，任务未执行")
    return user, region


@kind("export", "导出 Excel", "export")
def export(ctx: Context) -> None:
    """The dashboard's filtered sites as an Excel workbook, streamed to a file in constant memory
    (services/dashboard_export.py) with progress every few thousand sites."""
    session = get_db()
    _user, region = _who(ctx)
    specs = current_app.extensions["checklists"]
    args = ctx.params.get("filters") or {}
    choices = dashboard.townships(session=session, region=region, args=args)
    filters, _notes = dashboard.parse_filters(args, choices=choices, checklists=specs)
    spec = specs.get(filters.checklist or dashboard.DEFAULT_EXPORT_CHECKLIST) or next(iter(specs.values()))
    ctx.progress(0, 1, f"正在读取{region.name}的站点和检查结果")
    store = media_storage.for_app(current_app)
    scratch = store.scratch(".xlsx")
    try:
        rows = dashboard.export_xlsx(session=session, region=region, filters=filters, spec=spec, out=str(scratch),
                                     progress=lambda done, total: ctx.progress(
                                         done, total + 1, f"已写入 {done} / {total} 个站点"))
        ctx.progress(rows, rows + 1, f"已写好 {rows} 个站点，正在保存文件")
        key = store.put_file(scratch, prefix="jobs/exports", suffix=".xlsx")
    finally:
        scratch.unlink(missing_ok=True)
    name = f"{region.name}站点检查汇总-{spec.id}-{today().isoformat()}.xlsx"
    ctx.finish(session, result={"rows": rows, "checklist": spec.title}, path=key, name=name, mime=XLSX)
    session.commit()


@kind("import_sites", "导入站点", "import_sites")
def import_sites(ctx: Context) -> None:
    """An uploaded site list stored in the job's region: every row, or none and every bad row named."""
    session = get_db()
    user, region = _who(ctx)
    ctx.progress(0, 2, "正在读取并核对文件")
    with media_storage.for_app(current_app).open(ctx.params["upload"]) as fh:
        data = fh.read()
    try:
        created = dashboard.import_file(session=session, filename=ctx.params["filename"], data=data, by=user,
                                        within=region)
    except dashboard.ImportRefused as exc:
        session.rollback()
        problems = [{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason} for p in exc.problems]
        raise JobFailed(f"文件有 {len(problems)} 处问题，一个站点也没有导入。改正后请重新上传。",
                        result={"problems": problems}) from None
    ctx.finish(session, result={"created": len(created), "filename": ctx.params["filename"]})
    session.commit()


@kind("import_members", "导入在职党员名单", "ledger_import")
def import_members(ctx: Context) -> None:
    """A unit's list of in-service Party members stored in the user's communities: every row, or
    none and every bad row named (services/ledger.import_members, the same checks as the form)."""
    from ..services import ledger, ledger_import
    session = get_db()
    user, _region = _who(ctx)
    ctx.progress(0, 2, "正在读取并核对名单")
    with media_storage.for_app(current_app).open(ctx.params["upload"]) as fh:
        data = fh.read()
    default = None
    if ctx.params.get("site_id"):
        default = ledger.site(session=session, user=user, site_id=int(ctx.params["site_id"]))
    else:
        sites = ledger.community_sites(session=session, user=user)
        default = sites[0] if len(sites) == 1 else None
    try:
        rows = ledger_import.read_rows(ctx.params["filename"], data)
        report = ledger_import.import_members(session=session, user=user, rows=rows, today=today(), default_site=default)
    except ledger.Invalid as exc:
        session.rollback()
        raise JobFailed("文件无法导入，一人也没有导入。", result={"problems": [
            {"row": None, "column": "文件", "value": ctx.params["filename"], "reason": p} for p in exc.problems]}) from None
    if report.errors:
        session.rollback()
        raise JobFailed(f"名单有 {len(report.errors)} 行有误，一人也没有导入。改正后请重新上传。", result={"problems": [
            {"row": line, "column": "—", "value": "", "reason": reason} for line, reason in report.errors[:500]]})
    ctx.finish(session, result={"created": len(report.created), "filename": ctx.params["filename"],
                                "lines": [what for _line, what in report.created[:200]]})
    session.commit()


def _issue_one(session, user: User, inspection_id: int, kind_: reports.Kind, form: dict):
    """Issue one report of the batch (idempotent: the same inputs give the current version)."""
    from ..web.reports import _renderer
    inspection = scope.inspection(session=session, user=user, inspection_id=inspection_id)
    if inspection is None:
        raise reports.ReportError("没有这次检查，或不在本辖区")
    site = session.get(Site, inspection.site_id)
    from ..services import inspections
    if not kind_.fits(inspection, inspections.spec_for(session=session, inspection=inspection)):
        raise reports.ReportError(f"这次检查不能生成“{kind_.title}”")
    extra = reports.read_fields(kind_, form, inspection, site)
    inputs = reports.gather(session=session, inspection=inspection, kind=kind_, extra=extra,
                            media_root=Path(current_app.config["MEDIA_DIR"]), calendar=get_calendar(), today=today())
    media = Path(current_app.config["MEDIA_DIR"])
    report, created = reports.issue(session=session, inspection=inspection, kind=kind_, inputs=inputs, by=user,
                                    media_root=media, render=_renderer(kind_), static_root=ROOT / "static",
                                    verify_url=lambda pid: url_for("reports.verify", public_id=pid, _external=True))
    try:
        session.commit()
    except Exception:
        session.rollback()
        if created:
            (media / created).unlink(missing_ok=True)
        raise
    return report, site


@kind("batch_issue", "批量签发", "issue_report")
def batch_issue(ctx: Context) -> None:
    """Issue one kind of report for many inspections; the PDFs together as a ZIP to download."""
    session = get_db()
    user, region = _who(ctx)
    kind_ = reports.KINDS.get(ctx.params["kind"])
    ids = [int(i) for i in ctx.params["inspections"]][:BATCH_LIMIT]
    issued, skipped = [], []
    for n, inspection_id in enumerate(ids):
        ctx.progress(n, len(ids), f"正在签发第 {n + 1} 份，共 {len(ids)} 份")
        try:
            report, site = _issue_one(session, user, inspection_id, kind_, ctx.params.get("fields") or {})
        except (reports.ReportError, workdays.CalendarUnknown) as exc:
            session.rollback()
            skipped.append({"inspection": inspection_id, "reason": str(exc)})
            continue
        issued.append({"number": report.number, "public_id": report.public_id, "site": site.name,
                       "path": report.path, "version": report.version})
    if not issued:
        raise JobFailed("一份也没有签发：" + "；".join(f"检查 {s['inspection']}：{s['reason']}" for s in skipped[:5]),
                        result={"issued": [], "skipped": skipped})
    ctx.progress(len(ids), len(ids) + 1, "正在打包 PDF")
    store = media_storage.for_app(current_app)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for entry in issued:
            with store.open(entry["path"]) as fh:
                info = zipfile.ZipInfo(f"{entry['number']}-{entry['site']}.pdf", date_time=(2000, 1, 1, 0, 0, 0))
                archive.writestr(info, fh.read())
    key = store.put(out.getvalue(), prefix="jobs/batches", suffix=".zip")
    ctx.finish(session, result={"issued": issued, "skipped": skipped, "kind": kind_.title}, path=key,
               name=f"{region.name}{kind_.title}-{today().isoformat()}（{len(issued)}份）.zip", mime="application/zip")
    session.commit()


@kind("notice_pdf", "公示打印版", "issue_report")
def notice_pdf(ctx: Context) -> None:
    """The printable A4 notice of a public notice (its stored content, period and QR code)."""
    from ..web.notices import _print_html
    session = get_db()
    user, _region = _who(ctx)
    notice = session.get(Notice, int(ctx.params["notice"]))
    if notice is None or scope.site(session=session, user=user, site_id=notice.site_id) is None:
        raise JobFailed("没有这份公示，或不在本辖区")
    ctx.progress(0, 2, "正在排版公示")
    data = reports.render_pdf(_print_html(notice), media_root=Path(current_app.config["MEDIA_DIR"]),
                              static_root=ROOT / "static")
    key = media_storage.for_app(current_app).put(data, prefix="jobs/notices", suffix=".pdf")
    ctx.finish(session, result={"title": notice.title}, path=key, name=f"{notice.title}.pdf", mime="application/pdf")
    session.commit()
