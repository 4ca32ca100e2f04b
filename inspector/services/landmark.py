"""Red-landmark applications (红色地标): village → township → county → city, with due dates.

Source: 002_a83f9f6db4fc39eb.txt › 篇五 — 4.2 application conditions, 4.3 revocation, 4.4 plaque,
7.1–7.4 procedure. One application per site and year (7.1: reviewed once a year). Each step is a
`services.programs` step with its owner role and due date; the application row keeps what each
step recorded (report, opinion, dates, result, award).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from ..core import photos as photo_core, workdays
from ..core.checklist import ChecklistSpec
from ..core.errors import DomainError
from ..core.geo import Position
from ..core.scoring import VERDICT_LABELS
from ..models import (LABELS, ROLE_LABELS, ChecklistVersion, Inspection, Notice, Objection, ProgramStep,
                      RedLandmarkApplication, Region, Site, User, utcnow)
from . import audit, inspections, notices, notifications, programs, regions, rights

CHINA_TZ = ZoneInfo("Asia/Shanghai")
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
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
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


def _period_days(step: str) -> int:
    """The period of a step in the program file (days)."""
    return procedure().step(step).period.days


def review_days() -> int:
    """7.3: 接到县级组织部门申请后，市委组织部于 30 天内安排评审 (calendar days)."""
    return _period_days("city_review")


def notice_working_days() -> int:
    """7.4: 公示期为 7 个(人)工作日."""
    return _period_days("notice")


def step_label(step: str) -> str:
    """A step's name in Chinese."""
    found = procedure().step(step)
    return found.label if found else step


def status_label(status: str) -> str:
    """An application status in Chinese."""
    return STATUS_LABELS.get(status, status)


def china_time(moment: datetime | None) -> str:
    """A stored moment as China local time, 'YYYY-MM-DD HH:MM'."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def eligible_from(operating_since: date) -> date:
    """The first day a center plaqued on `operating_since` has run ≥ 1 year (002 篇五 4.2 b).

    “1 年以上” includes exactly one year. A plaque hung on 29 February completes its year on
    1 March of the next (non-leap) year: 28 February would be a day short.
    """
    try:
        return operating_since.replace(year=operating_since.year + 1)
    except ValueError:  # 29 February → the next year has no such day
        return date(operating_since.year + 1, 3, 1)


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    """A required text field, stripped; LandmarkError when empty or too long."""
    value = (value or "").strip()
    if not value:
        raise LandmarkError(f"请填写{what}")
    if len(value) > limit:
        raise LandmarkError(f"{what}不超过 {limit} 字（现 {len(value)} 字）")
    return value


def _calendar_due(calendar: workdays.Calendar, start: date, n: int) -> workdays.Due:
    """n working days after `start` (provisional across a year without its schedule); strict
    mode's refusal becomes a LandmarkError."""
    try:
        return calendar.deadline(start, n)
    except workdays.CalendarUnknown as exc:
        raise LandmarkError(str(exc)) from None


def _open(session: Session, application: RedLandmarkApplication, site: Site, step: str,
          due: date | workdays.Due | None,
          by: User) -> ProgramStep:
    """Open the application's next step, owned by the step's role."""
    row = programs.open_step(session=session, program=PROGRAM, program_id=application.id, step=step,
                             owner_role=procedure().step(step).role, region_id=site.region_id, due_date=due, by=by)
    notifications.step_opened(session=session, region_id=site.region_id, role=row.owner_role, target="landmark",
                              target_id=application.id, what=f"{site.name}的红色地标申请：{step_label(step)}，待您办理",
                              by=by)
    return row


def _expect(session: Session, application: RedLandmarkApplication, *steps: str, what: str) -> ProgramStep:
    """The open step, which must be one of `steps`; StepOrder naming the current step otherwise."""
    row = programs.current(session=session, program=PROGRAM, program_id=application.id)
    if row is None or row.step not in steps:
        now = f"当前环节：{step_label(row.step)}" if row else f"流程已结束（{status_label(application.status)}）"
        raise StepOrder(f"现在不能{what}（{now}）")
    return row


def _close(session: Session, application: RedLandmarkApplication, step: str, by: User, outcome: str = "done",
           note: str = "") -> ProgramStep:
    """Close the open step (already checked by _expect)."""
    try:
        return programs.close_step(session=session, program=PROGRAM, program_id=application.id, step=step, by=by,
                                   outcome=outcome, note=note)
    except programs.StepError as exc:  # role and order are checked before; this is a safety net
        raise StepOrder(str(exc)) from None


def _touch(application: RedLandmarkApplication, session: Session, status: str | None = None) -> None:
    """Mark the application changed (and move it to `status`)."""
    if status is not None:
        application.status = status
    application.updated_at = utcnow()
    session.add(application)


def _audit(session: Session, application: RedLandmarkApplication, by: User, action: str, before: Any = None,
           after: Any = None) -> None:
    audit.record(session=session, user_id=by.id, action=action, entity="red_landmark", entity_id=application.id,
                 before=before, after=after)


# ---------------------------------------------------------------- reading

def checklist_of(*, session: Session, inspection: Inspection) -> str:
    """The checklist id an inspection was started with."""
    return session.exec(select(ChecklistVersion.checklist_id)
                        .where(ChecklistVersion.id == inspection.checklist_version_id)).one()


def self_assessments(*, session: Session, site: Site) -> list[Inspection]:
    """The site's red-landmark self-assessments that may back an application (submitted or later)."""
    return list(session.exec(
        select(Inspection).join(ChecklistVersion, Inspection.checklist_version_id == ChecklistVersion.id)
        .where(Inspection.site_id == site.id, Inspection.purpose == "self_assessment",
               ChecklistVersion.checklist_id == CHECKLIST, Inspection.status.in_(SELF_ASSESSMENT_DONE))
        .order_by(Inspection.id.desc())))


def _reviewed_on(ins: Inspection) -> datetime:
    """When an inspection was last signed off (accepted, approved, submitted, started)."""
    return ins.accepted_at or ins.approved_at or ins.submitted_at or ins.started_at


def build_evidence(*, session: Session, site: Site) -> Inspection | None:
    """The site's latest approved-or-accepted build-standard inspection or completion acceptance."""
    rows = session.exec(
        select(Inspection).join(ChecklistVersion, Inspection.checklist_version_id == ChecklistVersion.id)
        .where(Inspection.site_id == site.id, ChecklistVersion.checklist_id == BUILD_CHECKLIST,
               Inspection.purpose.in_(BUILD_PURPOSES), Inspection.status.in_(REVIEWED))).all()
    return max(rows, key=lambda i: (_reviewed_on(i), i.id), default=None)


def of_site_year(*, session: Session, site: Site, year: int) -> RedLandmarkApplication | None:
    """The site's application of a year, if any."""
    return session.exec(select(RedLandmarkApplication).where(RedLandmarkApplication.site_id == site.id,
                                                             RedLandmarkApplication.year == year)).first()


def search(*, session: Session, region: Region, year: int | None = None, status: str | None = None
           ) -> list[tuple[RedLandmarkApplication, Site]]:
    """Applications of sites in the region's subtree, newest first (optionally one year, one status)."""
    stmt = (select(RedLandmarkApplication, Site).join(Site, RedLandmarkApplication.site_id == Site.id)
            .join(Region, Site.region_id == Region.id).where(Region.path.startswith(region.path)))
    if year is not None:
        stmt = stmt.where(RedLandmarkApplication.year == year)
    if status:
        stmt = stmt.where(RedLandmarkApplication.status == status)
    return list(session.exec(stmt.order_by(RedLandmarkApplication.year.desc(), RedLandmarkApplication.id.desc())))


def years(*, session: Session, region: Region) -> list[int]:
    """Years that have applications in the region, newest first."""
    return sorted({a.year for a, _s in search(session=session, region=region)}, reverse=True)


def notice_of(*, session: Session, application: RedLandmarkApplication) -> Notice | None:
    """The application's result notice, if posted."""
    return session.get(Notice, application.notice_id) if application.notice_id else None


# ---------------------------------------------------------------- evidence files (4.2 a–c, 5.13)

@dataclass(frozen=True)
class Upload:
    """A file from a form: its name (for messages) and bytes."""

    filename: str
    data: bytes


def _store_evidence(files: Mapping[str, list[Upload]], *, site: Site, by: User, media_root: Path | None,
                    created: list[str] | None) -> dict[str, list[dict[str, Any]]]:
    """Store each file (photos through the photo pipeline, PDFs by their SHA-256); LandmarkError on a bad one."""
    out: dict[str, list[dict[str, Any]]] = {}
    made: list[str] = []
    try:
        for key in EVIDENCE_KEYS:
            for up in files.get(key) or []:
                out.setdefault(key, []).append(_store_one(up, key=key, site=site, by=by, media_root=media_root,
                                                          made=made))
    except BaseException:
        photo_core.remove(media_root, made)
        raise
    if created is not None:
        created.extend(made)
    return out


def _store_one(up: Upload, *, key: str, site: Site, by: User, media_root: Path, made: list[str]) -> dict[str, Any]:
    """One evidence file: a PDF document, or a photo (watermarked, resized)."""
    label = "5.13 排名证明" if key == "rank" else f"4.2 {key})"
    if up.data[:5] == b"%PDF-":
        if len(up.data) > DOCUMENT_MAX_BYTES:
            raise LandmarkError(f"{label}：{up.filename} 超过 {DOCUMENT_MAX_BYTES // 1024 // 1024} MB")
        sha = hashlib.sha256(up.data).hexdigest()
        rel = f"documents/{sha[:2]}/{sha}.pdf"
        target = media_root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(up.data)
            made.append(rel)
        return {"kind": "document", "filename": up.filename[:200], "path": rel, "sha256": sha}
    mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None, accuracy_m=None,
                                inspector=by.display_name)
    try:
        photo = photo_core.ingest(up.data, media_root=media_root, watermark=mark)
    except photo_core.PhotoError as exc:
        raise LandmarkError(f"{label}：{up.filename or '文件'} 不是照片或 PDF 文件（{exc.reason}）") from None
    made.extend(photo.created)
    return {"kind": "photo", "filename": up.filename[:200], "display": photo.display, "thumb": photo.thumb,
            "original": photo.original, "sha256": photo.sha256}


def evidence_path(application: RedLandmarkApplication, key: str, n: int) -> tuple[str, str] | None:
    """(stored path, mimetype) of the n-th evidence file of a condition, or None."""
    items = ((application.details or {}).get("evidence") or {}).get(key) or []
    if not 0 <= n < len(items):
        return None
    item = items[n]
    return (item["path"], "application/pdf") if item["kind"] == "document" else (item["display"], "image/jpeg")


# ---------------------------------------------------------------- 5.13: the town's ranking

def town_rank_of(*, session: Session, site: Site) -> dict[str, Any] | None:
    """The site's rank in its town from every site's latest red-landmark self-assessment score (5.13).

    None when some site of the town has no scored self-assessment: the app does not have the town's
    results, and the village enters its rank with evidence instead. Equal scores share a rank.
    """
    village = session.get(Region, site.region_id)
    if village is None or village.parent_id is None:
        return None
    town_sites = session.exec(select(Site).join(Region, Site.region_id == Region.id)
                              .where(Region.parent_id == village.parent_id)).all()
    scores: dict[int, float] = {}
    for s in town_sites:
        latest = next((i for i in self_assessments(session=session, site=s) if i.score is not None), None)
        if latest is None:
            return None
        scores[s.id] = latest.score
    mine = scores[site.id]
    rank = 1 + sum(1 for v in scores.values() if v > mine)
    top = procedure().parameter("town-rank-top")
    return {"rank": rank, "total": len(scores), "computed": True, "holds": top.top_share_holds(rank, len(scores)),
            "basis": "全镇（街道）各村（社区）最近一次“红色地标”自评得分",
            "scores": sorted(scores.values(), reverse=True)}


def _entered_rank(rank: str, total: str, has_file: bool) -> tuple[dict[str, Any] | None, list[str]]:
    """The rank a village enters (with a file) when the app lacks the town's results."""
    top = procedure().parameter("town-rank-top")
    rank, total = (rank or "").strip(), (total or "").strip()
    if not (rank.isdigit() and total.isdigit() and 1 <= int(rank) <= int(total) <= 10_000):
        return None, [f"5.13 {top.wording}：本应用没有全镇（街道）各村（社区）的评定结果，请填写本村（社区）在镇（街道）的"
                      f"名次和参评村（社区）总数（002 篇五 5.13）"]
    if not has_file:
        return None, ["5.13 填写的名次须附证明材料（镇（街道）年度考核排名文件的照片或 PDF，002 篇五 5.13）"]
    r, n = int(rank), int(total)
    return {"rank": r, "total": n, "computed": False, "holds": top.top_share_holds(r, n),
            "basis": "申报村（社区）填报，附镇（街道）排名文件"}, []


# ---------------------------------------------------------------- 1. the village applies

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
    year = today.year
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
    problems = []
    if not leadership_ok:
        problems.append(f"不符合申报条件 4.2 a)：{CONDITIONS['a']}（002 篇五 4.2 a）")
    evidence = build_evidence(session=session, site=site)
    if evidence is None:
        problems.append("不符合申报条件 4.2 b)：村(社区)党群服务中心达到建设标准——没有已审核或已验收的"
                        "建设标准检查或竣工验收记录可作证明（002 篇五 4.2 b）")
    elif evidence.verdict != "pass":
        problems.append(f"不符合申报条件 4.2 b)：村(社区)党群服务中心达到建设标准——最近一次"
                        f"{LABELS.get(evidence.status)}的{LABELS.get(evidence.purpose)}（第 {evidence.id} 号）结论为"
                        f"“{VERDICT_LABELS.get(evidence.verdict or '', '未评分')}”（002 篇五 4.2 b）")
    if operating_since is None:
        problems.append("不符合申报条件 4.2 b)：请填写挂牌运行起始日期（挂牌运行1 年以上，002 篇五 4.2 b）")
    elif operating_since > today:
        problems.append(f"不符合申报条件 4.2 b)：挂牌运行起始日期 {operating_since} 晚于今天（002 篇五 4.2 b）")
    elif today < eligible_from(operating_since):
        problems.append(f"不符合申报条件 4.2 b)：挂牌运行1 年以上——自 {operating_since} 挂牌运行，"
                        f"到 {today} 不满 1 年，{eligible_from(operating_since)} 起方可申报（002 篇五 4.2 b）")
    if not no_major_incident:
        problems.append(f"不符合申报条件 4.2 c)：{CONDITIONS['c']}（002 篇五 4.2 c）")
    for key in ("a", "b", "c"):
        if not evidence_files.get(key):
            problems.append(f"4.2 {key}) 须附证明材料（照片或 PDF 文件），勾选声明不能代替证明（002 篇五 4.2 {key}）")
    rank = town_rank_of(session=session, site=site)
    if rank is None:
        entered, rank_problems = _entered_rank(town_rank, town_total, bool(evidence_files.get("rank")))
        problems += rank_problems
        rank = entered
    if problems:
        raise LandmarkError("；".join(problems))
    due = _calendar_due(calendar, today, step_days)
    stored = _store_evidence(evidence_files, site=site, by=by, media_root=media_root, created=created)
    application = RedLandmarkApplication(
        site_id=site.id, year=year, status="applied", self_assessment_id=sa.id, leadership_ok=True,
        build_standard_met=True, operating_since=operating_since, no_major_incident=True, applied_by_id=by.id,
        details={"build_evidence_id": evidence.id, "build_evidence_verdict": evidence.verdict,
                 "applied_on": today.isoformat(), "step_working_days": step_days, "evidence": stored,
                 "town_rank": rank})
    session.add(application)
    session.flush()
    _audit(session, application, by, "apply", after={"site": site.id, "year": year, "self_assessment": sa.id,
                                                     "build_evidence": evidence.id,
                                                     "operating_since": operating_since.isoformat()})
    _open(session, application, site, "township_recommend", due, by)
    return application


# ---------------------------------------------------------------- 2. township and county recommend

def township_recommend(*, session: Session, application: RedLandmarkApplication, report: str, by: User,
                       today: date, calendar: workdays.Calendar,
                       step_days: int = DEFAULT_STEP_WORKING_DAYS) -> RedLandmarkApplication:
    """The township recommends with its application report (7.2); the county step opens."""
    rights.require(by, "landmark_township_recommend")
    _expect(session, application, "township_recommend", what="由乡镇推荐")
    report = _text(report, "申请报告")
    due = _calendar_due(calendar, today, step_days)
    application.township_report = report
    application.details = {**(application.details or {}), "township_recommended_on": today.isoformat()}
    _close(session, application, "township_recommend", by, note="已推荐")
    _touch(application, session, "township_recommended")
    _audit(session, application, by, "township_recommend", after={"report": report[:200]})
    _open(session, application, session.get(Site, application.site_id), "county_recommend", due, by)
    return application


def county_queue(*, session: Session, region: Region, year: int) -> list[tuple[RedLandmarkApplication, Site]]:
    """The region's applications of a year waiting for the county's verification and recommendation (7.2)."""
    rows = search(session=session, region=region, year=year, status="township_recommended")
    return sorted(rows, key=lambda r: r[0].id)


@dataclass(frozen=True)
class Ranked:
    """The county's place for one application in its ranking, and whether it is recommended."""

    application_id: int
    rank: int
    recommend: bool


def county_rank(*, session: Session, region: Region, year: int, ranking: list[Ranked], opinion: str, by: User,
                today: date) -> list[RedLandmarkApplication]:
    """The county ranks every waiting application and recommends the best ones (7.2 择优推荐).

    Every application waiting in the county that year is ranked 1..n, each rank once; the recommended
    ones are the best-ranked (no unrecommended one ranks above a recommended one). Recommended
    applications go on to the city's receipt; the others end “县级未推荐”. Nothing is stored on a refusal.
    """
    rights.require(by, "landmark_county_recommend")
    queue = {a.id: a for a, _s in county_queue(session=session, region=region, year=year)}
    if not queue:
        raise StepOrder(f"{year} 年没有待县级推荐的申报")
    opinion = _text(opinion, "县级推荐意见（县级推荐材料）")
    given = {r.application_id: r for r in ranking}
    if set(given) != set(queue):
        missing = len(set(queue) - set(given))
        raise LandmarkError(f"请为全县 {len(queue)} 份待推荐申报逐一排序（缺 {missing} 份）：县级组织部门在全县范围内择优推荐"
                            f"（002 篇五 7.2）")
    ranks = sorted(r.rank for r in ranking)
    if ranks != list(range(1, len(queue) + 1)):
        raise LandmarkError(f"名次应为 1 至 {len(queue)}，每个名次一份")
    ordered = sorted(ranking, key=lambda r: r.rank)
    chosen = [r for r in ordered if r.recommend]
    if chosen and ordered[:len(chosen)] != chosen:
        raise LandmarkError("择优推荐：推荐的申报应是排名靠前的（未推荐的申报不能排在推荐的之前，002 篇五 7.2）")
    batch = [r.application_id for r in ordered]
    out = []
    for r in ordered:
        application = queue[r.application_id]
        _expect(session, application, "county_recommend", what="由县级推荐")
        details = {**(application.details or {}), "county_rank": {"rank": r.rank, "of": len(queue),
                                                                  "recommended": r.recommend, "batch": batch},
                   "county_recommended_on": today.isoformat()}
        application.details = details
        site = session.get(Site, application.site_id)
        if r.recommend:
            application.county_opinion = opinion
            _close(session, application, "county_recommend", by, outcome="recommended",
                   note=f"全县第 {r.rank} 名（共 {len(queue)} 份），择优推荐")
            _touch(application, session, "county_recommended")
            # No deadline in the sources for the city's receipt: the 30 days run from it (7.3).
            _open(session, application, site, "city_receive", None, by)
        else:
            application.decision_reason = f"全县第 {r.rank} 名（共 {len(queue)} 份），县级未择优推荐（002 篇五 7.2）"
            _close(session, application, "county_recommend", by, outcome="not_recommended",
                   note=f"全县第 {r.rank} 名（共 {len(queue)} 份），未推荐")
            _touch(application, session, "not_recommended")
        _audit(session, application, by, "county_recommend" if r.recommend else "county_not_recommended",
               after={"rank": r.rank, "of": len(queue), "recommended": r.recommend, "opinion": opinion[:200]})
        out.append(application)
    return out


# ---------------------------------------------------------------- 3. the city receives and reviews

def receive(*, session: Session, application: RedLandmarkApplication, received_on: date | None, by: User,
            today: date) -> RedLandmarkApplication:
    """The city records the day it received the county's application; the review is due 30 days later."""
    rights.require(by, "landmark_receive")
    _expect(session, application, "city_receive", what="登记收件")
    if received_on is None:
        raise LandmarkError("请填写收到县级推荐材料的日期")
    if received_on > today:
        raise LandmarkError(f"收件日期 {received_on} 晚于今天")
    sent = (application.details or {}).get("county_recommended_on")
    if sent and received_on < date.fromisoformat(sent):
        raise LandmarkError(f"收件日期 {received_on} 早于县级推荐日期 {sent}")
    # 002 篇五 7.3 “于 30 天内安排评审”: calendar days (天), not working days.
    due = received_on + timedelta(days=review_days())
    application.received_on = received_on
    application.review_due = due
    _close(session, application, "city_receive", by, note=f"收件 {received_on}")
    _touch(application, session, "under_review")
    _audit(session, application, by, "receive", after={"received_on": received_on.isoformat(),
                                                       "review_due": due.isoformat()})
    _open(session, application, session.get(Site, application.site_id), "city_review", due, by)
    return application


def start_evaluation(*, session: Session, application: RedLandmarkApplication, spec: ChecklistSpec, by: User,
                     position: Position | None = None, flags: list[dict] | None = None) -> Inspection:
    """Start the city's evaluation: a red-landmark inspection of this site, linked to the application."""
    rights.require(by, "landmark_start_evaluation")
    _expect(session, application, "city_review", what="开始评定检查")
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
    _touch(application, session)
    _audit(session, application, by, "start_evaluation", after={"evaluation": evaluation.id})
    return evaluation


def _issuer(session: Session, site: Site) -> tuple[str, str]:
    """(township + village names, the city organization department's name) for a site."""
    chain = regions.ancestry(session=session, region=session.get(Region, site.region_id))
    by_level = {r.level: r.name for r in chain}
    place = " ".join(n for n in (by_level.get("township"), by_level.get("village")) if n)
    city = by_level.get("city", "")
    return place, (f"中共{city}委组织部" if city else "市委组织部")


def notice_content(*, session: Session, application: RedLandmarkApplication, site: Site, evaluation: Inspection,
                   start: date, end: date, contact: str, meeting: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the result notice publishes (the notice content contract), fixed when posted."""
    place, issuer = _issuer(session, site)
    score = f"{evaluation.score:.1f} 分" if evaluation.score is not None else "—"
    return {
        "site": site.name,
        "region": place,
        "sections": [
            {"label": "站点", "value": site.name},
            {"label": "评定年度", "value": f"{application.year} 年度"},
            {"label": "评定结果", "value": "合格，拟命名为村(社区)党群服务中心“红色地标”"},
            {"label": "评定得分", "value": score},
            {"label": "评审单位", "value": issuer},
            *([{"label": "部务会审定", "value": f"{meeting['date']}（{meeting['minutes']}）"}] if meeting else []),
            {"label": "公示期", "value": f"{start.isoformat()} 至 {end.isoformat()}（{notice_working_days()} 个工作日）"},
        ],
        "body": (f"根据《徐州市村(社区)党群服务中心“红色地标”建设规范》7.4，现将评审结果予以公示，"
                 f"公示期为 {notice_working_days()} 个工作日（{start.isoformat()} 至 {end.isoformat()}）。"
                 f"如有异议，请在公示期内向{issuer}反映。公示期满后，以文件形式公布评审最终结果。"),
        "photos": [],
        "contact": contact,
        "issuer": issuer,
    }


def rank_problem(application: RedLandmarkApplication) -> str | None:
    """Why 5.13 is not met by the application's town rank, or None when it is (or was not recorded)."""
    rank = (application.details or {}).get("town_rank")
    if not rank or rank.get("holds", True):
        return None
    top = procedure().parameter("town-rank-top")
    how = "据全镇各村自评得分计算" if rank.get("computed") else "申报村填报"
    return (f"不符合 5.13 {top.wording}：全镇（街道）{rank['total']} 个村（社区）中列第 {rank['rank']} 名（{how}，"
            f"002 篇五 5.13）")


def record_result(*, session: Session, application: RedLandmarkApplication, by: User, today: date,
                  calendar: workdays.Calendar | None = None, notice_start: date | None = None,
                  contact: str = "") -> RedLandmarkApplication:
    """The city records the evaluation's result; a pass goes to the department meeting (部务会审定, 7.4).

    5.13 (the town ranking) binds too: a rank outside the top 30 % fails the result whatever the
    evaluation's verdict. Nothing is noticed here: the notice follows the meeting's decision.
    """
    rights.require(by, "landmark_record_result")
    _expect(session, application, "city_review", what="记录评审结果")
    evaluation = session.get(Inspection, application.evaluation_id) if application.evaluation_id else None
    if evaluation is None:
        raise StepOrder("还没有开始评定检查，请先开始评定检查并提交")
    if evaluation.status not in EVALUATION_DONE:
        raise StepOrder(f"评定检查{LABELS.get(evaluation.status, evaluation.status)}，提交后才能记录评审结果")
    ranking = rank_problem(application)
    passed = evaluation.verdict == "pass" and ranking is None
    site = session.get(Site, application.site_id)
    details = dict(application.details or {})
    details.update(result="pass" if passed else "fail", verdict=evaluation.verdict, score=evaluation.score,
                   result_on=today.isoformat(), result_reasons=[ranking] if ranking else [])
    application.details = details
    if passed:
        _close(session, application, "city_review", by, outcome="pass",
               note=f"评定合格（{evaluation.score:.1f} 分），报部务会审定" if evaluation.score is not None
               else "评定合格，报部务会审定")
        _touch(application, session, "meeting")
        _audit(session, application, by, "result", after={"result": "pass"})
        _open(session, application, site, "meeting", None, by)
    else:
        verdict = VERDICT_LABELS.get(evaluation.verdict or "", "未评分")
        _close(session, application, "city_review", by, outcome="fail",
               note=f"评定结论：{verdict}" + (f"；{ranking}" if ranking else ""))
        _touch(application, session, "failed")
        _audit(session, application, by, "result", after={"result": "fail", "verdict": evaluation.verdict,
                                                          "reasons": details["result_reasons"]})
        _open(session, application, site, "decision", None, by)
    return application


def record_meeting(*, session: Session, application: RedLandmarkApplication, meeting_date: date | None,
                   minutes_number: str, approve: bool, reason: str, notice_start: date | None, contact: str,
                   by: User, today: date, calendar: workdays.Calendar) -> RedLandmarkApplication:
    """The department meeting's decision (部务会审定: date, minutes number); approved → the 7-working-day notice.

    7.4 “评审结果报部务会审定后进行公示”: the notice cannot start before the meeting's date.
    """
    rights.require(by, "landmark_meeting")
    _expect(session, application, "meeting", what="登记部务会审定结果")
    if meeting_date is None:
        raise LandmarkError("请填写部务会审定日期（002 篇五 7.4：评审结果报部务会审定后进行公示）")
    if meeting_date > today:
        raise LandmarkError(f"部务会日期 {meeting_date} 晚于今天")
    if application.received_on and meeting_date < application.received_on:
        raise LandmarkError(f"部务会日期 {meeting_date} 早于收件日期 {application.received_on}")
    minutes = _text(minutes_number, "部务会纪要号", 80)
    meeting = {"date": meeting_date.isoformat(), "minutes": minutes, "approved": approve}
    site = session.get(Site, application.site_id)
    if not approve:
        reason = _text(reason, "部务会未通过的理由", 2000)
        meeting["reason"] = reason
        application.details = {**(application.details or {}), "meeting": meeting}
        application.decision_reason = reason
        _close(session, application, "meeting", by, outcome="refused", note=f"部务会（{minutes}，{meeting_date}）未通过：{reason[:150]}")
        _touch(application, session, "refused")
        _audit(session, application, by, "meeting", after=meeting)
        return application
    start = notice_start or today
    if start < meeting_date:
        raise LandmarkError(f"公示开始日期 {start} 早于部务会审定日期 {meeting_date}：审定后方可公示（002 篇五 7.4）")
    evaluation = session.get(Inspection, application.evaluation_id)
    contact = (contact or "").strip()[:200]
    try:
        end = calendar.period_end(start, notice_working_days())
        content = notice_content(session=session, application=application, site=site, evaluation=evaluation,
                                 start=start, end=end, contact=contact, meeting=meeting)
        notice = notices.post(session=session, kind=NOTICE_KIND, site=site, subject_id=application.id,
                              title=f"{site.name}“红色地标”评定结果公示", content=content, start=start,
                              working_days=notice_working_days(), calendar=calendar, by=by)
    except workdays.CalendarUnknown as exc:
        raise LandmarkError(str(exc)) from None
    except notices.NoticeError as exc:
        raise LandmarkError(str(exc)) from None
    application.notice_id = notice.id
    application.details = {**(application.details or {}), "meeting": meeting}
    _close(session, application, "meeting", by, outcome="approved", note=f"部务会审定（{minutes}，{meeting_date}）")
    _touch(application, session, "noticed")
    _audit(session, application, by, "meeting", after={**meeting, "notice": notice.id, "start": start.isoformat(),
                                                       "end": notice.end_date.isoformat()})
    # Due on the last day of the posting period: the city decides after it (7.4); recounted with the notice.
    _open(session, application, site, "notice", calendar.deadline(start, notice_working_days(), "period"), by)
    return application


# ---------------------------------------------------------------- objections during the notice

def _notice_step(session: Session, application: RedLandmarkApplication, what: str) -> Notice:
    """The application's notice while it is the open step."""
    _expect(session, application, "notice", what=what)
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
    _touch(application, session)
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
    _touch(application, session)
    return objection


# ---------------------------------------------------------------- the decision, and revocation (4.3)

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
    _close(session, application, "notice", by, outcome="awarded", note=f"{number}（{award_date}）")
    _touch(application, session, "awarded")
    _audit(session, application, by, "award", after={"number": number, "date": award_date.isoformat()})
    return application


def refuse(*, session: Session, application: RedLandmarkApplication, reason: str, by: User,
           today: date) -> RedLandmarkApplication:
    """Refuse the title, with the reason (after a failed evaluation, or after the notice)."""
    rights.require(by, "landmark_refuse")
    step = _expect(session, application, "notice", "decision", what="作出不予命名决定")
    reason = _text(reason, "不予命名的理由", 2000)
    application.decision_reason = reason
    _close(session, application, step.step, by, outcome="refused", note=reason[:200])
    _touch(application, session, "refused")
    details = dict(application.details or {})
    details["refused_on"] = today.isoformat()
    application.details = details
    _audit(session, application, by, "refuse", after={"reason": reason[:200]})
    return application


def revoke(*, session: Session, application: RedLandmarkApplication, reason: str, revoked_on: date | None,
           by: User, today: date) -> RedLandmarkApplication:
    """Revoke an awarded title (4.3: 工作明显滑坡、被群众举报或上级批评…产生不良社会影响)."""
    rights.require(by, "landmark_revoke")
    if application.status != "awarded":
        raise StepOrder(f"只有已命名的才能取消命名（当前：{status_label(application.status)}）")
    reason = _text(reason, "取消命名的理由", 2000)
    revoked_on = revoked_on or today
    if revoked_on > today:
        raise LandmarkError(f"取消日期 {revoked_on} 晚于今天")
    if application.award_date and revoked_on < application.award_date:
        raise LandmarkError(f"取消日期 {revoked_on} 早于命名日期 {application.award_date}")
    application.revoked_on = revoked_on
    application.decision_reason = reason
    site = session.get(Site, application.site_id)
    _open(session, application, site, "revoke", None, by)
    _close(session, application, "revoke", by, outcome="revoked", note=reason[:200])
    _touch(application, session, "revoked")
    _audit(session, application, by, "revoke", after={"reason": reason[:200], "date": revoked_on.isoformat()})
    return application


# ---------------------------------------------------------------- what a page shows

STEPS = {  # a page's action -> the steps it belongs to; who may is rights.ACTIONS["landmark_" + action]
    "township_recommend": ("township_recommend",),
    "county_recommend": ("county_recommend",),
    "receive": ("city_receive",),
    "start_evaluation": ("city_review",),
    "record_result": ("city_review",),
    "meeting": ("meeting",),
    "objection": ("notice",),
    "award": ("notice",),
    "refuse": ("notice", "decision"),
}


def available(*, application: RedLandmarkApplication, current: ProgramStep | None, user: User) -> set[str]:
    """The actions this user may take on the application now (for showing forms; services decide)."""
    out = {a for a, steps in STEPS.items()
           if current is not None and current.step in steps and rights.can(user, "landmark_" + a)}
    if application.status == "awarded" and rights.can(user, "landmark_revoke"):
        out.add("revoke")
    return out


@dataclass
class TimelineRow:
    """One step as a page shows it."""

    step: ProgramStep
    label: str
    owner: str
    done_by: str
    countdown: programs.Countdown | None


@dataclass
class Dossier:
    """Everything the application's page shows."""

    application: RedLandmarkApplication
    site: Site
    place: str
    timeline: list[TimelineRow]
    current: ProgramStep | None
    self_assessment: Inspection | None
    build_evidence: Inspection | None
    evaluation: Inspection | None
    notice: Notice | None
    objections: list[Objection]
    applicant: str
    today: date

    @property
    def notice_ended(self) -> bool:
        """Whether the notice's posting period is over."""
        return self.notice is not None and notices.has_ended(self.notice, self.today)

    @property
    def open_objections(self) -> int:
        """Objections still waiting for a resolution."""
        return sum(1 for o in self.objections if not o.resolution)


def dossier(*, session: Session, application: RedLandmarkApplication, today: date) -> Dossier:
    """The application with its steps (countdowns as of today), evidence, evaluation, notice, objections."""
    site = session.get(Site, application.site_id)
    steps = programs.history(session=session, program=PROGRAM, program_id=application.id)
    user_ids = {s.done_by_id for s in steps if s.done_by_id} | {application.applied_by_id}
    names = {u.id: u.display_name for u in session.exec(select(User).where(User.id.in_(user_ids)))}
    timeline = [TimelineRow(s, step_label(s.step), ROLE_LABELS.get(s.owner_role, s.owner_role),
                            names.get(s.done_by_id, ""),
                            programs.countdown(s.due_date, today) if s.done_at is None else None) for s in steps]
    current = next((s for s in reversed(steps) if s.done_at is None), None)
    notice = notice_of(session=session, application=application)
    evidence_id = (application.details or {}).get("build_evidence_id")
    place, _issuer_name = _issuer(session, site)
    return Dossier(application=application, site=site, place=place, timeline=timeline, current=current,
                   self_assessment=session.get(Inspection, application.self_assessment_id),
                   build_evidence=session.get(Inspection, evidence_id) if evidence_id else None,
                   evaluation=(session.get(Inspection, application.evaluation_id)
                               if application.evaluation_id else None),
                   notice=notice, objections=notices.objections_of(session=session, notice=notice) if notice else [],
                   applicant=names.get(application.applied_by_id, ""), today=today)


@dataclass
class DueRow:
    """An open step with a due date, with what it is about."""

    step: ProgramStep
    countdown: programs.Countdown
    program_label: str
    subject: str
    label: str
    owner: str


def due(*, session: Session, region: Region, today: date) -> list[DueRow]:
    """Open steps of both programs with a due date in the region: overdue first, then soonest."""
    from ..models import MicroProject
    rows = programs.due_steps(session=session, region=region, today=today)
    red_ids = {s.program_id for s, _c in rows if s.program == PROGRAM}
    micro_ids = {s.program_id for s, _c in rows if s.program == "micro_project"}
    red = {a.id: a for a in session.exec(select(RedLandmarkApplication)
                                         .where(RedLandmarkApplication.id.in_(red_ids)))} if red_ids else {}
    micro = {m.id: m for m in session.exec(select(MicroProject).where(MicroProject.id.in_(micro_ids)))} \
        if micro_ids else {}
    site_ids = {a.site_id for a in red.values()} | {m.site_id for m in micro.values()}
    sites = {s.id: s.name for s in session.exec(select(Site).where(Site.id.in_(site_ids)))} if site_ids else {}
    out = []
    for s, c in rows:
        if s.program == PROGRAM:
            a = red.get(s.program_id)
            subject = f"{sites.get(a.site_id, '')}（{a.year} 年）" if a else f"第 {s.program_id} 号申报"
            out.append(DueRow(s, c, "红色地标", subject, step_label(s.step), ROLE_LABELS.get(s.owner_role, s.owner_role)))
        else:
            m = micro.get(s.program_id)
            subject = f"{sites.get(m.site_id, '')} · {m.name}" if m else f"第 {s.program_id} 号项目"
            step = _micro_step(m, s.step)
            out.append(DueRow(s, c, "微实事", subject, step.label if step else s.step,
                              ROLE_LABELS.get(s.owner_role, s.owner_role)))
    out.sort(key=lambda r: (not r.countdown.overdue, r.countdown.days_left, r.step.id))
    return out


def _micro_step(project, step_id: str):
    """A micro project's route step by id (None when unknown)."""
    from . import micro
    if project is None:
        return None
    try:
        return micro.route_of(project).step(step_id)
    except micro.MicroError:
        return None
