"""The November roll-up (004 四、加强领导): 《在职党员进社区服务群众情况汇总表》 and 《报到情况汇总表》
for the user's region, community → township subtotal → county total, and by unit; on screen, in Excel
and printed. Six statements whatever the number of communities (bench/ledger_summary.py counts them)."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ..core import ledger as core
from ..models import LedgerFeedback, Region, Site, User
from . import rights, scope
from .ledger import community_sites
from .ledger_tallies import MemberYear, years_of


@dataclass
class Summary:
    """The two summary tables of a region for a year."""

    year: int
    region: str
    as_of: date
    service: list[core.RollRow]
    report: list[core.RollRow]
    by_unit: list[core.RollRow]  # the service table by unit (各县级部门（系统）报本部门的汇总表)


def community_counts(rows: list[MemberYear], *, year: int, feedback_count: int,
                     deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> tuple[dict[str, int], dict[str, int]]:
    """One community's figures for both tables, from its members' year."""
    end = date(year, 12, 31)
    deadline = core.deadline_of(year, deadline_md)
    reported = [r for r in rows if r.member.reported_on and r.member.reported_on <= end]
    service = {"members": len(rows), "reported": len(reported),
               "posts": sum(1 for r in rows if r.member.service_post),
               "times": sum(r.tally.times for r in rows), "minutes": sum(r.tally.minutes for r in rows),
               "service_met": sum(1 for r in rows if r.tally.service_met),
               "suggestions": sum(r.tally.suggestions for r in rows),
               "public_welfare": sum(r.tally.public_welfare for r in rows),
               "paired": sum(1 for r in rows if r.member.pair_name),
               "visits": sum(sum(r.tally.visits_by_month.values()) for r in rows), "feedback": feedback_count}
    dept = [r for r in rows if r.unit.county_department]
    report = {"units": len({r.unit.id for r in rows}), "members": len(rows), "reported": len(reported),
              "on_time": sum(1 for r in rows if r.member.reported_on and r.member.reported_on <= deadline),
              "dept_members": len(dept),
              "dept_reported": sum(1 for r in dept if r.member.reported_on and r.member.reported_on <= end)}
    return service, report


def _letters(session: Session, sites: list[Site], year: int) -> tuple[dict[int, int], dict[int, int]]:
    """The year's quarterly letters counted by community and by unit."""
    per_letter = session.exec(select(LedgerFeedback.site_id, LedgerFeedback.unit_id, func.count()).where(
        LedgerFeedback.site_id.in_([s.id for s in sites] or [-1]), LedgerFeedback.year == year,
        LedgerFeedback.quarter > 0).group_by(LedgerFeedback.site_id, LedgerFeedback.unit_id)).all()
    letters: dict[int, int] = defaultdict(int)
    unit_letters: dict[int, int] = defaultdict(int)
    for site_id, unit_id, n in per_letter:
        letters[site_id] += n
        unit_letters[unit_id] += n
    return letters, unit_letters


def _by_unit(years: dict[int, list[MemberYear]], unit_letters: dict[int, int], *, year: int, county: str,
             deadline_md: tuple[int, int]) -> list[core.RollRow]:
    """The service table by unit, county departments first, with the county's total."""
    by_unit: dict[int, list[MemberYear]] = defaultdict(list)
    for rows in years.values():
        for r in rows:
            by_unit[r.unit.id].append(r)
    units = sorted(by_unit.values(), key=lambda rows: (not rows[0].unit.county_department, rows[0].unit.name))
    out = [core.RollRow("unit", rows[0].unit.name, community_counts(
        rows, year=year, feedback_count=unit_letters.get(rows[0].unit.id, 0), deadline_md=deadline_md)[0])
        for rows in units]
    keys = [k for k, _l in core.SERVICE_COLUMNS]
    out.append(core.RollRow("county", f"{county} 合计", core.add_counts((r.counts for r in out), keys)))
    return out


def summary(*, session: Session, user: User, year: int, as_of: date,
            deadline_md: tuple[int, int] = core.DEFAULT_DEADLINE) -> Summary:
    """Both tables for the user's region: community → township subtotal → total (四、加强领导)."""
    rights.require(user, "ledger_summary")
    region = scope.region_of(session=session, user=user)
    sites = community_sites(session=session, user=user)
    names = {r.id: r for r in session.exec(select(Region).where(Region.path.startswith(region.path)))}
    years = years_of(session=session, sites=sites, year=year, as_of=as_of, deadline_md=deadline_md, records=False)
    letters, unit_letters = _letters(session, sites, year)
    service_rows: list[tuple[str, str, dict]] = []
    report_rows: list[tuple[str, str, dict]] = []
    for s in sorted(sites, key=lambda s: (names[s.region_id].path, s.name)):
        own = names[s.region_id]
        parent = names.get(own.parent_id)
        town = parent.name if parent is not None and parent.level == "township" else (
            own.name if own.level == "township" else "")
        service, report = community_counts(years[s.id], year=year, feedback_count=letters.get(s.id, 0),
                                           deadline_md=deadline_md)
        service_rows.append((town, s.name, service))
        report_rows.append((town, s.name, report))
    return Summary(year, region.name, as_of,
                   core.roll_up(service_rows, [k for k, _l in core.SERVICE_COLUMNS], region.name),
                   core.roll_up(report_rows, [k for k, _l in core.REPORT_COLUMNS], region.name),
                   _by_unit(years, unit_letters, year=year, county=region.name, deadline_md=deadline_md))


def summary_cells(row: core.RollRow, table: str) -> list[str]:
    """A roll-up row's cells as printed (hours from minutes, rates added to the reporting table)."""
    if table == "service":
        return [core.format_hours(row.counts[k]) if k == "minutes" else str(row.counts[k])
                for k, _l in core.SERVICE_COLUMNS]
    c = row.counts
    return [str(c["units"]), str(c["members"]), str(c["reported"]), core.rate(c["reported"], c["members"]),
            str(c["on_time"]), str(c["dept_members"]), str(c["dept_reported"]),
            core.rate(c["dept_reported"], c["dept_members"])]


SERVICE_HEADERS = [label for _k, label in core.SERVICE_COLUMNS]


REPORT_HEADERS = ["单位数", "应报到", "已报到", "报到率", "按期报到（5月15日前）", "县级部门应报到", "县级部门已报到",
                  "县级部门报到率（应达100%）"]


TITLES = {"service": "在职党员进社区服务群众情况汇总表", "report": "在职党员进社区报到情况汇总表",
          "by_unit": "在职党员进社区服务群众情况汇总表（按单位）"}


def summary_xlsx(data: Summary) -> bytes:
    """Both tables as one workbook, a sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    for index, (table, headers, rows) in enumerate((("service", SERVICE_HEADERS, data.service),
                                                    ("report", REPORT_HEADERS, data.report),
                                                    ("by_unit", SERVICE_HEADERS, data.by_unit))):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = {"service": "服务群众情况汇总表", "report": "报到情况汇总表", "by_unit": "按单位汇总"}[table]
        sheet.append([f"《{TITLES[table]}》 {data.region} {data.year} 年（截至 {data.as_of.isoformat()}）"])
        sheet.append(["单位" if table == "by_unit" else "社区", *headers])
        for row in rows:
            cells = summary_cells(row, "service" if table == "by_unit" else table)
            sheet.append([row.name, *[_number(c) for c in cells]])
            if row.level not in ("community", "unit"):
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(text: str) -> Any:
    """A cell's text as a number where it is one (Excel sums it then)."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text
