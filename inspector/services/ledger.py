"""The in-service members' ledger (seed 004), its register: who sees which community, the units, the
members and their reporting. The area's other jobs sit beside it: the list import (ledger_import), the
activities (ledger_activities), each member's year (ledger_tallies), the feedback letters (ledger_feedback),
the November roll-up (ledger_summary) and the checklist items computed from the records (ledger_items).

Every read and write is scoped: a community site outside the user's region does not exist for them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..core import ledger as core
from ..core.errors import DomainError
from ..core.ledger import Invalid
from ..models import LedgerActivity, LedgerMember, LedgerUnit, Region, Site, UnitUser, User, utcnow
from . import audit, rights, scope


class LedgerError(DomainError):
    """A request the ledger refuses now (answered 409 with the reason)."""

    status = 409


# ---------------------------------------------------------------- scope


def unit_ids(*, session: Session, user: User) -> set[int] | None:
    """The units a `unit` account speaks for (it sees only their members); None for every other role."""
    if user.role != "unit":
        return None
    return set(session.exec(select(UnitUser.unit_id).where(UnitUser.user_id == user.id)))


def link_unit_user(*, session: Session, user: User, unit: LedgerUnit, by: User | None = None) -> UnitUser:
    """Bind a `unit` account to its unit (the account must lie in the unit's county)."""
    if user.role != "unit":
        raise LedgerError(f"{user.username} 不是党员所在单位账号")
    if not scope.covers(session=session, user=user, region_id=unit.county_id):
        raise LedgerError(f"{user.username} 的区划不包含{unit.name}所在的县（区）")
    row = session.exec(select(UnitUser).where(UnitUser.user_id == user.id)).first() \
        or UnitUser(user_id=user.id, unit_id=unit.id)
    row.unit_id = unit.id
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id if by else None, action="link_unit", entity="user", entity_id=user.id,
                 after={"unit": unit.name})
    return row


def community_sites(*, session: Session, user: User) -> list[Site]:
    """Community centers in the user's region, by name (for a unit account: where its members live)."""
    region = scope.region_of(session=session, user=user)
    q = (select(Site).join(Region, Region.id == Site.region_id)
         .where(Region.path.startswith(region.path), Site.site_type == "community"))
    units = unit_ids(session=session, user=user)
    if units is not None:
        q = q.where(Site.id.in_(select(LedgerMember.site_id).where(LedgerMember.unit_id.in_(units or {-1}))))
    return list(session.exec(q.order_by(Site.name)))


def own_community(*, session: Session, user: User) -> Site | None:
    """The community center the user sits at, when it is the only one they see (their ledger opens directly)."""
    sites = community_sites(session=session, user=user)
    return sites[0] if len(sites) == 1 and sites[0].region_id == user.region_id else None


def units_for_link(*, session: Session, user: User, name: str) -> list[LedgerUnit]:
    """The units of this name a `unit` account may be bound to: those of a county its region covers."""
    mine = scope.region_of(session=session, user=user)
    return [u for u in session.exec(select(LedgerUnit).where(LedgerUnit.name == name).order_by(LedgerUnit.id))
            if u.county_id == mine.id or scope.covers(session=session, user=user, region_id=u.county_id)]


def site(*, session: Session, user: User, site_id: int) -> Site | None:
    """A community site the user may see, or None (a village site has no ledger)."""
    found = scope.site(session=session, user=user, site_id=site_id)
    return found if found is not None and found.site_type == "community" else None


def member(*, session: Session, user: User, member_id: int) -> LedgerMember | None:
    """A member of a community the user may see (a unit account: only its own members), or None."""
    found = session.get(LedgerMember, member_id)
    if found is None or site(session=session, user=user, site_id=found.site_id) is None:
        return None
    units = unit_ids(session=session, user=user)
    return found if units is None or found.unit_id in units else None


def activity(*, session: Session, user: User, activity_id: int) -> LedgerActivity | None:
    """An activity of a member the user may see, or None."""
    found = session.get(LedgerActivity, activity_id)
    if found is None or member(session=session, user=user, member_id=found.member_id) is None:
        return None
    return found


def county_of(*, session: Session, site: Site) -> Region:
    """The county a site lies in (units are kept per county)."""
    region = session.get(Region, site.region_id)
    ids = [int(x) for x in region.path.strip("/").split("/") if x]
    rows = session.exec(select(Region).where(Region.id.in_(ids))).all()
    county = next((r for r in rows if r.level == "county"), None)
    if county is None:
        raise LedgerError(f"{site.name} 不在任何县（区）之下，无法登记单位")
    return county


def township_name(*, session: Session, site: Site) -> str:
    """The name of the township a site lies in."""
    region = session.get(Region, site.region_id)
    parent = session.get(Region, region.parent_id) if region.parent_id else None
    return parent.name if parent is not None and parent.level == "township" else ""


# ---------------------------------------------------------------- units and members


def unit_named(*, session: Session, county: Region, name: str, party_org: str = "", supervisor_org: str = "",
               county_department: bool | None = None) -> LedgerUnit:
    """The county's unit of this name, created if new; blank fields are filled from the given ones."""
    unit = session.exec(select(LedgerUnit).where(LedgerUnit.county_id == county.id, LedgerUnit.name == name)).first()
    if unit is None:
        unit = LedgerUnit(county_id=county.id, name=name, party_org=party_org, supervisor_org=supervisor_org,
                          county_department=bool(county_department))
        session.add(unit)
        session.flush()
        return unit
    unit.party_org = unit.party_org or party_org
    unit.supervisor_org = unit.supervisor_org or supervisor_org
    if county_department:
        unit.county_department = True
    session.add(unit)
    return unit


def units_of(*, session: Session, ids: Iterable[int]) -> dict[int, LedgerUnit]:
    """Units by id."""
    ids = list(set(ids))
    return {u.id: u for u in session.exec(select(LedgerUnit).where(LedgerUnit.id.in_(ids)))} if ids else {}


def members_of(*, session: Session, site: Site, units: set[int] | None = None) -> list[LedgerMember]:
    """The community's active members (of these units only, when given), by name."""
    q = select(LedgerMember).where(LedgerMember.site_id == site.id, LedgerMember.active)
    if units is not None:
        q = q.where(LedgerMember.unit_id.in_(units or {-1}))
    return list(session.exec(q.order_by(LedgerMember.name, LedgerMember.id)))


def member_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The member columns of parsed fields."""
    keys = ("name", "phone", "reported_on", "letter_number", "service_post", "pledge", "skills", "pair_name",
            "pair_kind", "pair_address")
    return {k: fields[k] for k in keys}


def registered(session: Session, site: Site, name: str, phone: str) -> bool:
    """Whether the community already has a member with this name and phone."""
    return session.exec(select(LedgerMember.id).where(LedgerMember.site_id == site.id, LedgerMember.name == name,
                                                      LedgerMember.phone == phone)).first() is not None


def _checked(session: Session, site: Site, form: Mapping[str, str], today: date,
             member: LedgerMember | None = None) -> tuple[dict[str, Any], LedgerUnit]:
    """A member card's fields checked (Invalid with the reason) and its unit (created if new)."""
    try:
        fields = core.parse_member(form)
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    if fields["reported_on"] and fields["reported_on"] > today:
        raise Invalid([f"报到日期 {fields['reported_on']} 晚于今天"])
    same = member is not None and (fields["name"], fields["phone"]) == (member.name, member.phone)
    if not same and registered(session, site, fields["name"], fields["phone"]):
        raise Invalid([f"{site.name} 已登记 {fields['name']}（{fields['phone']}）"])
    unit = unit_named(session=session, county=county_of(session=session, site=site), name=fields["unit"],
                      party_org=fields["party_org"], supervisor_org=fields["supervisor_org"],
                      county_department=fields["county_department"])
    return fields, unit


def add_member(*, session: Session, site: Site, form: Mapping[str, str], by: User, today: date) -> LedgerMember:
    """Register a member at a community (the fields of 基本情况信息卡); Invalid with the reason."""
    rights.require(by, "ledger_edit")
    fields, unit = _checked(session, site, form, today)
    row = LedgerMember(site_id=site.id, unit_id=unit.id, created_by_id=by.id, **member_fields(fields))
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="add", entity="ledgermember", entity_id=row.id,
                 after={"site": site.id, "name": row.name, "unit": unit.name})
    return row


def update_member(*, session: Session, member: LedgerMember, form: Mapping[str, str], by: User,
                  today: date) -> LedgerMember:
    """Change a member's card (unit, phone, post, pledge, pairing…) or mark them moved away; audited."""
    rights.require(by, "ledger_edit")
    fields, unit = _checked(session, session.get(Site, member.site_id), form, today, member)
    keys = list(member_fields(fields)) + ["unit_id", "active"]
    before = {k: _plain(getattr(member, k)) for k in keys}
    for k, v in member_fields(fields).items():
        setattr(member, k, v)
    member.unit_id, member.active = unit.id, form.get("active", "1") != "0"
    member.updated_at = utcnow()
    session.add(member)
    after = {k: _plain(getattr(member, k)) for k in keys}
    audit.record(session=session, user_id=by.id, action="update", entity="ledgermember", entity_id=member.id,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return member


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def mark_reported(*, session: Session, member: LedgerMember, on: str, letter_number: str, by: User,
                  today: date) -> LedgerMember:
    """Record the member's reporting (with the letter's number); Invalid when the date is wrong."""
    rights.require(by, "ledger_edit")
    try:
        day = core.parse_date(on, "报到日期")
    except ValueError as exc:
        raise Invalid([str(exc)]) from None
    if day is None:
        raise Invalid(["请填写报到日期"])
    if day > today:
        raise Invalid([f"报到日期 {day} 晚于今天"])
    before = {"reported_on": member.reported_on.isoformat() if member.reported_on else None,
              "letter_number": member.letter_number}
    member.reported_on, member.letter_number = day, (letter_number or member.letter_number).strip()[:64]
    member.updated_at = utcnow()
    session.add(member)
    audit.record(session=session, user_id=by.id, action="report", entity="ledgermember", entity_id=member.id,
                 before=before, after={"reported_on": day.isoformat(), "letter_number": member.letter_number})
    return member
