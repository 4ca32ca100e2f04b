"""Micro projects: the documents printed from the project record (000 附件1–4: 申报表 to 标牌)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..core import micro as rules
from ..core import photos as photo_core
from ..models import Inspection, MicroProject
from .micro_completion import photos_of
from .micro_state import MicroError, completion_notice, program_of

REPORT_KINDS = ("micro_notice", "micro_acceptance", "plaque")


def of_acceptance(*, session: Session, inspection: Inspection) -> MicroProject | None:
    """The project an acceptance inspection belongs to (its current or an earlier acceptance), or None."""
    project = session.exec(select(MicroProject).where(MicroProject.acceptance_id == inspection.id)).first()
    if project is not None:
        return project
    for candidate in session.exec(select(MicroProject).where(MicroProject.site_id == inspection.site_id)):
        if inspection.id in ((candidate.details or {}).get("acceptance_history") or []):
            return candidate
    return None


def report_record(*, session: Session, inspection: Inspection, media_root: Path) -> dict[str, Any]:
    """Every field the notice, the acceptance form and the plaque print, taken from the project record.

    Nothing is typed again and no date is the issue day: the notice's own dates, the project's own
    name, lead, phone, fund source and photos. MicroError when the inspection belongs to no project.
    """
    project = of_acceptance(session=session, inspection=inspection)
    if project is None:
        raise MicroError("这次验收检查不属于任何微实事项目：请从微实事项目页开始验收，表格和公示从项目记录生成")
    return project_record(session=session, project=project, media_root=media_root)


def project_record(*, session: Session, project: MicroProject, media_root: Path) -> dict[str, Any]:
    """The project record as the seed's forms print it (附件1 申报表 to 附件4 标牌), plain JSON."""
    program = program_of(project)
    notice = completion_notice(session=session, project=project)
    defined = program.notice_gating("acceptance")
    completion = (project.details or {}).get("completion") or {}
    photos = [{"kind": p.item_id, "caption": p.caption, "print": photo_core.print_copy(media_root, p.display)}
              for p in photos_of(session=session, project=project)]
    plaque = program.plaque
    return {
        "id": project.id, "name": project.name, "year": project.year, "lead_name": project.lead_name,
        "lead_phone": project.lead_phone, "fund_source": project.fund_source, "budget_fen": project.budget_fen,
        "budget": rules.format_money(project.budget_fen), "members": len(project.members or []),
        "spent_fen": completion.get("spent_fen"),
        "spent": rules.format_money(completion["spent_fen"]) if completion.get("spent_fen") is not None else "",
        "details": completion.get("details", ""), "village_lead": completion.get("village_lead", ""),
        "village_phone": completion.get("village_phone", ""), "photos": photos,
        "description": project.description, "scale": project.scale, "expected_effect": project.expected_effect,
        "start_date": project.start_date.isoformat(), "finish_date": project.finish_date.isoformat(),
        "member_list": [{"name": m.get("name", ""), "phone": m.get("phone", ""), "kind": m.get("kind", "")}
                        for m in project.members or []],
        "household_list": [{"name": h.get("name", ""), "phone": h.get("phone", "")} for h in project.households or []],
        "notice": None if notice is None else {
            "start": notice.start_date.isoformat(), "end": notice.end_date.isoformat(),
            "working_days": notice.working_days, "public_id": notice.public_id, "title": notice.title,
            "provisional": notice.provisional,
            "contact": (notice.content or {}).get("contact", ""), "issuer": (notice.content or {}).get("issuer", ""),
            "label": defined.label if defined else "", "rule": defined.period.words() if defined else "",
            "source": (defined.period.source or defined.source) if defined else ""},
        "program": {"id": program.id, "title": program.title, "locality": program.locality,
                    "forms": {k: {"heading": f.heading, "title": f.title} for k, f in program.forms.items()}},
        "plaque": None if plaque is None else {
            "width_cm": float(plaque.width_cm), "height_cm": float(plaque.height_cm), "material": plaque.material,
            "wordings": list(plaque.wordings), "issuer": plaque.issuer, "source": plaque.source},
    }


def report_fields(kind: str, record: dict[str, Any]) -> dict[str, str]:
    """A report's inputs from the record (what the generic report form would otherwise ask for)."""
    if kind == "micro_notice":
        if record["notice"] is None:
            raise MicroError(f"项目“{record['name']}”尚未发布完工公示")
        return {"project_name": record["name"], "notice_start": record["notice"]["start"]}
    if kind == "micro_acceptance":
        return {"project_name": record["name"], "lead": record["lead_name"], "phone": record["lead_phone"]}
    if kind == "plaque":
        if record["plaque"] is None:
            raise MicroError(f"“{record['program']['title']}”不设项目标牌")
        return {"project_name": record["name"], "issuer": record["plaque"]["issuer"], "year": str(record["year"])}
    raise MicroError(f"未知的微实事报告 {kind!r}")

