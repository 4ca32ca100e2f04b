"""The dashboard's filters: what a user asked to see, checked against what the user may choose.

`open_view` is where every dashboard read starts: the rights check (services/rights.py), the
user's region, the counties and townships to offer, and the filters from the query arguments (a
value the user may not choose is ignored and said so in `notes`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlmodel import Session

from ..core.checklist import ChecklistSpec
from ..models import PURPOSES, Region, User
from . import rights, scope, sites as site_service, summaries
from .dashboard_choices import Township, townships

TIERS = site_service.TIERS  # demo, standard, upgrade
NONE = summaries.NONE


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to; None = everything in the user's region."""

    township_id: int | None = None
    purpose: str | None = None
    checklist: str | None = None
    tier: str | None = None
    county_id: int | None = None  # a city user's county (narrows the township choices too)

    def args(self) -> dict[str, Any]:
        """The filters as URL query arguments (empty ones left out)."""
        return {k: v for k, v in (("county", self.county_id), ("township", self.township_id), ("purpose", self.purpose),
                                  ("checklist", self.checklist), ("tier", self.tier)) if v}


def parse_filters(args: Mapping[str, str], *, choices: list[Township],
                  checklists: Mapping[str, ChecklistSpec]) -> tuple[Filters, list[str]]:
    """Filters from query arguments; a value the user may not choose is ignored and said so."""
    notes: list[str] = []
    county_id, township_id = _regions(args, choices, notes)
    purpose = (args.get("purpose") or "").strip() or None
    if purpose and purpose not in PURPOSES:
        notes.append(f"没有“{purpose}”这种检查目的，已忽略。")
        purpose = None
    checklist = (args.get("checklist") or "").strip() or None
    if checklist and checklist not in checklists:
        notes.append(f"没有“{checklist}”这份清单，已忽略。")
        checklist = None
    tier = (args.get("tier") or "").strip() or None
    if tier and tier not in (*TIERS, NONE):
        notes.append(f"没有“{tier}”这个申报等级，已忽略。")
        tier = None
    return Filters(township_id, purpose, checklist, tier, county_id), notes


def _regions(args: Mapping[str, str], choices: list[Township], notes: list[str]) -> tuple[int | None, int | None]:
    """The chosen county and township, each checked against the choices. A township outside a
    chosen county is dropped without a note (the user changed the county); one outside the
    user's region is ignored and said so."""
    counties = {r.id for r in choices if r.level == "county"}
    towns = {r.id: r.parent_id for r in choices if r.level == "township"}
    county_id = None
    raw = (args.get("county") or "").strip()
    if raw:
        if raw.isdigit() and int(raw) in counties:
            county_id = int(raw)
        else:
            notes.append("所选区县不在您的管辖范围内，已改为显示全部。")
    township_id = None
    raw = (args.get("township") or "").strip()
    if raw:
        if raw.isdigit() and int(raw) in towns:
            township_id = int(raw)
            if towns[township_id] in counties:
                county_id = towns[township_id]
        elif not (county_id is not None and raw.isdigit()):
            notes.append("所选乡镇（街道）不在您的管辖范围内，已改为显示全部。")
    return county_id, township_id


def scope_of(session: Session, region: Region, filters: Filters) -> Region:
    """The region every site must lie under: the chosen township, else the user's region."""
    if filters.township_id is not None:
        township = session.get(Region, filters.township_id)  # already checked against the choices
        if township is not None and township.path.startswith(region.path):
            return township
    if filters.county_id is not None:
        county = session.get(Region, filters.county_id)  # already checked against the choices
        if county is not None and county.path.startswith(region.path):
            return county
    return region


@dataclass(frozen=True)
class View:
    """What one dashboard request reads: the user's region, the choices offered, the filters."""

    region: Region
    choices: list[Township]
    filters: Filters
    notes: list[str]


def open_view(*, session: Session, user: User, action: str, args: Mapping[str, str],
              checklists: Mapping[str, ChecklistSpec]) -> View:
    """The dashboard as this user may see it for `action` (dashboard, export): rights.Forbidden
    when the role may not, else the region, its choices and the checked filters."""
    rights.require(user, action)
    region = scope.region_of(session=session, user=user)
    choices = townships(session=session, region=region, args=args)
    filters, notes = parse_filters(args, choices=choices, checklists=checklists)
    return View(region, choices, filters, notes)
