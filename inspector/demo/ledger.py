"""Demo ledger records for the demo county (`flask --app inspector ledger demo`, after `demo load`): units,
in-service members at every community with a year of activities, feedback letters, a unit account, and
service projects at several steps — all written through the ledger and service-project services."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, select

from ..core import ledger as core
from ..core.workdays import Calendar
from ..models import LedgerMember, LedgerUnit, Region, Site, User
from ..services import ledger, ledger_activities, ledger_feedback, service_project_activities, service_projects, users

UNITS = (("沛县财政局", "沛县财政局机关党支部", "中共沛县财政局党组", True),
         ("沛县教育局", "沛县教育局机关党委", "中共沛县教育局党组", True),
         ("沛县人民医院", "沛县人民医院党委", "中共沛县卫生健康委员会党组", False),
         ("沛城街道办事处", "沛城街道机关党支部", "中共沛城街道工作委员会", False))
NAMES = "王明 陈红 刘强 张丽 李军 赵敏 孙伟 周静 吴涛 郑芳 冯磊 朱琳".split()
POSTS = ("政策宣讲", "文明劝导", "法律援助", "医疗保健", "扶贫帮困", "环境保护")
PAIRS = ("孤寡老人", "困难党员", "残疾人", "贫困学生", "贫困户")


def load(*, session: Session, today: date, calendar: Calendar, seed: int = 2026) -> dict[str, int]:
    """Add the demo ledger to the demo county's communities; refuses to run twice."""
    if session.exec(select(LedgerMember.id)).first() is not None:
        raise ledger.LedgerError("演示台账已存在")
    rnd = random.Random(seed)
    county = session.exec(select(User).where(User.username == "county")).first()
    if county is None:
        raise ledger.LedgerError("请先运行 flask --app inspector demo load")
    sites = ledger.community_sites(session=session, user=county)
    counts = {"members": 0, "activities": 0, "letters": 0, "projects": 0}
    for site in sites:
        worker = _worker(session, site)
        if worker is None:
            continue
        for n in range(rnd.randint(5, 8)):
            m = _member(session, site, worker, n, rnd, today)
            counts["members"] += 1
            counts["activities"] += _activities(session, m, worker, rnd, today)
        counts["letters"] += _letters(session, site, worker, today)
    _unit_account(session, county)
    counts["projects"] = _projects(session=session, sites=sites, today=today, calendar=calendar)
    return counts


def _worker(session: Session, site: Site) -> User | None:
    """The community's worker account (村（社区）), who keeps its ledger."""
    return session.exec(select(User).where(User.region_id == site.region_id, User.role == "village")).first()


def _member(session: Session, site: Site, worker: User, n: int, rnd: random.Random, today: date) -> LedgerMember:
    """The community's n-th demo member, registered through the member form's service."""
    year = today.year
    unit = UNITS[rnd.randrange(len(UNITS))]
    reported = date(year, rnd.choice((3, 4, 5, 6)), rnd.randint(1, 28)) if rnd.random() < 0.9 else None
    return ledger.add_member(session=session, site=site, by=worker, today=today, form={
        "name": NAMES[(n + site.id) % len(NAMES)] + ("" if n < len(NAMES) else str(n)), "unit": unit[0],
        "party_org": unit[1], "supervisor_org": unit[2], "county_department": "是" if unit[3] else "",
        "phone": f"139{site.id:04d}{n:04d}",
        "reported_on": reported.isoformat() if reported and reported <= today else "",
        "letter_number": f"{unit[0][2:4]}证〔{year}〕{n + 1}号", "service_post": rnd.choice(POSTS),
        "pledge": "每季度参加一次社区志愿服务，结对帮扶一户困难家庭", "pair_name": f"{NAMES[-1 - n % 5]}家",
        "pair_kind": rnd.choice(PAIRS), "pair_address": f"{site.name[:-6]}{n + 1}号楼"})


def _activities(session: Session, member: LedgerMember, worker: User, rnd: random.Random, today: date) -> int:
    """A year of the member's activities so far, every two to four weeks now and then; how many."""
    made, day = 0, date(today.year, 1, 10)
    while day <= today:
        if rnd.random() < 0.35:
            kind = rnd.choice(list(core.KINDS))
            ledger_activities.record_activity(
                session=session, member=member, photo=None, by=worker, today=today, media_root=None,
                form={"on": day.isoformat(), "kind": kind, "hours": str(rnd.choice((1, 1.5, 2, 3))),
                      "note": "为社区提出加装楼道照明的建议" if kind == "suggestion" else "参加社区服务"})
            made += 1
        day += timedelta(days=rnd.randint(12, 30))
    return made


def _letters(session: Session, site: Site, worker: User, today: date) -> int:
    """The quarterly letters of the year sent, all but the last quarter due; how many."""
    made = 0
    for row in ledger_feedback.feedback_status(session=session, site=site, year=today.year, as_of=today):
        for q in row.due[:-1]:
            ledger_feedback.send_feedback(session=session, site=site, unit_id=row.unit.id, year=today.year, quarter=q,
                                          by=worker, today=today)
            made += 1
    return made


def _unit_account(session: Session, county: User) -> None:
    """The finance bureau's unit account (unit-caizheng), bound to its unit."""
    finance = session.exec(select(LedgerUnit).where(LedgerUnit.name == UNITS[0][0])).first()
    if finance is not None:
        region = session.get(Region, county.region_id)
        unit_user = users.create(session=session, username="unit-caizheng", display_name="沛县财政局 联络员", role="unit",
                                 region=region, password=users_password())
        ledger.link_unit_user(session=session, user=unit_user, unit=finance)


def users_password() -> str:
    """The demo password (as every demo account)."""
    from .county import DEMO_PASSWORD
    return DEMO_PASSWORD


def _projects(*, session: Session, sites: list[Site], today: date, calendar: Calendar) -> int:
    """Service projects at the first communities: one noticed and running, one designed and waiting for review."""
    made = 0
    for n, site in enumerate(sites[:2]):
        worker = _worker(session, site)
        region = session.get(Region, site.region_id)
        town = session.exec(select(User).where(User.region_id == region.parent_id, User.role == "township")).first()
        if worker is None or town is None:
            continue
        start = today - timedelta(days=150)
        p = service_projects.create(session=session, user=worker, today=today, form=_Form(
            name=("邻里助餐帮帮团", "四点半课堂")[n], level="community", site_id=str(site.id),
            survey_summary=("独居老人就餐难", "双职工家庭子女放学后无人看护")[n], fixed_place="1",
            survey_ways=["网格员入户走访", "召开党员居民会议"]))
        service_projects.design(session=session, project=p, by=worker,
                                form={"design": ("每周三为独居老人送餐，党员志愿者结对", "工作日16:30—18:00在党群服务中心辅导作业")[n],
                                      "fixed_place": "1"})
        made += 1
        if n == 1:
            continue
        service_projects.review(session=session, project=p, approve=True, opinion="需求明确，可行", partner="沛县阳光社工服务中心",
                                by=town, today=start)
        service_projects.post_notice(session=session, project=p, by=worker, today=start, calendar=calendar,
                                     form={"start": start.isoformat(), "working_days": "5"})
        day = start + timedelta(days=14)
        while day <= today:
            service_project_activities.add_activity(
                session=session, project=p, photos=[], by=worker, today=today, media_root=None,
                form={"on": day.isoformat(), "place": f"{site.name}食堂", "participants": "15", "note": "为独居老人送餐"})
            day += timedelta(days=14)
    return made


class _Form(dict):
    """A form with repeated fields (getlist), as a request's."""

    def __init__(self, **fields):
        super().__init__({k: v for k, v in fields.items() if not isinstance(v, list)})
        self._lists = {k: v for k, v in fields.items() if isinstance(v, list)}

    def getlist(self, key: str) -> list[str]:
        """The repeated field's values."""
        return self._lists.get(key, [])
