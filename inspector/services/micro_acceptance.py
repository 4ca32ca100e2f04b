"""Micro projects: acceptance on the program's checklist, the residents' survey, the archive (001 二 7, 三 11)."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session

from ..core import micro as rules
from ..core.checklist import ChecklistSpec
from ..models import Inspection, MicroProject, Site, User, utcnow
from . import inspections, notices
from .micro_state import (PURPOSE, Invalid, MicroError, acceptance, accepted, check_transition, checklist_for,
                          completion_definition, completion_notice, merge_details, program_of, require, set_status)


def start_acceptance(*, session: Session, project: MicroProject, spec: ChecklistSpec, by: User,
                     today: date) -> Inspection:
    """Start the acceptance inspection on the program's checklist, after the completion notice ended."""
    require(by, "acceptance")
    check_transition(project, "acceptance")
    if spec.id != checklist_for(project):
        raise MicroError(f"本项目按《{program_of(project).title}》验收，应使用其验收清单，而不是《{spec.title}》")
    notice = completion_notice(session=session, project=project)
    if notice is None:  # pragma: no cover - “noticed” always has its notice
        raise MicroError("项目尚未发布完工公示")
    defined = completion_definition(project)
    if defined.wait_for_end and not notices.has_ended(notice, today):
        raise MicroError(f"{defined.label}期至 {notice.end_date.isoformat()}（{notice.working_days} 个工作日），"
                         f"公示结束后才能验收（{defined.source}）")
    if notices.open_objections(session=session, notice=notice):
        raise MicroError("完工公示期间收到的异议尚未处理，处理后才能验收")
    current = acceptance(session=session, project=project)
    if current is not None:
        if current.status in inspections.EDITABLE:
            raise MicroError("验收检查已开始，请继续填写")
        if accepted(current):
            raise MicroError("验收检查已合格，请登记满意度测评")
    site = session.get(Site, project.site_id)
    try:
        inspection = inspections.start(session=session, site=site, spec=spec, purpose=PURPOSE, tier=None, by=by)
    except inspections.InspectionError as exc:
        raise MicroError(str(exc)) from None
    history = list((project.details or {}).get("acceptance_history", []))
    if current is not None:
        history.append(current.id)
    project.acceptance_id = inspection.id
    merge_details(project, acceptance_history=history)
    set_status(session, project, "accepting", by, "acceptance", {"inspection": inspection.id})
    return inspection


def record_satisfaction(*, session: Session, project: MicroProject, respondents: str, satisfied: str, by: User,
                        today: date) -> MicroProject:
    """Residents' satisfaction, after a passed acceptance (001 二 7 “先验收、后评价”); the rate is computed."""
    require(by, "satisfaction")
    check_transition(project, "satisfaction")
    evaluation = program_of(project).evaluation
    if evaluation is None:
        raise MicroError(f"“{program_of(project).title}”不设满意度测评：验收合格后即可归档")
    inspection = acceptance(session=session, project=project)
    if not accepted(inspection):
        state = ("尚未提交" if inspection is None or inspection.status in inspections.EDITABLE
                 else "结论为不合格")
        raise MicroError(f"验收检查{state}：按照“先验收、后评价”的原则，验收合格后才能开展满意度测评"
                         f"（{evaluation.source}）")
    survey, problems = rules.read_satisfaction(respondents, satisfied)
    if problems:
        raise Invalid(problems)
    project.satisfaction = {"respondents": survey.respondents, "satisfied": survey.satisfied, "rate": survey.rate,
                            "on": today.isoformat(), "by": by.id}
    set_status(session, project, "evaluated", by, "satisfaction", {"satisfaction": project.satisfaction})
    return project


def archive(*, session: Session, project: MicroProject, by: User) -> MicroProject:
    """Close the full-process archive (001 三 11); nothing changes afterwards."""
    require(by, "archive")
    check_transition(project, "archive")
    if project.status == "accepting":
        if program_of(project).evaluation is not None:
            raise MicroError(f"按照“先验收、后评价”的原则，满意度测评后才能归档（{program_of(project).evaluation.source}）")
        if not accepted(acceptance(session=session, project=project)):
            raise MicroError("验收合格后才能归档")
    project.archived_at = utcnow()
    set_status(session, project, "archived", by, "archive", {"archived_at": project.archived_at.isoformat()})
    return project


