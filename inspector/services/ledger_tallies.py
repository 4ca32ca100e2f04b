"""Each member's year against the rules of 004 (二、主要任务（一）, 三、工作措施 1): the active members of
communities with their units, the year's activities and the tally, in three statements however many
communities."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..core import ledger as core
from ..models import LedgerActivity, LedgerMember, LedgerUnit, Site


@dataclass
class MemberYear:
    """A member, their unit, their activities of the year and the tally against the rules."""

    member: LedgerMember
    unit: LedgerUnit
    activities: list[LedgerActivity]
    tally: core.Tally


def tally_of(member: LedgerMember, activities: Iterable[LedgerActivity], *, year: int, as_of: date,
             deadline: date) -> core.Tally:
    """One member's tally from their activity rows."""
    return core.tally(year=year, activities=[core.Activity(a.on, a.minutes, a.kind) for a in activities],
                      reported_on=member.reported_on, paired=bool(member.pair_name), deadline=deadline, as_of=as_of)


def year_of(*, session: Session, site: Site, year: int, as_of: date,
            deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE, units: set[int] | None = None) -> list[MemberYear]:
    """Every active member of a community (of these units, when given) with the year's tally."""
    return years_of(session=session, sites=[site], year=year, as_of=as_of, deadline_md=deadline_md,
                    units=units)[site.id]


def _activities(session: Session, ids: list[int], year: int, units: set[int] | None,
                records: bool) -> dict[int, list[Any]]:
    """The year's activities of the communities' active members, by member: rows, or `core.Activity` only."""
    columns = (LedgerActivity,) if records else (LedgerActivity.member_id, LedgerActivity.on, LedgerActivity.minutes,
                                                 LedgerActivity.kind)
    q = (select(*columns).join(LedgerMember, LedgerMember.id == LedgerActivity.member_id)
         .where(LedgerMember.site_id.in_(ids), LedgerMember.active,
                LedgerActivity.on >= date(year, 1, 1), LedgerActivity.on <= date(year, 12, 31)))
    if units is not None:
        q = q.where(LedgerMember.unit_id.in_(units or {-1}))
    acts: dict[int, list[Any]] = defaultdict(list)
    if records:
        for row in session.exec(q.order_by(LedgerActivity.on, LedgerActivity.id)):
            acts[row.member_id].append(row)
    else:
        for member_id, on, minutes, kind in session.exec(q):
            acts[member_id].append(core.Activity(on, minutes, kind))
    return acts


def years_of(*, session: Session, sites: list[Site], year: int, as_of: date,
             deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE,
             units: set[int] | None = None, records: bool = True) -> dict[int, list[MemberYear]]:
    """Each community's active members with the year's tally, by site id: three statements however many
    communities (members, their units, the year's activities joined to the members).

    records=False reads only the activities' columns the rules need (date, minutes, type) and keeps
    them as `core.Activity`: the roll-up does not need notes or photos (bench/ledger_summary.py)."""
    ids = [s.id for s in sites]
    out: dict[int, list[MemberYear]] = {i: [] for i in ids}
    q = select(LedgerMember).where(LedgerMember.site_id.in_(ids), LedgerMember.active)
    if units is not None:
        q = q.where(LedgerMember.unit_id.in_(units or {-1}))
    members = list(session.exec(q.order_by(LedgerMember.name, LedgerMember.id))) if ids else []
    if not members:
        return out
    unit_rows = {u.id: u for u in session.exec(select(LedgerUnit).where(LedgerUnit.id.in_(
        select(LedgerMember.unit_id).where(LedgerMember.site_id.in_(ids)))))}
    acts = _activities(session, ids, year, units, records)
    deadline = core.deadline_of(year, deadline_md)
    for m in members:
        mine = acts[m.id]
        tally = core.tally(year=year, activities=mine if not records else
                           [core.Activity(x.on, x.minutes, x.kind) for x in mine],
                           reported_on=m.reported_on, paired=bool(m.pair_name), deadline=deadline, as_of=as_of)
        out[m.site_id].append(MemberYear(m, unit_rows[m.unit_id], mine, tally))
    return out


def shortfalls(rows: Iterable[MemberYear]) -> list[MemberYear]:
    """Members falling short of a hard rule or a soft one (the list names what is missing)."""
    return [r for r in rows if r.tally.falls_short or r.tally.warnings]
