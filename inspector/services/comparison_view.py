"""What a comparison page may show this user: the rights check, the region, the township filter
and the sort (services/comparison.py counts and compares). A refusal is a DomainError: a township
or site outside the user's region answers 404, a role without the right 403 (services/rights.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sqlmodel import Session

from ..core.errors import DomainError
from ..models import Region, Site, User
from . import comparison, rights, scope


class NotShown(DomainError):
    """Nothing of that name in the user's region (404)."""

    status = 404


@dataclass(frozen=True)
class View:
    """The county list as asked: region, its townships, the township chosen, the sort."""

    region: Region
    towns: list[Region]
    township: Region | None
    sort: str
    descending: bool


def open_view(*, session: Session, user: User, args: Mapping[str, str], actions=("compare",)) -> View:
    """The list this user may see (every action in `actions` is required)."""
    for action in actions:
        rights.require(user, action)
    region = scope.region_of(session=session, user=user)
    towns = comparison.townships(session=session, region=region)
    township = None
    raw = (args.get("township") or "").strip()
    if raw:
        township = next((t for t in towns if str(t.id) == raw), None)
        if township is None:
            raise NotShown("没有这个乡镇（街道）")
    sort, descending = comparison.parse_sort(args.get("sort"), args.get("dir"))
    return View(region, towns, township, sort, descending)


def site_view(*, session: Session, user: User, site_id: int,
              checklist_id: str | None) -> tuple[Site, comparison.Comparison | None]:
    """One site in the user's region and its comparison (on a checklist, when one is asked for)."""
    rights.require(user, "compare")
    site = scope.site(session=session, user=user, site_id=site_id)
    if site is None:
        raise NotShown("没有这个站点")
    result = comparison.for_site(session=session, site=site, checklist_id=checklist_id)
    if result is None and checklist_id:
        raise NotShown("这个站点没有该清单的自评与检查")
    return site, result
