"""The district's part of party–mass service projects (seed 003 三（四）、（五）、四（一）): the site visit,
the evaluation with democratic appraisal and questionnaire, the library of quality projects with its
monthly promotion rota, and each township against the quotas."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session, select

from ..core import service_projects as core
from ..core.checklist import ChecklistSpec
from ..core.ledger import Invalid
from ..models import Inspection, ProjectRota, Region, ServiceProject, Site, User
from . import audit, inspections, rights, scope
from .service_projects import ProjectError, check_step, community_sites, listing, record_step, text_field, township_of


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
    record_step(session, project, None, by, "site_visit", {"inspection": inspection.id})
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
    check_step(project, "evaluate")
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
    opinion = text_field(form, "opinion", 2000)
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
    record_step(session, project, "selected" if selected else "not_selected", by, "evaluate", {"selected": selected})
    return project


def own_county(*, session: Session, user: User) -> Region | None:
    """The user's region when it is a county (the library's rota is kept per county), else None."""
    region = scope.region_of(session=session, user=user)
    return region if region.level == "county" else None


def county_of(*, session: Session, user: User) -> Region:
    """The user's county (the library and rota are kept per county); ProjectError otherwise."""
    county = own_county(session=session, user=user)
    if county is None:
        raise ProjectError("项目库推介轮值表由县（区）委组织部安排")
    return county


def library(*, session: Session, user: User) -> list[tuple[ServiceProject, Region]]:
    """The district library of quality projects in the user's region (三（五）)."""
    return [(p, r) for p, r in listing(session=session, user=user) if p.status == "selected"]


def rota(*, session: Session, county: Region) -> list[ProjectRota]:
    """The county's promotion rota, by month."""
    return list(session.exec(select(ProjectRota).where(ProjectRota.county_id == county.id).order_by(ProjectRota.month)))


def rota_townships(*, session: Session, rota: list[ProjectRota]) -> dict[int, str]:
    """The names of the townships on a rota, by id."""
    ids = {r.township_id for r in rota}
    return {r.id: r.name for r in session.exec(select(Region).where(Region.id.in_(ids)))} if ids else {}


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
        town = township_of(session, region)
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
        town = township_of(session, mine)
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
