"""Party–mass service projects (seed 003): records per community or township, the plan notice through the
notices service, activities, the summary report, district evaluation, the library and its monthly rota.

Every read and write is scoped to the user's region (a project outside it does not exist for them).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..core import photos as photo_core
from ..core import service_projects as core
from ..core.checklist import ChecklistSpec
from ..core.ledger import parse_date
from ..core.workdays import Calendar, CalendarUnknown
from ..models import Inspection, Notice, ProjectRota, Region, ServiceProject, ServiceProjectActivity, Site, User, utcnow
from . import audit, inspections, notices, rights, scope

# The plan notice is a notice like the others (notices.post checks the minimum and computes the end).
notices.KINDS.setdefault(core.NOTICE_KIND, (core.NOTICE_TITLE, core.NOTICE_MIN_DAYS))  # 003 三（二）
CHECKLIST = "service-project"


class ProjectError(ValueError):
    """An action refused now (wrong status, rule not met): answered 409 with the reason."""


class Invalid(ValueError):
    """A form with problems (422 with every problem); nothing stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；".join(problems))


@dataclass(frozen=True)
class Upload:
    """A photo file from a form."""

    filename: str
    data: bytes


def _text(form: Mapping[str, str], key: str, size: int) -> str:
    """A stripped form field, cut to the column's size."""
    return (form.get(key) or "").strip()[:size]


def _step(project: ServiceProject, action: str) -> None:
    """ProjectError unless the project's status allows the action."""
    try:
        core.check_transition(action, project.status)
    except core.TransitionError as exc:
        raise ProjectError(str(exc)) from None


def _set(session: Session, project: ServiceProject, status: str | None, by: User, action: str, after: dict) -> None:
    """Move to a status (None: keep it) and audit the action."""
    before = project.status
    if status:
        project.status = status
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, user_id=by.id, action=action, entity="serviceproject", entity_id=project.id,
                 before={"status": before}, after={"status": project.status, **after})


# ---------------------------------------------------------------- scope


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


def _township_of(session: Session, region: Region) -> Region | None:
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
    town = _township_of(session, region)
    return (town.name if town else ""), region.name


# ---------------------------------------------------------------- survey, design, review


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
    name = _text(form, "name", 200)
    if not name:
        p.append("请填写项目名称")
    ways = [w for w in (form.getlist("survey_ways") if hasattr(form, "getlist") else []) if w]
    source = "、".join(ways + ([_text(form, "survey_other", 200)] if _text(form, "survey_other", 200) else []))
    if not source:
        p.append("请填写需求调研方式（线上征集意见、网格员入户走访、召开党员居民会议等）")
    summary = _text(form, "survey_summary", 4000)
    if not summary:
        p.append("请填写调研形成的党员群众服务需求")
    if p:
        raise Invalid(p)
    region = session.get(Region, site.region_id)
    if level == "township":
        town = _township_of(session, region)
        if town is None:
            raise Invalid(["该社区不在任何镇街之下，无法登记镇街级项目"])
        region = town
    project = ServiceProject(region_id=region.id, site_id=site.id, level=level, year=today.year, name=name,
                             survey_source=source[:400], survey_summary=summary,
                             fixed_place=form.get("fixed_place", "1") != "0", created_by_id=user.id)
    session.add(project)
    session.flush()
    _set(session, project, None, user, "create", {"name": name, "level": level})
    return project


def design(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User) -> ServiceProject:
    """The project's design (三（二）：分类制定有针对性的服务项目), and whether it runs at a center."""
    rights.require(by, "projects_edit")
    _step(project, "design")
    text = _text(form, "design", 4000)
    if not text:
        raise Invalid(["请填写项目设计（服务对象、内容、形式、党组织和党员如何发挥作用）"])
    project.design = text
    project.fixed_place = form.get("fixed_place", "1") != "0"
    _set(session, project, "designed", by, "design", {"fixed_place": project.fixed_place})
    return project


def review(*, session: Session, project: ServiceProject, approve: bool, opinion: str, partner: str, by: User,
           today: date) -> ServiceProject:
    """The township's review with a professional social organization (三（二）：立项评审和优化指导)."""
    rights.require(by, "projects_review")
    _step(project, "review")
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
    _set(session, project, "approved" if approve else "rejected", by, "review", {"approved": approve})
    return project


# ---------------------------------------------------------------- plan notice


def notice_of(*, session: Session, project: ServiceProject) -> Notice | None:
    """The project's plan notice, if posted."""
    return session.get(Notice, project.notice_id) if project.notice_id else None


def post_notice(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User, today: date,
                calendar: Calendar) -> Notice:
    """Post the plan in the community for ≥ 5 working days (三（二）), through the notices service."""
    rights.require(by, "projects_edit")
    _step(project, "notice")
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
    site = session.get(Site, project.site_id)
    township, community = names(session=session, project=project)
    content = {"site": site.name, "region": f"{township} {community}".strip(),
               "sections": [{"label": "项目名称", "value": project.name},
                            {"label": "项目层级", "value": core.LEVELS[project.level]},
                            {"label": "服务需求", "value": project.survey_summary},
                            {"label": "项目计划", "value": project.design},
                            {"label": "实施方式", "value": "依托党群服务中心常态化开展" if project.fixed_place
                             else "无固定场所的服务活动"},
                            {"label": "立项评审", "value": (project.review or {}).get("opinion", "")}],
               "body": _text(form, "body", 2000), "photos": [],
               "contact": _text(form, "contact", 200), "issuer": _text(form, "issuer", 100) or f"{community or township}党组织"}
    try:
        notice = notices.post(session=session, kind=core.NOTICE_KIND, site=site, subject_id=project.id,
                              title=f"{project.name} 项目计划公示", content=content, start=start, working_days=days,
                              calendar=calendar, by=by)
    except notices.NoticeError as exc:
        raise Invalid([str(exc)]) from None
    except CalendarUnknown as exc:
        raise ProjectError(f"无法计算公示截止日期：{exc}") from None
    project.notice_id = notice.id
    _set(session, project, "noticed", by, "notice", {"notice": notice.id, "end": notice.end_date.isoformat()})
    return notice


# ---------------------------------------------------------------- activities, summary, application


def activities_of(*, session: Session, project: ServiceProject) -> list[ServiceProjectActivity]:
    """The project's activities, oldest first."""
    return list(session.exec(select(ServiceProjectActivity).where(ServiceProjectActivity.project_id == project.id)
                             .order_by(ServiceProjectActivity.on, ServiceProjectActivity.id)))


def add_activity(*, session: Session, project: ServiceProject, form: Mapping[str, str], photos: list[Upload],
                 by: User, today: date, media_root: Path,
                 max_bytes: int = 25 * 1024 * 1024) -> tuple[ServiceProjectActivity, tuple[str, ...]]:
    """Record an activity (date, place, participants, photos) after the plan notice has ended."""
    rights.require(by, "projects_edit")
    _step(project, "activity")
    notice = notice_of(session=session, project=project)
    p: list[str] = []
    try:
        on = parse_date(form.get("on"), "活动日期")
    except ValueError as exc:
        on = None
        p.append(str(exc))
    if on is None and not p:
        p.append("请填写活动日期")
    if on is not None and on > today:
        p.append(f"活动日期 {on} 晚于今天")
    if on is not None and notice is not None and on <= notice.end_date:
        p.append(f"项目计划公示至 {notice.end_date}，公示期满后才能实施（{core.SRC_DESIGN}）")
    place = _text(form, "place", 200)
    if not place:
        p.append("请填写活动地点")
    raw = (form.get("participants") or "").strip()
    if not raw.isdigit():
        p.append("参与人数应为整数")
    if p:
        raise Invalid(p)
    created: list[str] = []
    stored: list[dict[str, Any]] = []
    site = session.get(Site, project.site_id)
    try:
        for up in photos:
            mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None, accuracy_m=None,
                                        inspector=by.display_name)
            try:
                saved = photo_core.ingest(up.data, media_root=media_root, watermark=mark, max_bytes=max_bytes)
            except photo_core.PhotoError as exc:
                raise Invalid([f"{up.filename or '照片'}：{exc.reason}"]) from None
            created += saved.created
            stored.append({"display": saved.display, "thumb": saved.thumb, "original": saved.original,
                           "sha256": saved.sha256})
    except BaseException:
        photo_core.remove(media_root, created)
        raise
    row = ServiceProjectActivity(project_id=project.id, on=on, place=place, participants=int(raw),
                                 note=_text(form, "note", 2000), photos=stored, by_id=by.id)
    session.add(row)
    if project.running_since is None or on < project.running_since:
        project.running_since = on
    session.flush()
    _set(session, project, "running" if project.status == "noticed" else None, by, "activity",
         {"activity": row.id, "on": on.isoformat(), "photos": len(stored)})
    return row, tuple(created)


def running(*, session: Session, project: ServiceProject, today: date) -> core.Running:
    """The running rule now (三（三）)."""
    return core.running_rule(fixed_place=project.fixed_place,
                             activity_dates=[a.on for a in activities_of(session=session, project=project)],
                             as_of=today)


def summarize(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User,
              today: date) -> dict:
    """The summary report, its implementation part generated from the activity records (三（四）)."""
    rights.require(by, "projects_edit")
    _step(project, "summarize")
    results = _text(form, "results", 4000)
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
                                             activities=acts, overview=_text(form, "overview", 4000),
                                             results=results), "on": today.isoformat(), "by": by.display_name}
    _set(session, project, "summarized", by, "summarize", {"activities": len(acts)})
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
    _step(project, "apply")
    rule = running(session=session, project=project, today=today)
    if not rule.met:
        raise ProjectError(f"尚不能申报评选：{rule.words}（{rule.source}）")
    if project.level == "community":
        n = applied_count(session=session, project=project, exclude=project.id)
        if n >= core.COMMUNITY_QUOTA[1]:
            raise ProjectError(f"本社区 {project.year} 年已申报 {n} 个项目（每个社区新培育申报1—2个，{core.SRC_QUOTA}）")
    _set(session, project, "applied", by, "apply", {"running": rule.words})
    return project


# ---------------------------------------------------------------- district evaluation and library


def site_visit(*, session: Session, project: ServiceProject) -> Inspection | None:
    """The evaluation's site-visit inspection, if started."""
    return session.get(Inspection, project.site_visit_id) if project.site_visit_id else None


def start_site_visit(*, session: Session, project: ServiceProject, spec: ChecklistSpec, by: User) -> Inspection:
    """Start the site visit (实地考察) with the service-project checklist at the project's community."""
    rights.require(by, "start", "inspection")
    if project.status != "applied":
        raise ProjectError("项目申报评选后才能实地考察")
    if site_visit(session=session, project=project) is not None:
        raise ProjectError("本项目已开始实地考察")
    site = session.get(Site, project.site_id)
    inspection = inspections.start(session=session, site=site, spec=spec, purpose="inspection", tier=None, by=by)
    project.site_visit_id = inspection.id
    _set(session, project, None, by, "site_visit", {"inspection": inspection.id})
    return inspection


def _count(form: Mapping[str, str], key: str, label: str, p: list[str]) -> int:
    """A whole number ≥ 0 from the form, or a problem."""
    raw = (form.get(key) or "").strip()
    if not raw.isdigit():
        p.append(f"{label}应为整数")
        return 0
    return int(raw)


def evaluate(*, session: Session, project: ServiceProject, form: Mapping[str, str], by: User,
             today: date) -> ServiceProject:
    """The county's evaluation (三（四）): the submitted site visit, democratic appraisal (votes counted),
    questionnaire satisfaction, and the decision; a selected project enters the district library."""
    rights.require(by, "projects_evaluate")
    _step(project, "evaluate")
    visit = site_visit(session=session, project=project)
    p: list[str] = []
    if visit is None or visit.status == "draft":
        p.append("请先完成并提交实地考察")
    votes = [_count(form, k, w, p) for k, w in (("votes_for", "赞成票"), ("votes_against", "反对票"),
                                                 ("abstain", "弃权票"))]
    respondents = _count(form, "respondents", "问卷回收份数", p)
    satisfied = _count(form, "satisfied", "满意份数", p)
    if respondents and satisfied > respondents:
        p.append(f"满意份数（{satisfied}）不能多于回收份数（{respondents}）")
    if not respondents:
        p.append("问卷回收份数应大于 0")
    if not sum(votes):
        p.append("请填写民主评议票数")
    decision = form.get("decision")
    if decision not in ("select", "reject"):
        p.append("请选择是否评选为区级优质党群服务项目")
    opinion = _text(form, "opinion", 2000)
    if not opinion:
        p.append("请填写综合分析研判意见（项目实施情况、目标实现情况及项目影响力）")
    if p:
        raise Invalid(p)
    project.evaluation = {"site_visit": visit.id, "site_visit_score": visit.score, "site_visit_verdict": visit.verdict,
                          "votes_for": votes[0], "votes_against": votes[1], "abstain": votes[2],
                          "appraisal": core.appraisal(*votes), "respondents": respondents, "satisfied": satisfied,
                          "satisfaction": core.satisfaction(respondents, satisfied), "opinion": opinion,
                          "by": by.display_name, "on": today.isoformat()}
    selected = decision == "select"
    project.library_on = today if selected else None
    _set(session, project, "selected" if selected else "not_selected", by, "evaluate", {"selected": selected})
    return project


def county_of(*, session: Session, user: User) -> Region:
    """The user's county (the library and rota are kept per county); ProjectError otherwise."""
    region = scope.region_of(session=session, user=user)
    if region.level != "county":
        raise ProjectError("项目库推介轮值表由县（区）委组织部安排")
    return region


def library(*, session: Session, user: User) -> list[tuple[ServiceProject, Region]]:
    """The district library of quality projects in the user's region (三（五）)."""
    return [(p, r) for p, r in listing(session=session, user=user) if p.status == "selected"]


def rota(*, session: Session, county: Region) -> list[ProjectRota]:
    """The county's promotion rota, by month."""
    return list(session.exec(select(ProjectRota).where(ProjectRota.county_id == county.id).order_by(ProjectRota.month)))


def fill_rota(*, session: Session, user: User, start: str, months: int) -> list[ProjectRota]:
    """Plan the months from `start`: townships take turns (镇街轮值), each promoting a library project."""
    rights.require(user, "projects_evaluate")
    county = county_of(session=session, user=user)
    try:
        wanted = core.next_months(start, months)
    except ValueError:
        raise Invalid([f"起始月份应形如 2026-09，而不是 {start!r}"]) from None
    if not 1 <= months <= 24:
        raise Invalid(["一次安排 1–24 个月"])
    towns: dict[int, list[int]] = {}
    order: dict[int, str] = {}
    for p, region in library(session=session, user=user):
        town = _township_of(session, region)
        if town is not None:
            towns.setdefault(town.id, []).append(p.id)
            order[town.id] = town.code
    if not towns:
        raise ProjectError("项目库中还没有区级优质党群服务项目")
    taken = {r.month: (r.township_id, r.project_id) for r in rota(session=session, county=county)}
    plan = core.plan_rota(months=wanted, townships=[(t, towns[t]) for t in sorted(towns, key=order.get)], taken=taken)
    rows = []
    for month, (town, project) in plan.items():
        row = ProjectRota(county_id=county.id, month=month, township_id=town, project_id=project, by_id=user.id)
        session.add(row)
        rows.append(row)
    session.flush()
    audit.record(session=session, user_id=user.id, action="rota", entity="projectrota", entity_id=None,
                 after={"months": sorted(plan)})
    return rows


def quotas(*, session: Session, user: User, year: int) -> list[core.Quota]:
    """Each township of the region against the quotas (四（一）): 1–2 per community, ≥ 1 at the township."""
    mine = scope.region_of(session=session, user=user)
    regions = list(session.exec(select(Region).where(Region.path.startswith(mine.path))))
    by_id = {r.id: r for r in regions}
    sites = community_sites(session=session, user=user)
    put_up = ("applied", "selected", "not_selected")
    counts: dict[int, int] = {}
    for p in session.exec(select(ServiceProject).where(ServiceProject.year == year,
                                                       ServiceProject.region_id.in_(list(by_id)))):
        if p.status in put_up:
            counts[p.region_id] = counts.get(p.region_id, 0) + 1
    out = []
    towns = [r for r in regions if r.level == "township"]
    if mine.level == "village":  # a community sees its own line under its township
        town = _township_of(session, mine)
        towns = [town] if town is not None else []
        by_id.update({t.id: t for t in towns})
    for town in sorted(towns, key=lambda r: r.code):
        communities = sorted({(by_id[s.region_id].name, s.region_id) for s in sites
                              if by_id.get(s.region_id) and by_id[s.region_id].parent_id == town.id})
        if mine.level == "village":
            communities = [(n, rid) for n, rid in communities if rid == mine.id]
        town_count = sum(1 for p in session.exec(select(ServiceProject).where(
            ServiceProject.region_id == town.id, ServiceProject.year == year, ServiceProject.level == "township"))
            if p.status in put_up)
        out.append(core.Quota(town.name, [(name, counts.get(rid, 0)) for name, rid in communities], town_count))
    return out


def photo_path(row: ServiceProjectActivity, n: int, size: str) -> str | None:
    """The stored path of an activity's n-th photo at a size, or None."""
    if size not in ("thumb", "display") or not 0 <= n < len(row.photos or []):
        return None
    return row.photos[n][size]


def activity(*, session: Session, user: User, activity_id: int) -> ServiceProjectActivity | None:
    """An activity of a project the user may see, or None."""
    row = session.get(ServiceProjectActivity, activity_id)
    if row is None or get(session=session, user=user, project_id=row.project_id) is None:
        return None
    return row
