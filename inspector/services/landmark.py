"""Red-landmark applications (红色地标), 002 篇五 7.1–7.4: the village applies, the township recommends,
the county ranks (landmark_rank.py), the city receives and evaluates, then decides (landmark_city.py).

This module is the procedure's one import for callers: the steps of every stage are named here.
Reading for pages is services/landmark_read.py; dates and periods landmark_dates.py; evidence
files landmark_evidence.py; the due lists of every program services/due.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from ..core import workdays
from ..core.checklist import ChecklistSpec
from ..core.geo import Position
from ..models import LABELS, Inspection, RedLandmarkApplication, Site, User
from . import inspections, rights
from .landmark_city import (award, notice_content, record_meeting, record_objection, record_result, refuse,
                            resolve_objection, revoke)
from .landmark_dates import calendar_due, eligible_from, notice_working_days, review_days
from .landmark_evidence import Upload, evidence_path, store_evidence
from .landmark_rank import (Ranked, county_queue, county_rank, entered_rank, rank_problem, record_town_rank,
                            town_rank_basis, town_rank_of)
from .landmark_read import build_evidence, checklist_of, of_site_year
from .landmark_steps import (BUILD_CHECKLIST, CHECKLIST, CONDITIONS, DEFAULT_STEP_WORKING_DAYS, EVIDENCE_KEYS, PROGRAM,
                             SELF_ASSESSMENT_DONE, STATUS_LABELS, LandmarkError, StepOrder, UnknownObjection,
                             audit_event, close_step, expect_step, open_step, procedure, required_text, status_label,
                             step_label, touch, verdict_words)

__all__ = [  # the procedure as callers use it (the village's and township's steps are defined here)
    "BUILD_CHECKLIST", "CHECKLIST", "CONDITIONS", "EVIDENCE_KEYS", "PROGRAM", "STATUS_LABELS", "LandmarkError", "StepOrder",
    "UnknownObjection", "Upload", "Ranked", "procedure", "step_label", "status_label", "eligible_from",
    "review_days", "notice_working_days", "evidence_path", "rank_problem", "notice_content", "town_rank_of", "town_rank_basis",
    "apply", "township_recommend", "county_queue", "county_rank", "receive", "start_evaluation", "record_result",
    "record_meeting", "record_objection", "resolve_objection", "award", "refuse", "revoke",
]

def apply(*, session: Session, site: Site, by: User, today: date, calendar: workdays.Calendar,
          self_assessment_id: int | None, leadership_ok: bool, operating_since: date | None,
          no_major_incident: bool, step_days: int = DEFAULT_STEP_WORKING_DAYS,
          evidence_files: Mapping[str, list[Upload]] | None = None, media_root: Path | None = None,
          town_rank: str = "", town_total: str = "", created: list[str] | None = None) -> RedLandmarkApplication:
    """A village applies for this year's review; every 4.2 condition is checked, nothing stored if one fails.

    Each of 4.2 a–c needs an attached file (a photo or a PDF document), not only the tick. 5.13 (top
    30 % of the town) is computed from the town's self-assessment scores when every site of the town
    has one; otherwise the village enters its rank with a file. `site` must already be in the user's
    region (scope); the township step opens, due in `step_days` working days (a county setting).
    Files written are appended to `created` (the caller removes them if its commit fails).
    """
    rights.require(by, "landmark_apply")
    evidence_files = evidence_files or {}
    sa = _chosen_self_assessment(session, site, self_assessment_id, today.year)
    evidence = build_evidence(session=session, site=site)
    problems = _condition_problems(evidence, leadership_ok=leadership_ok, operating_since=operating_since,
                                   no_major_incident=no_major_incident, files=evidence_files, today=today)
    rank = town_rank_of(session=session, site=site)
    if rank is None:
        rank, rank_problems = entered_rank(town_rank, town_total, bool(evidence_files.get("rank")))
        problems += rank_problems
    if problems:
        raise LandmarkError("；".join(problems))
    due = calendar_due(calendar, today, step_days)
    stored = store_evidence(evidence_files, site=site, by=by, media_root=media_root, created=created)
    application = RedLandmarkApplication(
        site_id=site.id, year=today.year, status="applied", self_assessment_id=sa.id, leadership_ok=True,
        build_standard_met=True, operating_since=operating_since, no_major_incident=True, applied_by_id=by.id,
        applied_on=today, build_evidence_id=evidence.id,
        details={"build_evidence_verdict": evidence.verdict, "step_working_days": step_days, "evidence": stored})
    record_town_rank(application, rank)
    session.add(application)
    session.flush()
    audit_event(session, application, by, "apply", after={"site": site.id, "year": today.year, "self_assessment": sa.id,
                                                          "build_evidence": evidence.id,
                                                          "operating_since": operating_since.isoformat()})
    open_step(session, application, site, "township_recommend", due, by)
    return application


def _chosen_self_assessment(session: Session, site: Site, self_assessment_id: int | None, year: int) -> Inspection:
    """The submitted red-landmark self-assessment the application rests on (7.2), in a year without one."""
    existing = of_site_year(session=session, site=site, year=year)
    if existing is not None:
        raise StepOrder(f"{site.name} {year} 年已申报“红色地标”（{status_label(existing.status)}）；"
                        f"评审原则上每年组织 1 次（002 篇五 7.1），同一站点每年只能申报一次")
    sa = session.get(Inspection, self_assessment_id) if self_assessment_id else None
    if (sa is None or sa.site_id != site.id or sa.purpose != "self_assessment"
            or checklist_of(session=session, inspection=sa) != CHECKLIST):
        raise LandmarkError("请选择本站点按“红色地标”建设规范所作的自评（002 篇五 7.2：村(社区)党组织结合本标准进行自评自荐）")
    if sa.status not in SELF_ASSESSMENT_DONE:
        raise LandmarkError(f"所选自评{LABELS.get(sa.status, sa.status)}，提交后才能申报（002 篇五 7.2）")
    return sa


def _condition_problems(evidence: Inspection | None, *, leadership_ok: bool, operating_since: date | None,
                        no_major_incident: bool, files: Mapping[str, list[Upload]], today: date) -> list[str]:
    """Each 4.2 condition that is not met, naming its clause (a–c, with the evidence each needs)."""
    problems = []
    if not leadership_ok:
        problems.append(f"不符合申报条件 4.2 a)：{CONDITIONS['a']}（002 篇五 4.2 a）")
    if evidence is None:
        problems.append("不符合申报条件 4.2 b)：村(社区)党群服务中心达到建设标准——没有已审核或已验收的"
                        "建设标准检查或竣工验收记录可作证明（002 篇五 4.2 b）")
    elif evidence.verdict != "pass":
        problems.append(f"不符合申报条件 4.2 b)：村(社区)党群服务中心达到建设标准——最近一次"
                        f"{LABELS.get(evidence.status)}的{LABELS.get(evidence.purpose)}（第 {evidence.id} 号）结论为"
                        f"“{verdict_words(evidence.verdict)}”（002 篇五 4.2 b）")
    problems += _operating_problems(operating_since, today)
    if not no_major_incident:
        problems.append(f"不符合申报条件 4.2 c)：{CONDITIONS['c']}（002 篇五 4.2 c）")
    return problems + [f"4.2 {key}) 须附证明材料（照片或 PDF 文件），勾选声明不能代替证明（002 篇五 4.2 {key}）"
                       for key in ("a", "b", "c") if not files.get(key)]


def _operating_problems(operating_since: date | None, today: date) -> list[str]:
    """4.2 b): 挂牌运行1 年以上 — the plaque's date, not in the future, at least a year ago."""
    if operating_since is None:
        return ["不符合申报条件 4.2 b)：请填写挂牌运行起始日期（挂牌运行1 年以上，002 篇五 4.2 b）"]
    if operating_since > today:
        return [f"不符合申报条件 4.2 b)：挂牌运行起始日期 {operating_since} 晚于今天（002 篇五 4.2 b）"]
    if today < eligible_from(operating_since):
        return [f"不符合申报条件 4.2 b)：挂牌运行1 年以上——自 {operating_since} 挂牌运行，"
                f"到 {today} 不满 1 年，{eligible_from(operating_since)} 起方可申报（002 篇五 4.2 b）"]
    return []


def township_recommend(*, session: Session, application: RedLandmarkApplication, report: str, by: User,
                       today: date, calendar: workdays.Calendar,
                       step_days: int = DEFAULT_STEP_WORKING_DAYS) -> RedLandmarkApplication:
    """The township recommends with its application report (7.2); the county step opens."""
    rights.require(by, "landmark_township_recommend")
    expect_step(session, application, "township_recommend", what="由乡镇推荐")
    report = required_text(report, "申请报告")
    due = calendar_due(calendar, today, step_days)
    application.township_report = report
    application.township_recommended_on = today
    close_step(session, application, "township_recommend", by, note="已推荐")
    touch(application, session, "township_recommended")
    audit_event(session, application, by, "township_recommend", after={"report": report[:200]})
    open_step(session, application, session.get(Site, application.site_id), "county_recommend", due, by)
    return application


def receive(*, session: Session, application: RedLandmarkApplication, received_on: date | None, by: User,
            today: date) -> RedLandmarkApplication:
    """The city records the day it received the county's application; the review is due 30 days later."""
    rights.require(by, "landmark_receive")
    expect_step(session, application, "city_receive", what="登记收件")
    if received_on is None:
        raise LandmarkError("请填写收到县级推荐材料的日期")
    if received_on > today:
        raise LandmarkError(f"收件日期 {received_on} 晚于今天")
    sent = application.county_recommended_on
    if sent and received_on < sent:
        raise LandmarkError(f"收件日期 {received_on} 早于县级推荐日期 {sent}")
    # 002 篇五 7.3 “于 30 天内安排评审”: calendar days (天), not working days.
    due = received_on + timedelta(days=review_days())
    application.received_on = received_on
    application.review_due = due
    close_step(session, application, "city_receive", by, note=f"收件 {received_on}")
    touch(application, session, "under_review")
    audit_event(session, application, by, "receive", after={"received_on": received_on.isoformat(),
                                                            "review_due": due.isoformat()})
    open_step(session, application, session.get(Site, application.site_id), "city_review", due, by)
    return application


def start_evaluation(*, session: Session, application: RedLandmarkApplication, spec: ChecklistSpec, by: User,
                     position: Position | None = None, flags: list[dict] | None = None) -> Inspection:
    """Start the city's evaluation: a red-landmark inspection of this site, linked to the application."""
    rights.require(by, "landmark_start_evaluation")
    expect_step(session, application, "city_review", what="开始评定检查")
    if application.evaluation_id is not None:
        raise StepOrder(f"已开始评定检查（第 {application.evaluation_id} 号），不能重复开始")
    if spec.id != CHECKLIST:
        raise LandmarkError("评定检查应使用“红色地标”建设规范清单")
    site = session.get(Site, application.site_id)
    try:
        evaluation = inspections.start(session=session, site=site, spec=spec, purpose="red_landmark", tier=None,
                                       by=by, position=position, flags=flags)
    except inspections.InspectionError as exc:
        raise LandmarkError(str(exc)) from None
    application.evaluation_id = evaluation.id
    touch(application, session)
    audit_event(session, application, by, "start_evaluation", after={"evaluation": evaluation.id})
    return evaluation
