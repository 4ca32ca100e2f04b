"""Red-landmark applications at the city (002 篇五 7.3–7.4, 4.3): the evaluation's result, the department
meeting (部务会审定), the result notice with its objections, and the decision — award, refusal, revocation."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from ..core import workdays
from ..models import LABELS, Inspection, Notice, Objection, RedLandmarkApplication, Site, User
from . import notices, rights
from .landmark_dates import notice_working_days
from .landmark_rank import rank_problem
from .landmark_read import issuer, notice_of
from .landmark_steps import (EVALUATION_DONE, NOTICE_KIND, LandmarkError, StepOrder, UnknownObjection, audit_event,
                             close_step, expect_step, open_step, required_text, status_label, touch, verdict_words)


def notice_content(*, session: Session, application: RedLandmarkApplication, site: Site, evaluation: Inspection,
                   start: date, end: date, contact: str, meeting: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the result notice publishes (the notice content contract), fixed when posted."""
    place, by_whom = issuer(session, site)
    score = f"{evaluation.score:.1f} 分" if evaluation.score is not None else "—"
    return {
        "site": site.name,
        "region": place,
        "sections": [
            {"label": "站点", "value": site.name},
            {"label": "评定年度", "value": f"{application.year} 年度"},
            {"label": "评定结果", "value": "合格，拟命名为村(社区)党群服务中心“红色地标”"},
            {"label": "评定得分", "value": score},
            {"label": "评审单位", "value": by_whom},
            *([{"label": "部务会审定", "value": f"{meeting['date']}（{meeting['minutes']}）"}] if meeting else []),
            {"label": "公示期", "value": f"{start.isoformat()} 至 {end.isoformat()}（{notice_working_days()} 个工作日）"},
        ],
        "body": (f"根据《徐州市村(社区)党群服务中心“红色地标”建设规范》7.4，现将评审结果予以公示，"
                 f"公示期为 {notice_working_days()} 个工作日（{start.isoformat()} 至 {end.isoformat()}）。"
                 f"如有异议，请在公示期内向{by_whom}反映。公示期满后，以文件形式公布评审最终结果。"),
        "photos": [],
        "contact": contact,
        "issuer": by_whom,
    }


def record_result(*, session: Session, application: RedLandmarkApplication, by: User, today: date,
                  calendar: workdays.Calendar | None = None, notice_start: date | None = None,
                  contact: str = "") -> RedLandmarkApplication:
    """The city records the evaluation's result; a pass goes to the department meeting (部务会审定, 7.4).

    5.13 (the town ranking) binds too: a rank outside the top 30 % fails the result whatever the
    evaluation's verdict. Nothing is noticed here: the notice follows the meeting's decision.
    """
    rights.require(by, "landmark_record_result")
    expect_step(session, application, "city_review", what="记录评审结果")
    evaluation = session.get(Inspection, application.evaluation_id) if application.evaluation_id else None
    if evaluation is None:
        raise StepOrder("还没有开始评定检查，请先开始评定检查并提交")
    if evaluation.status not in EVALUATION_DONE:
        raise StepOrder(f"评定检查{LABELS.get(evaluation.status, evaluation.status)}，提交后才能记录评审结果")
    ranking = rank_problem(application)
    passed = evaluation.verdict == "pass" and ranking is None
    site = session.get(Site, application.site_id)
    reasons = [ranking] if ranking else []
    application.result, application.result_on = "pass" if passed else "fail", today
    application.result_verdict, application.result_score = evaluation.verdict, evaluation.score
    application.details = {**(application.details or {}), "result_reasons": reasons}
    if passed:
        close_step(session, application, "city_review", by, outcome="pass",
                   note=f"评定合格（{evaluation.score:.1f} 分），报部务会审定" if evaluation.score is not None
                   else "评定合格，报部务会审定")
        touch(application, session, "meeting")
        audit_event(session, application, by, "result", after={"result": "pass"})
        open_step(session, application, site, "meeting", None, by)
    else:
        verdict = verdict_words(evaluation.verdict)
        close_step(session, application, "city_review", by, outcome="fail",
                   note=f"评定结论：{verdict}" + (f"；{ranking}" if ranking else ""))
        touch(application, session, "failed")
        audit_event(session, application, by, "result", after={"result": "fail", "verdict": evaluation.verdict,
                                                               "reasons": reasons})
        open_step(session, application, site, "decision", None, by)
    return application


def record_meeting(*, session: Session, application: RedLandmarkApplication, meeting_date: date | None,
                   minutes_number: str, approve: bool, reason: str, notice_start: date | None, contact: str,
                   by: User, today: date, calendar: workdays.Calendar) -> RedLandmarkApplication:
    """The department meeting's decision (部务会审定: date, minutes number); approved → the 7-working-day notice.

    7.4 “评审结果报部务会审定后进行公示”: the notice cannot start before the meeting's date.
    """
    rights.require(by, "landmark_meeting")
    expect_step(session, application, "meeting", what="登记部务会审定结果")
    meeting = _meeting(application, meeting_date, minutes_number, approve, today)
    if not approve:
        reason = required_text(reason, "部务会未通过的理由", 2000)
        _record_meeting(application, meeting)
        application.decision_reason = reason
        close_step(session, application, "meeting", by, outcome="refused",
                   note=f"部务会（{meeting['minutes']}，{meeting_date}）未通过：{reason[:150]}")
        touch(application, session, "refused")
        audit_event(session, application, by, "meeting", after={**meeting, "reason": reason})
        return application
    start = notice_start or today
    if start < meeting_date:
        raise LandmarkError(f"公示开始日期 {start} 早于部务会审定日期 {meeting_date}：审定后方可公示（002 篇五 7.4）")
    site = session.get(Site, application.site_id)
    notice = _post_notice(session, application, site, meeting=meeting, start=start, contact=contact, by=by,
                          calendar=calendar)
    application.notice_id = notice.id
    _record_meeting(application, meeting)
    close_step(session, application, "meeting", by, outcome="approved",
               note=f"部务会审定（{meeting['minutes']}，{meeting_date}）")
    touch(application, session, "noticed")
    audit_event(session, application, by, "meeting", after={**meeting, "notice": notice.id, "start": start.isoformat(),
                                                            "end": notice.end_date.isoformat()})
    # Due on the last day of the posting period: the city decides after it (7.4); recounted with the notice.
    open_step(session, application, site, "notice", calendar.deadline(start, notice_working_days(), "period"), by)
    return application


def _meeting(application: RedLandmarkApplication, meeting_date: date | None, minutes_number: str, approve: bool,
             today: date) -> dict[str, Any]:
    """The meeting as recorded (date, minutes number, approved), once its date and number are valid."""
    if meeting_date is None:
        raise LandmarkError("请填写部务会审定日期（002 篇五 7.4：评审结果报部务会审定后进行公示）")
    if meeting_date > today:
        raise LandmarkError(f"部务会日期 {meeting_date} 晚于今天")
    if application.received_on and meeting_date < application.received_on:
        raise LandmarkError(f"部务会日期 {meeting_date} 早于收件日期 {application.received_on}")
    minutes = required_text(minutes_number, "部务会纪要号", 80)
    return {"date": meeting_date.isoformat(), "minutes": minutes, "approved": approve}


def _record_meeting(application: RedLandmarkApplication, meeting: dict[str, Any]) -> None:
    """Keep the meeting's date, minutes number and decision on the application."""
    application.meeting_on = date.fromisoformat(meeting["date"])
    application.meeting_minutes, application.meeting_approved = meeting["minutes"], meeting["approved"]


def _post_notice(session: Session, application: RedLandmarkApplication, site: Site, *, meeting: dict[str, Any],
                 start: date, contact: str, by: User, calendar: workdays.Calendar) -> Notice:
    """Post the result notice for the notice period from `start` (7.4); LandmarkError when it cannot be."""
    evaluation = session.get(Inspection, application.evaluation_id)
    contact = (contact or "").strip()[:200]
    try:
        end = calendar.period_end(start, notice_working_days())
        content = notice_content(session=session, application=application, site=site, evaluation=evaluation,
                                 start=start, end=end, contact=contact, meeting=meeting)
        return notices.post(session=session, kind=NOTICE_KIND, site=site, subject_id=application.id,
                            title=f"{site.name}“红色地标”评定结果公示", content=content, start=start,
                            working_days=notice_working_days(), calendar=calendar, by=by)
    except (workdays.CalendarUnknown, notices.NoticeError) as exc:
        raise LandmarkError(str(exc)) from None


def _notice_step(session: Session, application: RedLandmarkApplication, what: str) -> Notice:
    """The application's notice while it is the open step."""
    expect_step(session, application, "notice", what=what)
    notice = notice_of(session=session, application=application)
    if notice is None:  # cannot happen: the notice step opens with the notice
        raise StepOrder("尚未公示")
    return notice


def record_objection(*, session: Session, application: RedLandmarkApplication, received_on: date | None,
                     text: str, by: User) -> Objection:
    """Record an objection received during the posting period."""
    rights.require(by, "landmark_objection")
    notice = _notice_step(session, application, "登记异议")
    if received_on is None:
        raise LandmarkError("请填写收到异议的日期")
    try:
        row = notices.record_objection(session=session, notice=notice, received_on=received_on, text=text, by=by)
    except notices.NoticeError as exc:
        raise LandmarkError(f"{exc}（002 篇五 7.4：公示期为 {notice_working_days()} 个工作日）") from None
    touch(application, session)
    return row


def resolve_objection(*, session: Session, application: RedLandmarkApplication, objection_id: int,
                      resolution: str, by: User) -> Objection:
    """Record how an objection to the application's notice was handled."""
    rights.require(by, "landmark_resolve_objection")
    notice = _notice_step(session, application, "处理异议")
    objection = session.get(Objection, objection_id)
    if objection is None or objection.notice_id != notice.id:
        raise UnknownObjection("没有这条异议")
    try:
        notices.resolve_objection(session=session, objection=objection, resolution=resolution, by=by)
    except notices.NoticeError as exc:
        raise LandmarkError(str(exc)) from None
    touch(application, session)
    return objection


def award(*, session: Session, application: RedLandmarkApplication, number: str, award_date: date | None,
          by: User, today: date) -> RedLandmarkApplication:
    """Award the title by document (7.4) once the notice has ended with no objection open."""
    rights.require(by, "landmark_award")
    notice = _notice_step(session, application, "命名")
    if not notices.has_ended(notice, today):
        raise StepOrder(f"公示期至 {notice.end_date} 止（{notice_working_days()} 个工作日，002 篇五 7.4），"
                        f"{notice.end_date + timedelta(days=1)} 起方可命名")
    still_open = notices.open_objections(session=session, notice=notice)
    if still_open:
        raise StepOrder(f"还有 {len(still_open)} 条异议未处理，处理后方可命名")
    number = (number or "").strip()
    if not number:
        raise LandmarkError("请填写命名文件的文号（以文件形式公布评审最终结果，002 篇五 7.4）")
    if len(number) > 80:
        raise LandmarkError("文号不超过 80 字")
    award_date = award_date or today
    if award_date <= notice.end_date:
        raise LandmarkError(f"命名日期应在公示期满（{notice.end_date}）之后")
    if award_date > today:
        raise LandmarkError(f"命名日期 {award_date} 晚于今天")
    application.award_number = number
    application.award_date = award_date
    close_step(session, application, "notice", by, outcome="awarded", note=f"{number}（{award_date}）")
    touch(application, session, "awarded")
    audit_event(session, application, by, "award", after={"number": number, "date": award_date.isoformat()})
    return application


def refuse(*, session: Session, application: RedLandmarkApplication, reason: str, by: User,
           today: date) -> RedLandmarkApplication:
    """Refuse the title, with the reason (after a failed evaluation, or after the notice)."""
    rights.require(by, "landmark_refuse")
    step = expect_step(session, application, "notice", "decision", what="作出不予命名决定")
    reason = required_text(reason, "不予命名的理由", 2000)
    application.decision_reason = reason
    close_step(session, application, step.step, by, outcome="refused", note=reason[:200])
    touch(application, session, "refused")
    application.refused_on = today
    audit_event(session, application, by, "refuse", after={"reason": reason[:200]})
    return application


def revoke(*, session: Session, application: RedLandmarkApplication, reason: str, revoked_on: date | None,
           by: User, today: date) -> RedLandmarkApplication:
    """Revoke an awarded title (4.3: 工作明显滑坡、被群众举报或上级批评…产生不良社会影响)."""
    rights.require(by, "landmark_revoke")
    if application.status != "awarded":
        raise StepOrder(f"只有已命名的才能取消命名（当前：{status_label(application.status)}）")
    reason = required_text(reason, "取消命名的理由", 2000)
    revoked_on = revoked_on or today
    if revoked_on > today:
        raise LandmarkError(f"取消日期 {revoked_on} 晚于今天")
    if application.award_date and revoked_on < application.award_date:
        raise LandmarkError(f"取消日期 {revoked_on} 早于命名日期 {application.award_date}")
    application.revoked_on = revoked_on
    application.decision_reason = reason
    site = session.get(Site, application.site_id)
    open_step(session, application, site, "revoke", None, by)
    close_step(session, application, "revoke", by, outcome="revoked", note=reason[:200])
    touch(application, session, "revoked")
    audit_event(session, application, by, "revoke", after={"reason": reason[:200], "date": revoked_on.isoformat()})
    return application
