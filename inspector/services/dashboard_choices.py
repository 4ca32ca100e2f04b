"""The dashboard's region filter: which counties and townships a user may narrow it to.

A county offers its townships (hundreds at most). A city of 200,000 sites has some 10,000
townships, too many for one list: when a region holds more than TOWNSHIP_OPTION_LIMIT
townships it offers its counties, and the townships of the chosen county (or of the chosen
township's county). One statement either way; a plain GET form still works without script
(choose a county, press 筛选, then a township).
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from ..models import Region

TOWNSHIP_OPTION_LIMIT = 300  # above this many townships a region offers its counties first


class Township(NamedTuple):
    """A county or township the user may narrow the dashboard to (plain columns)."""

    id: int
    name: str
    path: str
    level: str = "township"
    parent_id: int | None = None


def _number(args: Mapping[str, str] | None, key: str) -> int | None:
    raw = str((args or {}).get(key) or "").strip()
    return int(raw) if raw.isdigit() and int(raw) < 2 ** 31 else None  # an id, never past the column's range


def _city(region: Region, county_id: int | None, township_id: int | None):
    """Counties of a city, and the townships to offer: all of them when there are at most
    TOWNSHIP_OPTION_LIMIT, else those of the chosen county (or of the chosen township's county).
    Townships are found by their parent (the city or one of its counties: an index lookup each),
    and the count is a one-time condition of its own, so a city of 10,000 townships reads none
    of them unless one county's are asked for."""
    columns = (Region.id, Region.name, Region.path, Region.level, Region.parent_id)
    county_ids = select(Region.id).where(Region.parent_id == region.id, Region.level == "county")
    parents = union_all(county_ids, select(literal(region.id)))
    under = select(*columns).where(Region.level == "township", Region.parent_id.in_(parents))
    county_rows = select(*columns).where(Region.parent_id == region.id, Region.level == "county")
    if county_id is not None:
        arms = [county_rows, under.where(Region.parent_id == county_id)]
    else:
        inner = aliased(Region, name="counted")
        many = (select(func.count()).select_from(inner)
                .where(inner.level == "township", inner.parent_id.in_(parents)).scalar_subquery())
        own = aliased(Region, name="chosen")
        parent = select(own.parent_id).where(own.id == (township_id if township_id is not None else -1))
        arms = [county_rows, under.where(many <= TOWNSHIP_OPTION_LIMIT),
                under.where(many > TOWNSHIP_OPTION_LIMIT, Region.parent_id.in_(parent))]
    both = union_all(*arms).subquery("choices")
    return select(both).order_by(both.c.level, both.c.path)


def townships(*, session: Session, region: Region, args: Mapping[str, str] | None = None) -> list[Township]:
    """The counties and townships a user in `region` may filter by (a township user's region is
    its own township), by code: found down the parent links (indexed), not by a path pattern."""
    query = select(Region.id, Region.name, Region.path, Region.level, Region.parent_id) \
        .where(Region.level == "township")
    if region.level == "township":
        query = query.where(Region.id == region.id)
    elif region.level == "county":
        query = query.where(Region.parent_id == region.id)
    elif region.level == "city":
        query = _city(region, _number(args, "county"), _number(args, "township"))
    else:
        query = query.where(Region.path.startswith(region.path))
    if region.level != "city":
        query = query.order_by(Region.code)
    return [Township(*row) for row in session.connection().execute(query)]
