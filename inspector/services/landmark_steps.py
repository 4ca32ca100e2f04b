"""Red-landmark applications (红色地标): the procedure's frame — its names, refusals and step plumbing.

Source: 002_a83f9f6db4fc39eb.txt › 篇五 — 4.2 application conditions, 4.3 revocation, 4.4 plaque,
7.1–7.4 procedure. One application per site and year (7.1: reviewed once a year). Each step is a
`services.programs` step with its owner role and due date; the application row keeps what each
step recorded (report, opinion, dates, result, award). The steps themselves are in services/landmark.py
(village to city receipt), landmark_rank.py (5.13 and the county's ranking) and landmark_city.py
(the city's result, meeting, notice and decision); what pages read is in landmark_read.py.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from ..core import workdays
from ..core.errors import DomainError
from ..core.scoring import VERDICT_LABELS
from ..models import ProgramStep, RedLandmarkApplication, Site, User, utcnow
from . import audit, notifications, programs

PROGRAM = "red_landmark"
CHECKLIST = "red-landmark"            # the checklist of the self-assessment and the city's evaluation
BUILD_CHECKLIST = "build-standard"    # 4.2 b) evidence: the build standard ("十二个一")
BUILD_PURPOSES = ("inspection", "completion_acceptance")
SELF_ASSESSMENT_DONE = ("submitted", "resubmitted", "approved", "accepted")
EVALUATION_DONE = ("submitted", "resubmitted", "approved", "accepted")
REVIEWED = ("approved", "accepted")
NOTICE_KIND = "red_landmark_result"
# Township and county steps: the sources give no deadline (7.2). The number of working days is a
# county setting (LANDMARK_STEP_WORKING_DAYS; the program file's default), not a number from the standard.
DEFAULT_STEP_WORKING_DAYS = 10
PROGRAM_KIND = "red_landmark"   # the procedure's steps, owners and periods: checklists/programs/xuzhou-red-landmark.yaml
STATUS_LABELS = {
    "applied": "待乡镇推荐", "township_recommended": "待县级推荐", "county_recommended": "待市级收件",
    "not_recommended": "县级未推荐", "under_review": "市级评审中", "meeting": "待部务会审定", "noticed": "公示中",
    "failed": "评审未通过", "awarded": "已命名“红色地标”", "refused": "未予命名", "revoked": "已取消命名",
}
CONDITIONS = {  # 002 篇五 4.2
    "a": "村(社区)党组织班子人员齐全、领导有力,工作机制完备",
    "b": "村(社区)党群服务中心达到建设标准,且挂牌运行1 年以上",
    "c": "未发生重大事故或产生其他不良社会影响",
}
EVIDENCE_KEYS = ("a", "b", "c", "rank")   # 4.2 a–c each need a file; "rank": 5.13 entered by the village
MAX_TEXT = 4000


class LandmarkError(DomainError):
    """A request that breaks a rule of the procedure; `status` is the HTTP answer (422 bad input)."""

    status = 422


class StepOrder(LandmarkError):
    """A step taken out of order (answered 409 with the current step)."""

    status = 409


class UnknownObjection(DomainError):
    """An objection that is not one of the application's notice (answered 404)."""

    status = 404


def procedure():
    """The red-landmark procedure's definition (steps, owners, periods) from its program file."""
    return programs.one(PROGRAM_KIND)


def step_label(step: str) -> str:
    """A step's name in Chinese."""
    found = procedure().step(step)
    return found.label if found else step


def status_label(status: str) -> str:
    """An application status in Chinese."""
    return STATUS_LABELS.get(status, status)


def required_text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    """A required text field, stripped; LandmarkError when empty or too long."""
    value = (value or "").strip()
    if not value:
        raise LandmarkError(f"请填写{what}")
    if len(value) > limit:
        raise LandmarkError(f"{what}不超过 {limit} 字（现 {len(value)} 字）")
    return value


def open_step(session: Session, application: RedLandmarkApplication, site: Site, step: str,
          due: date | workdays.Due | None,
          by: User) -> ProgramStep:
    """Open the application's next step, owned by the step's role."""
    row = programs.open_step(session=session, program=PROGRAM, program_id=application.id, step=step,
                             owner_role=procedure().step(step).role, region_id=site.region_id, due_date=due, by=by)
    notifications.step_opened(session=session, region_id=site.region_id, role=row.owner_role, target="landmark",
                              target_id=application.id, what=f"{site.name}的红色地标申请：{step_label(step)}，待您办理",
                              by=by)
    return row


def expect_step(session: Session, application: RedLandmarkApplication, *steps: str, what: str) -> ProgramStep:
    """The open step, which must be one of `steps`; StepOrder naming the current step otherwise."""
    row = programs.current(session=session, program=PROGRAM, program_id=application.id)
    if row is None or row.step not in steps:
        now = f"当前环节：{step_label(row.step)}" if row else f"流程已结束（{status_label(application.status)}）"
        raise StepOrder(f"现在不能{what}（{now}）")
    return row


def close_step(session: Session, application: RedLandmarkApplication, step: str, by: User, outcome: str = "done",
           note: str = "") -> ProgramStep:
    """Close the open step (already checked by _expect)."""
    try:
        return programs.close_step(session=session, program=PROGRAM, program_id=application.id, step=step, by=by,
                                   outcome=outcome, note=note)
    except programs.StepError as exc:  # role and order are checked before; this is a safety net
        raise StepOrder(str(exc)) from None


def touch(application: RedLandmarkApplication, session: Session, status: str | None = None) -> None:
    """Mark the application changed (and move it to `status`)."""
    if status is not None:
        application.status = status
    application.updated_at = utcnow()
    session.add(application)


def audit_event(session: Session, application: RedLandmarkApplication, by: User, action: str, before: Any = None,
           after: Any = None) -> None:
    audit.record(session=session, user_id=by.id, action=action, entity="red_landmark", entity_id=application.id,
                 before=before, after=after)


def verdict_words(verdict: str | None) -> str:
    """An inspection's verdict in words ("未评分" before it has one)."""
    return VERDICT_LABELS.get(verdict or "", "未评分")
