"""The demo county: townships, villages and communities, users and inspections (through the services)."""
from __future__ import annotations

import random
from datetime import date, datetime

from sqlmodel import Session, select

from ..core import scoring, workdays
from ..core.checklist import ChecklistSpec
from ..core.clock import CHINA
from ..core.examples import answers_for as demo_answers
from ..models import Region, Site, User
from ..services import inspections, regions, users, workflow

DEMO_PASSWORD = "demo-pass-2026"

# 沛县 (Pei County, Xuzhou, Jiangsu): the red-landmark standard in the seeds is Xuzhou's draft.
TOWNSHIPS = [
    ("沛城街道", "320322001", 34.733, 116.937, [
        ("汉源社区", "community", "demo"), ("歌风社区", "community", "standard"), ("东关村", "village", "standard"),
        ("刘邦村", "village", "upgrade")]),
    ("龙固镇", "320322101", 34.870, 116.860, [
        ("龙固村", "village", "demo"), ("张庄村", "village", "standard"), ("杨庄村", "village", "upgrade"),
        ("苗洼村", "village", "standard")]),
    ("杨屯镇", "320322102", 34.640, 116.980, [
        ("杨屯村", "village", "standard"), ("王店村", "village", "demo"), ("李集村", "village", None),
        ("吴庄社区", "community", "standard")]),
    ("大屯街道", "320322002", 34.690, 116.990, [
        ("大屯社区", "community", "demo"), ("孙庄村", "village", "standard"), ("徐庄村", "village", "upgrade"),
        ("赵楼村", "village", "standard")]),
    ("安国镇", "320322103", 34.780, 116.790, [
        ("安国村", "village", "standard"), ("刘楼村", "village", "upgrade"), ("周庄村", "village", "demo"),
        ("胡寨社区", "community", "standard")]),
]


def _approve_with_signers(*, session: Session, inspection, site: Site, county_user: User, inspector: User,
                          hashed: str) -> None:
    """Approve a completion acceptance with its signers (a contractor account for the village) and
    let the township and the inspector sign, so the demo shows a sign-off half done."""
    village = session.get(Region, site.region_id)
    contractor = users.create(session=session, username=f"k{village.code[-6:]}", display_name="施工方 赵建国",
                              role="contractor", region=village, password_hash=hashed)
    township = session.exec(select(User).where(User.role == "township", User.region_id == village.parent_id)).first()
    calendar = workdays.load()  # years without a schedule count provisionally, so the demo loads in any year
    workflow.approve(session=session, inspection=inspection, by=county_user, today=datetime.now(CHINA).date(), calendar=calendar,
                     signers={"township-staff": [township.id], "acceptance-team": [inspector.id, county_user.id],
                              "contractor-lead": [contractor.id]})
    for who in (township, inspector):
        workflow.sign(session=session, inspection=inspection, by=who, password=DEMO_PASSWORD)


# (site index, purpose, status, pass rate, share answered)
PLAN = [
    (0, "self_assessment", "submitted", 0.97, 1.0), (0, "completion_acceptance", "submitted", 0.95, 1.0),
    (1, "self_assessment", "submitted", 0.95, 1.0), (1, "inspection", "draft", 0.8, 0.5),
    (4, "self_assessment", "submitted", 0.9, 1.0), (4, "completion_acceptance", "returned", 0.75, 1.0),
    (6, "inspection", "draft", 0.85, 0.3), (9, "self_assessment", "draft", 0.9, 0.6),
    (12, "completion_acceptance", "approved", 1.0, 1.0), (13, "self_assessment", "submitted", 0.9, 1.0),
]


def load(*, session: Session, specs: dict[str, ChecklistSpec], seed: int = 2026) -> dict[str, int]:
    """Create the demo county (idempotent: does nothing if it exists). Returns counts."""
    if regions.by_code(session=session, code="320300") is not None:
        return {"sites": 0, "users": 0, "inspections": 0}
    rnd = random.Random(seed)
    hashed = users.hash_password(DEMO_PASSWORD)  # one hash for every demo account
    county, inspector = _county(session=session, hashed=hashed)
    sites, village_users = _sites(session=session, county=county, hashed=hashed, rnd=rnd)
    made = 0
    build = specs.get("build-standard")
    county_user = session.exec(select(User).where(User.username == "county")).one()
    if build is not None:
        for index, purpose, status, pass_rate, share in PLAN:
            site = sites[index]
            by = village_users[site.id] if purpose == "self_assessment" else inspector
            ins = _walk(session=session, spec=build, site=site, purpose=purpose, by=by, pass_rate=pass_rate,
                        share=share, rnd=rnd)
            _settle(session=session, inspection=ins, status=status, by=by, site=site, county_user=county_user,
                    inspector=inspector, hashed=hashed)
            made += 1
    return {"sites": len(sites), "users": len(session.exec(select(User)).all()), "inspections": made}


def _county(*, session: Session, hashed: str) -> tuple[Region, User]:
    """The city and the county with their accounts; returns the county and its inspector."""
    city = regions.add_region(session=session, name="徐州市", level="city", code="320300")
    county = regions.add_region(session=session, name="沛县", level="county", code="320322", parent=city)
    users.create(session=session, username="admin", display_name="系统管理员", role="admin", region=city,
                 password_hash=hashed)
    users.create(session=session, username="city", display_name="市委组织部 评审", role="city_reviewer", region=city,
                 password_hash=hashed)
    users.create(session=session, username="county", display_name="县委组织部 李明", role="county_reviewer",
                 region=county, password_hash=hashed)
    inspector = users.create(session=session, username="inspector", display_name="检查员 王芳", role="inspector",
                             region=county, password_hash=hashed)
    return county, inspector


def _sites(*, session: Session, county: Region, hashed: str,
           rnd: random.Random) -> tuple[list[Site], dict[int, User]]:
    """The townships with their staff, and in each its villages and communities, a site and a secretary."""
    sites: list[Site] = []
    village_users: dict[int, User] = {}
    for t_name, t_code, lat, lon, villages in TOWNSHIPS:
        township = regions.add_region(session=session, name=t_name, level="township", code=t_code, parent=county)
        users.create(session=session, username=f"town{t_code[-3:]}", display_name=f"{t_name} 组织委员",
                     role="township", region=township, password_hash=hashed)
        for n, (v_name, v_type, tier) in enumerate(villages, start=1):
            village = regions.add_region(session=session, name=v_name, level="village", code=f"{t_code}{n:03d}",
                                         parent=township)
            kind = "社区" if v_type == "community" else "村"
            site = Site(name=f"{v_name}党群服务中心", site_type=v_type, region_id=village.id,
                        address=f"江苏省徐州市沛县{t_name}{v_name}{'居委会' if v_type == 'community' else '村委会'}旁",
                        lat=round(lat + rnd.uniform(-0.04, 0.04), 6), lon=round(lon + rnd.uniform(-0.05, 0.05), 6),
                        tier_applied=tier, category_doc_number=f"沛组发〔2026〕{len(sites) + 11}号" if tier else "",
                        category_doc_date=date(2026, 3, 2) if tier else None)
            session.add(site)
            session.flush()
            sites.append(site)
            village_users[site.id] = users.create(
                session=session, username=f"v{t_code[-3:]}{n:02d}", display_name=f"{v_name}{kind}书记",
                role="village", region=village, password_hash=hashed)
    return sites, village_users


def _walk(*, session: Session, spec: ChecklistSpec, site: Site, purpose: str, by: User, pass_rate: float,
          share: float, rnd: random.Random):
    """An inspection of a site answered at about `pass_rate`; a failed advisory requirement is explained."""
    tier = site.tier_applied or "standard"
    ins = inspections.start(session=session, site=site, spec=spec, purpose=purpose, tier=tier, by=by)
    for item_id, value in demo_answers(spec, tier=tier, site_type=site.site_type, pass_rate=pass_rate,
                                       share=share, rnd=rnd).items():
        item = spec.by_id[item_id]  # a failed advisory requirement is explained
        softened = item.softened_by(tier) if scoring.judge(
            item, scoring.normalize(item, value), tier=tier, site_type=site.site_type).result == "fail" else None
        inspections.record_answer(session=session, inspection=ins, item_id=item_id, raw=value, by=by,
                                  note=f"现场说明：原文为“{softened}”，因场地条件所限" if softened else None)
    inspections.refresh_score(session=session, inspection=ins)
    return ins


def _settle(*, session: Session, inspection, status: str, by: User, site: Site, county_user: User,
            inspector: User, hashed: str) -> None:
    """Take a walked inspection to its planned status: submitted, returned with reasons, or approved."""
    if status != "draft":
        inspections.submit(session=session, inspection=inspection, by=by)
    if status == "returned":
        failed = inspections.outcome(session=session, inspection=inspection).failed[:2]
        workflow.return_for_changes(session=session, inspection=inspection, by=county_user,
                                    reasons={i: "现场照片不清晰，请补拍并复核数据" for i in failed},
                                    general="请按退回意见修改后重新提交")
    if status == "approved":
        _approve_with_signers(session=session, inspection=inspection, site=site, county_user=county_user,
                              inspector=inspector, hashed=hashed)


def load_programs(*, session: Session, specs: dict[str, ChecklistSpec], calendar: workdays.Calendar,
                  today, media_root=None) -> None:
    """The demo county's comparisons, micro projects and red-landmark applications (each idempotent)."""
    from . import dashboard
    from . import comparison, landmark, micro
    comparison.load(session=session, specs=specs)
    dashboard.demo(session=session, today=today)
    micro.load(session=session, calendar=calendar, today=today)
    landmark.load(session=session, specs=specs, calendar=calendar, today=today, media_root=media_root)
