"""Factories: a small county, sites, users and inspections, built through the services."""
from __future__ import annotations

from datetime import date

from inspector.models import Region, Site, User
from inspector.services import regions, users


def county(session) -> dict[str, Region]:
    """City › county › two townships › one village each."""
    city = regions.add_region(session=session, name="徐州市", level="city", code="T320300")
    county_ = regions.add_region(session=session, name="沛县", level="county", code="T320322", parent=city)
    town_a = regions.add_region(session=session, name="龙固镇", level="township", code="T101", parent=county_)
    town_b = regions.add_region(session=session, name="杨屯镇", level="township", code="T102", parent=county_)
    village_a = regions.add_region(session=session, name="张庄村", level="village", code="T101001", parent=town_a)
    village_b = regions.add_region(session=session, name="吴庄社区", level="village", code="T102001", parent=town_b)
    session.flush()
    return {"city": city, "county": county_, "town_a": town_a, "town_b": town_b,
            "village_a": village_a, "village_b": village_b}


def site(session, region: Region, *, name: str = "张庄村党群服务中心", site_type: str = "village",
         tier: str | None = "standard", lat: float | None = 34.87, lon: float | None = 116.86) -> Site:
    """A site in a village region."""
    s = Site(name=name, site_type=site_type, region_id=region.id, address=f"{region.name}村委会旁",
             lat=lat, lon=lon, tier_applied=tier, category_doc_number="沛组发〔2026〕8号" if tier else "",
             category_doc_date=date(2026, 3, 2) if tier else None)
    session.add(s)
    session.flush()
    return s


def user(session, region: Region, *, username: str = "inspector1", role: str = "inspector") -> User:
    """A user with password 'correct-horse-1'."""
    return users.create(session=session, username=username, display_name=f"{username} 姓名", role=role,
                        region=region, password="correct-horse-1")
