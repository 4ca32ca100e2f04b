"""Reports: gather an inspection's inputs, render them as HTML and PDF, issue immutable versions."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session, select

from ..core import clock, pdf, photos as photo_core, sources, words, workdays
from ..core.checklist import ChecklistSpec
from ..core.errors import DomainError
from ..core.storage import LocalStorage
from ..core.words import answer_words
from ..models import LABELS, SITE_TYPE_LABELS, Inspection, Photo, Region, Report, Site, User
from . import audit, documents, evidence, inspections, regions, rights

RESULT_WORDS = words.RESULT_WORDS


@dataclass(frozen=True)
class InputField:
    """An extra value a person gives when issuing a report (project name, posting date…)."""

    name: str
    label: str
    kind: str = "text"  # text | date | int
    default: Callable[[Inspection, Site], Any] | None = None
    required: bool = True


@dataclass(frozen=True)
class Kind:
    """A report type: its title, number prefix, which inspections it is for, extra inputs."""

    id: str
    title: str
    code: str
    purposes: tuple[str, ...] | None = None
    checklists: tuple[str, ...] | None = None
    fields: tuple[InputField, ...] = field(default_factory=tuple)
    size: str = "A4"

    def fits(self, inspection: Inspection, spec: ChecklistSpec) -> bool:
        """Whether this report can be made from this inspection."""
        return ((self.purposes is None or inspection.purpose in self.purposes)
                and (self.checklists is None or spec.id in self.checklists))


def _today(_inspection, _site) -> str:
    return clock.today().isoformat()


def _project_name(_inspection, site) -> str:
    return f"{site.name.replace('党群服务中心', '')}微实事项目"


RECTIFICATION_WORKING_DAYS = 20  # county setting: the sources give no rectification period

KINDS: dict[str, Kind] = {k.id: k for k in (
    Kind("acceptance", "竣工验收报告", "YS", ("completion_acceptance",), ("build-standard",)),
    Kind("rectification", "整改通知书", "ZG", fields=(
        InputField("deadline_days", "整改期限（工作日）", "int", lambda i, s: RECTIFICATION_WORKING_DAYS),)),
    Kind("red_landmark", "红色地标评定报告", "HD", ("red_landmark", "self_assessment"), ("red-landmark",), fields=(
        InputField("received", "市级收到县级推荐材料日期", "date", _today),
        InputField("notice_start", "公示开始日期", "date", _today))),
    Kind("micro_notice", "微实事项目完工公示", "GS", ("micro_project",), ("micro-project",), fields=(
        InputField("project_name", "项目名称", "text", _project_name),
        InputField("notice_start", "公示开始日期", "date", _today))),
    Kind("micro_acceptance", "微实事项目验收表", "YB", ("micro_project",), ("micro-project",), fields=(
        InputField("project_name", "项目名称", "text", _project_name),
        InputField("lead", "牵头党员/村（居）民代表", "text", None, False),
        InputField("phone", "联系电话", "text", None, False))),
    Kind("plaque", "微实事项目标牌样稿（原大）", "BP", ("micro_project",), ("micro-project",), fields=(
        InputField("project_name", "项目名称", "text", _project_name),
        InputField("issuer", "制发单位（党工委）", "text", lambda i, s: "中共××街道工作委员会"),
        InputField("year", "年份", "int", lambda i, s: clock.today().year)), size="A3 landscape"),
)}


class ReportError(DomainError):
    """A report that cannot be made (wrong inspection, bad input): 422."""


def kinds_for(inspection: Inspection, spec: ChecklistSpec) -> list[Kind]:
    """The reports this inspection can produce."""
    return [k for k in KINDS.values() if k.fits(inspection, spec)]


def read_fields(kind: Kind, form: dict, inspection: Inspection, site: Site) -> dict[str, Any]:
    """The extra inputs of a report from a form (defaults filled in); ReportError names a bad one."""
    out: dict[str, Any] = {}
    for f in kind.fields:
        raw = (form.get(f.name) or "").strip()
        if not raw and f.default is not None:
            raw = str(f.default(inspection, site))
        if not raw:
            if f.required:
                raise ReportError(f"请填写“{f.label}”")
            out[f.name] = ""
            continue
        if len(raw) > 200:
            raise ReportError(f"“{f.label}”不能超过 200 字")
        try:
            out[f.name] = (date.fromisoformat(raw).isoformat() if f.kind == "date"
                           else int(raw) if f.kind == "int" else raw)
        except ValueError:
            raise ReportError(f"“{f.label}”格式不对：{raw}") from None
        if f.kind == "int" and not 0 < out[f.name] <= 3000:
            raise ReportError(f"“{f.label}”超出范围：{raw}")
    return out


def _local(dt: datetime | None) -> str:
    """A stored UTC time as Beijing time text."""
    return clock.china_text(dt)


def _cn_day(dt: datetime | None) -> str:
    """A stored UTC time as its Beijing-time date, 2026年12月2日."""
    return sources.cn_date(clock.china_date(dt)) if dt else ""


def _signatures(session: Session, inspection: Inspection, spec) -> dict[str, Any] | None:
    """The checklist's signature parties, each with the people assigned, how and when they signed.

    A handwritten signature (a signer without an account, on the inspector's phone) carries its
    PNG's media path and SHA-256 and the phone's position; the report prints the image.
    """
    if spec.signatures is None:
        return None
    from .signoff import signer_name, signoffs
    assigned: dict[str, list[dict[str, Any]]] = {}
    for s, u in signoffs(session=session, inspection=inspection):
        assigned.setdefault(s.party, []).append({
            "name": signer_name(s, u), "role": s.signer_role, "method": s.method,
            "signed_at": _local(s.signed_at), "image": s.image_path, "sha256": s.image_sha256,
            "lat": s.lat, "lon": s.lon, "accuracy": s.accuracy_m})
    return {"rule": spec.signatures.rule, "source": spec.signatures.source,
            "parties": [{"id": p.id, "name": p.name, "each": p.each, "signers": assigned.get(p.id, [])}
                        for p in spec.signatures.parties]}


def _value_words(value: Any, item) -> str:
    return "" if value is None else answer_words(value, item)


def gather(*, session: Session, inspection: Inspection, kind: Kind, extra: dict[str, Any],
           media_root: Path, calendar=None, today: date | None = None) -> dict[str, Any]:
    """Everything a report shows, as plain JSON data (stored with the issued PDF)."""
    spec = inspections.spec_for(session=session, inspection=inspection)
    if not kind.fits(inspection, spec):
        raise ReportError(f"这次检查不能生成“{kind.title}”")
    site = session.get(Site, inspection.site_id)
    chain = [r.name for r in regions.ancestry(session=session, region=session.get(Region, site.region_id))]
    answers = inspections.answers_of(session=session, inspection=inspection)
    decided = inspections.decision(session=session, inspection=inspection, answers=answers)
    photo_rows = evidence.photos_of(session=session, inspection=inspection)
    sections, all_photos = _sections(spec, inspection.tier, site.site_type, decided.outcome, answers, photo_rows,
                                     media_root)
    inputs = {
        "kind": kind.id, "title": kind.title, "site": _site_inputs(site, chain),
        "inspection": _inspection_inputs(inspection, session.get(User, inspection.created_by_id)),
        "checklist": {"id": spec.id, "title": spec.title, "version": spec.version, "hash": spec.content_hash,
                      "pass_score": spec.pass_score, "pass_score_source": spec.pass_score_source,
                      "decision_rule": spec.decision_rule},
        "sections": sections, "photos": all_photos, "outcome": _outcome_inputs(spec, inspection.tier, decided),
        "decision": decided.snapshot(), "fixes": [r.__dict__ for r in decided.unmet],
        "signatures": _signatures(session, inspection, spec),
        "parameters": {p.id: {"text": p.text, "value": p.value, "unit": p.unit, "source": p.source}
                       for p in spec.parameters},
        "extra": extra,
    }
    try:
        inputs["dates"] = _dates(kind, extra, calendar, today or clock.today())
    except workdays.CalendarUnknown as exc:  # strict mode, a year without its holiday schedule
        raise ReportError(str(exc)) from None
    documents.for_print(session=session, inspection=inspection, spec=spec, tier=inspection.tier, inputs=inputs)
    return inputs


def _photo_data(p: Photo, item_text: str, media_root: Path) -> dict[str, Any]:
    """One photo as a report prints it: its print copy, fingerprints, times, position and flags."""
    return {"item": p.item_id, "item_text": item_text, "print": photo_core.print_copy(media_root, p.display),
            "sha256": p.sha256, "at": _local(p.at), "exif_time": _local(p.exif_time),
            "original_sha256": p.original_sha256 or p.sha256, "original_size": p.original_size or p.size_bytes,
            "captured_at": _local(p.captured_at), "derived_from": p.derived_from_id,
            "lat": p.device_lat, "lon": p.device_lon, "accuracy": p.device_accuracy_m,
            "flags": [{"label": f["label"], "detail": f["detail"]} for f in p.flags or []]}


def _sections(spec, tier, site_type, outcome, answers, photo_rows, media_root: Path) -> tuple[list, list]:
    """The checklist's sections with a row per applicable item, and every photo in order."""
    sections, all_photos = [], []
    for section in spec.sections:
        rows = []
        for item in section.items:
            if not item.applies(tier, site_type):
                continue
            item_photos = [_photo_data(p, documents.tier_text(item.text, tier), media_root)
                           for p in photo_rows.get(item.id, [])]
            all_photos += item_photos
            rows.append(_item_row(item, tier, site_type, outcome.judgements[item.id], answers.get(item.id),
                                  item_photos))
        if rows:
            sections.append({"id": section.id, "title": section.title, "rows": rows})
    return sections, all_photos


def _item_row(item, tier, site_type, j, answer, item_photos: list) -> dict[str, Any]:
    """One item's row: its requirement, rule, result in words, the answer and its photos."""
    return {"id": item.id, "text": item.text, "requirement": documents.tier_text(item.text, tier),
            "kind": item.kind, "unit": item.unit, "rule": item.describe_rule(tier, site_type), "source": item.source,
            "critical": item.is_critical(tier), "gate": item.gate, "result": j.result,
            "result_label": RESULT_WORDS[j.result], "value": _value_words(answer.value if answer else None, item),
            "raw": answer.value if answer else None, "detail": j.detail, "rate": j.rate,
            "shortfall": j.shortfall, "note": answer.note if answer else "", "photos": item_photos,
            "weight": item.weight, "evidence_photos": item.evidence.photos, "force": item.force(tier),
            "softened": item.softened_by(tier) or "", "consequence": item.consequence or "unmet"}


def _site_inputs(site: Site, chain: list[str]) -> dict[str, Any]:
    return {"name": site.name, "type": SITE_TYPE_LABELS[site.site_type], "address": site.address,
            "lat": site.lat, "lon": site.lon, "regions": chain,
            "tier_applied": LABELS.get(site.tier_applied, "") if site.tier_applied else "",
            "category_doc_number": site.category_doc_number or "",
            "category_doc_date": site.category_doc_date.isoformat() if site.category_doc_date else ""}


def _inspection_inputs(inspection: Inspection, inspector: User | None) -> dict[str, Any]:
    tier = inspection.tier
    return {"id": inspection.id, "purpose": LABELS[inspection.purpose],
            "tier": LABELS.get(tier, "") if tier else "", "status": LABELS[inspection.status],
            "started_at": _local(inspection.started_at), "started_on": _cn_day(inspection.started_at),
            "submitted_at": _local(inspection.submitted_at), "inspector": inspector.display_name if inspector else "",
            "start_flags": [{"label": f["label"], "detail": f["detail"]} for f in inspection.start_flags or []]}


def _outcome_inputs(spec, tier, decided) -> dict[str, Any]:
    outcome = decided.outcome
    open_critical = [spec.by_id[i].text for i in outcome.open_items
                     if spec.by_id[i].is_critical(tier) or spec.by_id[i].gate]
    return {"score": outcome.score, "verdict": decided.verdict, "verdict_label": decided.verdict_label,
            "vetoes": [spec.by_id[i].text for i in outcome.vetoes],
            "gates_failed": [spec.by_id[i].text for i in outcome.gates_failed],
            "open": len(outcome.open_items), "open_critical": open_critical,
            "answered": outcome.answered, "applicable": outcome.applicable}


def _dates(kind: Kind, extra: dict[str, Any], calendar, today: date) -> dict[str, Any]:
    """Procedure dates a report states, from the working-day calendar; a date counted over a
    year without its holiday schedule is listed in `provisional` and explained in `warnings`."""
    if calendar is None:
        return {}
    from datetime import timedelta
    out: dict[str, Any] = {"warnings": [], "provisional": []}
    dues = {}
    if kind.id == "rectification":
        dues["deadline"] = calendar.deadline(today, int(extra["deadline_days"]))
        out.update(issued=today.isoformat(), deadline=dues["deadline"].date.isoformat())
    elif kind.id == "red_landmark":
        received = date.fromisoformat(extra["received"])
        notice = date.fromisoformat(extra["notice_start"])
        review_by = received + timedelta(days=30)  # 7.x: the city reviews within 30 days of receiving
        dues["notice_end"] = calendar.deadline(notice, 7, "period")  # 7.x: publicly noticed for 7 working days
        out.update(received=received.isoformat(), review_by=review_by.isoformat(),
                   notice_start=notice.isoformat(), notice_end=dues["notice_end"].date.isoformat())
    elif kind.id == "micro_notice":
        notice = date.fromisoformat(extra["notice_start"])
        dues["notice_end"] = calendar.deadline(notice, 5, "period")  # 000 二 4: posted for ≥ 5 working days
        out.update(notice_start=notice.isoformat(), notice_end=dues["notice_end"].date.isoformat())
    for name, due in dues.items():
        if due.provisional:
            out["provisional"].append(name)
            out["warnings"].append(f"{due.date.isoformat()} 为暂定日期：{due.reason}")
    return out


def inputs_hash(inputs: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a report's inputs."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def page_count(data: bytes) -> int:
    """Pages of a PDF by counting its page objects (fallback when pdfinfo is absent)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


Renderer = Callable[[dict[str, Any], dict[str, Any]], str]


def render_pdf(html: str, *, media_root: Path, static_root: Path) -> bytes:
    """PDF bytes of a report's HTML; images may come only from media/ and static/."""
    pdf.check_setup()
    return pdf.render(html, base=media_root, roots=(media_root, static_root))


def _store(media_root: Path, data: bytes) -> tuple[str, str, bool]:
    """Store PDF bytes by hash through the media storage (atomic); returns (sha256, relative path, created)."""
    sha = hashlib.sha256(data).hexdigest()
    rel = f"reports/{sha[:2]}/{sha[2:4]}/{sha}.pdf"
    return sha, rel, LocalStorage(media_root).put_at(rel, data)


def latest(*, session: Session, inspection: Inspection, kind: str) -> Report | None:
    """The newest issued (not superseded) report of a kind for an inspection."""
    return session.exec(select(Report).where(Report.inspection_id == inspection.id, Report.kind == kind)
                        .order_by(Report.version.desc())).first()


def issued_for(*, session: Session, inspection: Inspection) -> list[Report]:
    """Every report issued for an inspection, newest first."""
    return list(session.exec(select(Report).where(Report.inspection_id == inspection.id)
                             .order_by(Report.issued_at.desc(), Report.id.desc())))


def issue(*, session: Session, inspection: Inspection, kind: Kind, inputs: dict[str, Any], by: User,
          media_root: Path, render: Renderer, verify_url: Callable[[str], str],
          static_root: Path) -> tuple[Report, str | None]:
    """Issue a report: the same inputs return the current version; new inputs supersede it.

    The PDF is stored by content hash with a snapshot of its inputs; nothing is stored if
    rendering fails. Returns the report and the file this call created (the caller removes it
    if its commit fails).
    """
    rights.require(by, "issue_report")
    if inspection.status == "draft":
        raise ReportError("检查尚未提交，只能预览，不能签发")
    digest = inputs_hash(inputs)
    current = latest(session=session, inspection=inspection, kind=kind.id)
    if current is not None and current.inputs_hash == digest and current.status == "issued":
        return current, None
    now = clock.now()
    report = Report(public_id=secrets.token_urlsafe(12), number="", inspection_id=inspection.id, kind=kind.id,
                    version=(current.version + 1) if current else 1, sha256="", path="", size_bytes=0, pages=0,
                    inputs=inputs, inputs_hash=digest, issued_by_id=by.id, issued_at=now,
                    supersedes_id=current.id if current else None)
    report.number = documents.number_for(session=session, inspection=inspection, kind=kind, version=report.version,
                               year=clock.china(now).year)
    session.add(report)
    session.flush()
    meta = {"number": report.number, "version": report.version, "issued_at": _local(now),
            "issued_on": _cn_day(now), "issued_time": clock.china_text(now, "%H:%M"),
            "issued_by": by.display_name, "verify_url": verify_url(report.public_id), "preview": False}
    data = render_pdf(render(inputs, meta), media_root=media_root, static_root=static_root)
    sha, rel, created = _store(media_root, data)
    report.sha256, report.path, report.size_bytes, report.pages = sha, rel, len(data), pdf_pages(data)
    if current is not None:
        current.status = "superseded"
        session.add(current)
    session.add(report)
    audit.record(session=session, user_id=by.id, action="issue", entity="report", entity_id=report.id,
                 after={"number": report.number, "kind": kind.id, "sha256": sha, "version": report.version,
                        "supersedes": current.number if current else None})
    return report, (rel if created else None)


def pdf_pages(data: bytes) -> int:
    """Page count via poppler's pdfinfo when present, else by counting page objects."""
    try:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
            fh.write(data)
            fh.flush()
            out = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True, check=True).stdout
        return int(next(line.split(":")[1] for line in out.splitlines() if line.startswith("Pages:")))
    except (OSError, subprocess.CalledProcessError, StopIteration, ValueError):
        return page_count(data)


def by_public_id(*, session: Session, public_id: str) -> Report | None:
    """A report by the id printed in its QR code."""
    return session.exec(select(Report).where(Report.public_id == public_id)).first()


def successor(*, session: Session, report: Report) -> Report | None:
    """The report that superseded this one, if any."""
    return session.exec(select(Report).where(Report.supersedes_id == report.id)).first()
