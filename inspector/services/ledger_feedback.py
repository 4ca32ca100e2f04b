"""The community's feedback letters to the members' units: the quarterly letter (004 三、工作措施 2) and
the yearly 现实表现评议情况反馈卡 (二（二）4), each keeping the members' tallies as sent; which are due."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from ..core import ledger as core
from ..core.ledger import Invalid
from ..models import LedgerFeedback, LedgerUnit, Site, User
from . import audit, rights
from .ledger import LedgerError, members_of, township_name, unit_ids, units_of
from .ledger import site as visible_site
from .ledger_tallies import MemberYear, year_of


def feedback_of(*, session: Session, site: Site, year: int) -> list[LedgerFeedback]:
    """The community's feedback letters of a year."""
    return list(session.exec(select(LedgerFeedback).where(LedgerFeedback.site_id == site.id,
                                                          LedgerFeedback.year == year)
                             .order_by(LedgerFeedback.quarter, LedgerFeedback.unit_id)))


def feedback(*, session: Session, user: User, feedback_id: int) -> LedgerFeedback | None:
    """A feedback letter of a community the user may see, or None."""
    found = session.get(LedgerFeedback, feedback_id)
    if found is None or visible_site(session=session, user=user, site_id=found.site_id) is None:
        return None
    units = unit_ids(session=session, user=user)
    return found if units is None or found.unit_id in units else None


RATINGS = ("优秀", "合格", "基本合格", "不合格")  # the yearly card's appraisal (民主评议党员's grades)


def _check(session: Session, site: Site, unit_id: int, year: int, quarter: int, today: date,
           deadline_md: tuple[int, int]) -> list[MemberYear]:
    """The unit's members here for a letter that may be sent now; Invalid or LedgerError with the reason."""
    if quarter not in core.QUARTER_NAMES or not 2000 <= year <= today.year:
        raise Invalid([f"季度应为 1–4（或 0 表示年度反馈卡），年份不晚于今年：{year} 年 {quarter}"])
    if quarter and quarter not in core.quarters_due(year, today):
        raise Invalid([f"{year} 年{core.QUARTER_NAMES[quarter]}尚未结束，结束后再反馈"])
    rows = [r for r in year_of(session=session, site=site, year=year, as_of=today, deadline_md=deadline_md)
            if r.unit.id == unit_id]
    if not rows:
        raise Invalid(["本社区没有这个单位的在职党员"])
    if session.exec(select(LedgerFeedback.id).where(
            LedgerFeedback.site_id == site.id, LedgerFeedback.unit_id == unit_id, LedgerFeedback.year == year,
            LedgerFeedback.quarter == quarter)).first():
        raise LedgerError(f"{year} 年{core.QUARTER_NAMES[quarter]}已向{rows[0].unit.name}反馈过")
    return rows


def _members(rows: list[MemberYear], ratings: Mapping[int, tuple[str, str]]) -> list[dict]:
    """The letter's lines: each member's year as sent, with the rating and opinion of the yearly card."""
    out = []
    for r in rows:
        t = r.tally
        rating, opinion = ratings.get(r.member.id, ("", ""))
        out.append({"id": r.member.id, "name": r.member.name, "post": r.member.service_post,
                    "times": t.times, "hours": t.hours, "suggestions": t.suggestions,
                    "public_welfare": t.public_welfare, "visits": sum(t.visits_by_month.values()),
                    "reported_on": r.member.reported_on.isoformat() if r.member.reported_on else "",
                    "missing": [c.missing for c in t.falls_short + t.warnings],
                    "rating": rating, "opinion": (opinion or "").strip()[:500]})
    return out


def send_feedback(*, session: Session, site: Site, unit_id: int, year: int, quarter: int, by: User, today: date,
                  ratings: Mapping[int, tuple[str, str]] | None = None,
                  deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> LedgerFeedback:
    """Send a unit the quarter's feedback letter (1–4, 三、工作措施 2) or the yearly card (0, 二（二）4).

    The letter keeps the members' tallies as sent. A quarter can be sent once it has ended; the
    yearly card needs a rating for every member of the unit.
    """
    rights.require(by, "ledger_edit")
    rows = _check(session, site, unit_id, year, quarter, today, deadline_md)
    unit, ratings = rows[0].unit, ratings or {}
    missing = [r.member.name for r in rows if (ratings.get(r.member.id) or ("", ""))[0] not in RATINGS]
    if quarter == 0 and missing:
        raise Invalid([f"请为 {'、'.join(missing)} 选择评议等次（{'、'.join(RATINGS)}）"])
    members = _members(rows, ratings)
    content = {"site": site.name, "township": township_name(session=session, site=site), "unit": unit.name,
               "party_org": unit.party_org, "supervisor_org": unit.supervisor_org, "year": year,
               "quarter": quarter, "as_of": today.isoformat(), "members": members}
    row = LedgerFeedback(site_id=site.id, unit_id=unit_id, year=year, quarter=quarter, sent_on=today,
                         content=content, by_id=by.id)
    session.add(row)
    session.flush()
    audit.record(session=session, user_id=by.id, action="feedback", entity="ledgerfeedback", entity_id=row.id,
                 after={"unit": unit.name, "year": year, "quarter": quarter, "members": len(members)})
    return row


@dataclass
class FeedbackDue:
    """A unit's feedback letters in a year: the quarters due, those sent, the yearly card."""

    unit: LedgerUnit
    members: int
    due: list[int]
    sent: dict[int, LedgerFeedback]

    @property
    def missing(self) -> list[int]:
        """Quarters due and not sent."""
        return [q for q in self.due if q not in self.sent]


def feedback_status(*, session: Session, site: Site, year: int, as_of: date,
                    units: set[int] | None = None) -> list[FeedbackDue]:
    """Per unit with members here (these units only, when given): quarterly letters due by `as_of` and sent."""
    members = members_of(session=session, site=site, units=units)
    counts: dict[int, int] = defaultdict(int)
    for m in members:
        counts[m.unit_id] += 1
    units = units_of(session=session, ids=counts)
    sent: dict[int, dict[int, LedgerFeedback]] = defaultdict(dict)
    for f in feedback_of(session=session, site=site, year=year):
        sent[f.unit_id][f.quarter] = f
    due = core.quarters_due(year, as_of)
    return [FeedbackDue(units[u], counts[u], due, sent[u]) for u in sorted(units, key=lambda i: units[i].name)]
