"""Party–mass service projects (seed 003), a project's record up to its application: the needs survey,
design, township review, the plan notice through the notices service, the running rule, the summary
report and the application. Its activities are in service_project_activities, the district's evaluation,
library, rota and quotas in service_project_library.

Every read and write is scoped to the user's region (a project outside it does not exist for them).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session, select

from ..core import service_projects as core
from ..core.errors import DomainError
from ..core.ledger import Invalid, parse_date
from ..core.workdays import Calendar, CalendarUnknown
from ..models import Notice, Region, ServiceProject, ServiceProjectActivity, Site, User, utcnow
from . import audit, notices, rights, scope

# The plan notice is a notice like the others (notices.post checks the minimum and computes the end).
notices.KINDS.setdefault(core.NOTICE_KIND, (core.NOTICE_TITLE, core.NOTICE_MIN_DAYS))  # 003 三（二）
CHECKLIST = "service-project"


class ProjectError(DomainError):
    """An action refused now (wrong status, rule not met): answered 409 with the reason."""

    status = 409


def text_field(form: Mapping[str, str], key: str, size: int) -> str:
    """A stripped form field, cut to the column's size."""
    return (form.get(key) or "").strip()[:size]


def check_step(project: ServiceProject, action: str) -> None:
    """ProjectError unless the project's status allows the action."""
    try:
        core.check_transition(action, project.status)
    except core.TransitionError as exc:
        raise ProjectError(str(exc)) from None


def record_step(session: Session, project: ServiceProject, status: str | None, by: User, action: str,
                after: dict) -> None:
    """Move to a status (None: keep it) and audit the action."""
    before = project.status
    if status:
        project.status = status
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, user_id=by.id, action=action, entity="serviceproject", entity_id=project.id,
                 before={"status": before}, after={"status": project.status, **after})


def get(*, session: Session, user: User, project_id: int) -> ServiceProject | None:
    """A project of the user's region, or None."""
    found = session.get(ServiceProject, project_id)
    if found is None or not scope.covers(session=session, user=user, region_id=found.region_id):
        return None
    return found


def listing(*, session: Session, user: User, year: int | None = None) -> list[tuple[ServiceProject, Region]]:
    """The region's projects with their community or township, newest first."""
    mine = scope.region_of(session=session, user=user)
    q = (select(ServiceProject, Region).join(Region, Region.id == ServiceProject.region_id)
         .where(Region.path.startswith(mine.path)))
    if year:
        q = q.where(ServiceProject.year == year)
    return list(session.exec(q.order_by(ServiceProject.year.desc(), ServiceProject.id.desc())))


def community_sites(*, session: Session, user: User) -> list[Site]:
    """Community centers in the user's region (where projects are run and their plans posted)."""
    mine = scope.region_of(session=session, user=user)
    return list(session.exec(select(Site).join(Region, Region.id == Site.region_id)
                             .where(Region.path.startswith(mine.path), Site.site_type == "community")
                             .order_by(Site.name)))


def township_of(session: Session, region: Region) -> Region | None:
    """The township a region lies in (or is)."""
    if region.level == "township":
        return region
    parent = session.get(Region, region.parent_id) if region.parent_id else None
    return parent if parent is not None and parent.level == "township" else None


def names(*, session: Session, project: ServiceProject) -> tuple[str, str]:
    """(township, community or '') of a project."""
    region = session.get(Region, project.region_id)
    if project.level == "township":
        return region.name, ""
    town = township_of(session, region)
    return (town.name if town else ""), region.name


def create(*, session: Session, user: User, form: Mapping[str, str], today: date) -> ServiceProject:
    """Start a project with its needs survey (三（一）): level, community, name, how needs were gathered, summary."""
    rights.require(user, "projects_edit")
    p: list[str] = []
    level = form.get("level") or "community"
    if level not in core.LEVELS:
        p.append("项目层级应为社区或镇街级")
    raw_site = form.get("site_id") or ""
    site = scope.site(session=session, user=user, site_id=int(raw_site)) if raw_site.isdigit() else None
    if site is None or site.site_type != "community":
        p.append("请选择本辖区的社区（项目在社区实施、计划在社区公示）")
    name = text_field(form, "name", 200)
    if not name:
        p.append("请填写项目名称")
    ways = [w for w in (form.getlist("survey_ways") if hasattr(form, "getlist") else []) if w]
    source = "、".join(ways + ([text_field(form, "survey_other", 200)] if text_field(form, "survey_other", 200) else []))
    if not source:
        p.append("请填写需求调研方式（线上征集意见、网格员入户走访、召开党员居民会议等）")
    summary = text_field(form, "survey_summary", 4000)
    if not summary:
        p.append("请填写调研形成的党员群众服务需求")
    if p:
        raise Invalid(p)
    region = session.get(Region, site.region_id)
    if level == "township":
        town = township_of(session, region)
        if town is None:
            raise Invalid(["该社区不在任何镇街之下，无法登记镇街级项目"])
        region = town
    project = ServiceProject(region_id=region.id, site_id=site.id, level=level, year=today.year, name=name,
                             survey_source=source[:400], survey_summary=summary,
                             fixed_place=form.get("fixed_place", "1") != "0", created_by_id=user.id)
    session.add(project)
    session.flush()
    record_step(session, project, None, user, "create", {"name": name, "level": level})
    return project


def design(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User) -> ServiceProject:
    """The project's design (三（二）：分类制定有针对性的服务项目), and whether it runs at a center."""
    rights.require(by, "projects_edit")
    check_step(project, "design")
    text = text_field(form, "design", 4000)
    if not text:
        raise Invalid(["请填写项目设计（服务对象、内容、形式、党组织和党员如何发挥作用）"])
    project.design = text
    project.fixed_place = form.get("fixed_place", "1") != "0"
    record_step(session, project, "designed", by, "design", {"fixed_place": project.fixed_place})
    return project


def review(*, session: Session, project: ServiceProject, approve: bool, opinion: str, partner: str, by: User,
           today: date) -> ServiceProject:
    """The township's review with a professional social organization (三（二）：立项评审和优化指导)."""
    rights.require(by, "projects_review")
    check_step(project, "review")
    opinion, partner = (opinion or "").strip()[:2000], (partner or "").strip()[:200]
    p = []
    if not opinion:
        p.append("请填写评审意见")
    if not partner:
        p.append("请填写参与评审的专业型社会组织（镇街党（工）委联合专业型社会组织进行立项评审）")
    if p:
        raise Invalid(p)
    project.review = {"approved": approve, "opinion": opinion, "partner": partner, "by": by.display_name,
                      "on": today.isoformat()}
    record_step(session, project, "approved" if approve else "rejected", by, "review", {"approved": approve})
    return project


def notice_of(*, session: Session, project: ServiceProject) -> Notice | None:
    """The project's plan notice, if posted."""
    return session.get(Notice, project.notice_id) if project.notice_id else None


def _notice_dates(form: Mapping[str, str], today: date) -> tuple[date, int]:
    """The notice's first day and its working days (≥ 5, 三（二）); Invalid with every problem."""
    p: list[str] = []
    try:
        start = parse_date(form.get("start"), "公示开始日期") or today
    except ValueError as exc:
        p.append(str(exc))
        start = today
    if start < today:
        p.append(f"公示开始日期 {start} 早于今天")
    raw = (form.get("working_days") or str(core.NOTICE_MIN_DAYS)).strip()
    days = int(raw) if raw.isdigit() else 0
    if days < core.NOTICE_MIN_DAYS:
        p.append(f"公示时间不少于{core.NOTICE_MIN_DAYS}个工作日，填写的是 {raw}（{core.SRC_DESIGN}）")
    if p:
        raise Invalid(p)
    return start, days


def _notice_content(session: Session, project: ServiceProject, site: Site, form: Mapping[str, str]) -> dict:
    """What the plan notice shows: the project's record so far, the body, contact and issuer."""
    township, community = names(session=session, project=project)
    return {"site": site.name, "region": f"{township} {community}".strip(),
            "sections": [{"label": "项目名称", "value": project.name},
                         {"label": "项目层级", "value": core.LEVELS[project.level]},
                         {"label": "服务需求", "value": project.survey_summary},
                         {"label": "项目计划", "value": project.design},
                         {"label": "实施方式", "value": "依托党群服务中心常态化开展" if project.fixed_place
                          else "无固定场所的服务活动"},
                         {"label": "立项评审", "value": (project.review or {}).get("opinion", "")}],
            "body": text_field(form, "body", 2000), "photos": [], "contact": text_field(form, "contact", 200),
            "issuer": text_field(form, "issuer", 100) or f"{community or township}党组织"}


def post_notice(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User, today: date,
                calendar: Calendar) -> Notice:
    """Post the plan in the community for ≥ 5 working days (三（二）), through the notices service."""
    rights.require(by, "projects_edit")
    check_step(project, "notice")
    start, days = _notice_dates(form, today)
    site = session.get(Site, project.site_id)
    try:
        notice = notices.post(session=session, kind=core.NOTICE_KIND, site=site, subject_id=project.id,
                              title=f"{project.name} 项目计划公示", content=_notice_content(session, project, site, form),
                              start=start, working_days=days, calendar=calendar, by=by)
    except notices.NoticeError as exc:
        raise Invalid([str(exc)]) from None
    except CalendarUnknown as exc:
        raise ProjectError(f"无法计算公示截止日期：{exc}") from None
    project.notice_id = notice.id
    record_step(session, project, "noticed", by, "notice", {"notice": notice.id, "end": notice.end_date.isoformat()})
    return notice


def activities_of(*, session: Session, project: ServiceProject) -> list[ServiceProjectActivity]:
    """The project's activities, oldest first."""
    return list(session.exec(select(ServiceProjectActivity).where(ServiceProjectActivity.project_id == project.id)
                             .order_by(ServiceProjectActivity.on, ServiceProjectActivity.id)))


def running(*, session: Session, project: ServiceProject, today: date) -> core.Running:
    """The running rule now (三（三）)."""
    return core.running_rule(fixed_place=project.fixed_place,
                             activity_dates=[a.on for a in activities_of(session=session, project=project)],
                             as_of=today)


def summarize(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User,
              today: date) -> dict:
    """The summary report, its implementation part generated from the activity records (三（四）)."""
    rights.require(by, "projects_edit")
    check_step(project, "summarize")
    results = text_field(form, "results", 4000)
    if not results:
        raise Invalid(["请填写成果经验"])
    site = session.get(Site, project.site_id)
    acts = [{"on": a.on.isoformat(), "place": a.place, "participants": a.participants, "note": a.note}
            for a in activities_of(session=session, project=project)]
    if not acts:
        raise Invalid(["还没有活动记录，无法形成总结报告"])
    project.summary = {**core.summary_report(name=project.name, level=project.level, place=site.name,
                                             survey_source=project.survey_source,
                                             survey_summary=project.survey_summary, design=project.design,
                                             activities=acts, overview=text_field(form, "overview", 4000),
                                             results=results), "on": today.isoformat(), "by": by.display_name}
    record_step(session, project, "summarized", by, "summarize", {"activities": len(acts)})
    return project.summary


def applied_count(*, session: Session, project: ServiceProject, exclude: int | None = None) -> int:
    """How many projects of the same community (or township, at its level) and year have been put up."""
    q = select(ServiceProject.id).where(ServiceProject.region_id == project.region_id,
                                        ServiceProject.year == project.year,
                                        ServiceProject.level == project.level,
                                        ServiceProject.status.in_(("applied", "selected", "not_selected")))
    return len([i for i in session.exec(q) if i != exclude])


def apply(*, session: Session, project: ServiceProject, by: User, today: date) -> ServiceProject:
    """Put the project up for the district's evaluation: only when the running rule holds (三（三）), and at
    most 2 new projects per community and year (四（一）)."""
    rights.require(by, "projects_edit")
    check_step(project, "apply")
    rule = running(session=session, project=project, today=today)
    if not rule.met:
        raise ProjectError(f"尚不能申报评选：{rule.words}（{rule.source}）")
    if project.level == "community":
        n = applied_count(session=session, project=project, exclude=project.id)
        if n >= core.COMMUNITY_QUOTA[1]:
            raise ProjectError(f"本社区 {project.year} 年已申报 {n} 个项目（每个社区新培育申报1—2个，{core.SRC_QUOTA}）")
    record_step(session, project, "applied", by, "apply", {"running": rule.words})
    return project
