"""Demo micro projects and member-fund rows at the demo county's 张庄村 (seed 000's street scheme)."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from ..core import micro as micro_rules
from ..core.workdays import Calendar
from ..models import MicroProject, Region, Site, User
from ..services import micro, scope

MEMBERS = (("张卫东", "party_member"), ("李红梅", "representative"), ("王建国", "party_member"))


def _place(session: Session, site_code: str) -> tuple[Site, User, User] | None:
    """The demo village's site with its village and township accounts; None when not there or already filled."""
    village = session.exec(select(Region).where(Region.code == site_code)).first()
    site = session.exec(select(Site).where(Site.region_id == village.id)).first() if village else None
    if site is None or session.exec(select(MicroProject).where(MicroProject.site_id == site.id)).first():
        return None
    if site.micro_program is None:  # the demo village follows seed 000's street scheme (荷花街道 style)
        site.micro_program = "hehua-street-2023"
        session.add(site)
    people = {u.role: u for u in session.exec(select(User).where(User.role.in_(("village", "township")))) if
              scope.covers(session=session, user=u, region_id=site.region_id)}
    if people.get("village") is None or people.get("township") is None:
        return None
    return site, people["village"], people["township"]


def _forms(today: date) -> list[dict[str, str]]:
    """Two applications as the village would type them (000 附件1)."""
    households = "\n".join(f"{n} 1390516{i:04d} 已签" for i, n in enumerate(
        ("张桂兰", "李德明", "王秀英", "赵国强", "刘玉珍", "孙建华"), start=1))
    base = {"lead_name": "张卫东", "lead_phone": "13905160001", "fund_source": "镇级微实事专项资金",
            "members": "张卫东 13905160001 党员\n李红梅 13905160002 村民代表\n王建国 13905160003 党员",
            "households": households, "start_date": today.isoformat(),
            "finish_date": date.fromordinal(today.toordinal() + 30).isoformat()}
    return [
        {**base, "name": "村东头道路路灯修缮", "size": "small", "budget": "8,600.00",
         "description": "更换村东头主路损坏路灯，党员和群众义务安装", "scale": "LED 路灯 12 盏", "expected_effect": "夜间出行安全",
         "spending": "LED路灯 材料 7,200.00\n电缆及配件 材料 1,400.00"},
        {**base, "name": "小游园健身器材补充", "size": "small", "budget": "24,000",
         "description": "在村委会旁小游园补充健身器材并硬化地面", "scale": "器材 6 件，硬化 80 平方米",
         "expected_effect": "方便老人和儿童健身", "spending": "健身器材 材料 18,000\n水泥砂石 材料 6,000"},
    ]


def _approve(session: Session, made: list[MicroProject], village_user: User, town_user: User, today: date,
             calendar: Calendar) -> None:
    """Every project passes the village's step; the first goes through the whole route."""
    first = micro.route_of(made[0]).steps[0].id
    for project in made:
        micro.decide(session=session, project=project, step_id=first, approve=True, note="村党支部同意",
                     by=village_user, today=today, calendar=calendar)
    amount = micro_rules.format_money(made[0].budget_fen).removesuffix(" 元")
    for step in micro.route_of(made[0]).steps[1:]:
        micro.decide(session=session, project=made[0], step_id=step.id, approve=True, note="同意", by=town_user,
                     today=today, calendar=calendar, amount=amount)


def load(*, session: Session, calendar: Calendar, today: date, site_code: str = "320322101002") -> dict[str, int]:
    """A few realistic projects and fund rows at the demo county's 张庄村 (demo/county.py must have run).

    Idempotent: does nothing when the site already has projects.
    """
    place = _place(session, site_code)
    if place is None:
        return {"projects": 0, "members": 0}
    site, village_user, town_user = place
    made = [micro.apply(session=session, site=site, form=form, by=village_user, today=today, calendar=calendar)
            for form in _forms(today)]
    _approve(session, made, village_user, town_user, today, calendar)
    for i, (name, kind) in enumerate(MEMBERS, start=1):
        member = micro.add_member(session=session, site=site, year=today.year, name=name, phone=f"1390516000{i}",
                                  kind=kind, by=village_user)
        micro.commit(session=session, site=site, member_id=member.id, project_id=made[0].id, amount="150",
                     by=village_user)
    return {"projects": len(made), "members": len(MEMBERS)}
