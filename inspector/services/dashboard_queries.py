"""The dashboard's SQL: counts, the most-failed items, the sites needing action.

Two sources with the same columns (services/summaries.py): the stored `site_summary` rows (kept
current by the workflow) with the per-region counts of `region_summary`, for the dashboard
without a purpose or checklist filter; or the same state computed live (`summaries.states`)
when a purpose or checklist narrows it. Either way the counting is SQL's (GROUP BY, count(*)
OVER ()), and Python receives counts and at most LIST_LIMIT sites per list.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from ..models import ChecklistVersion, Inspection, RectificationTask, Region, RegionSummary, Site, SiteSummary
from . import summaries

LIST_LIMIT = 50  # sites shown per action list (the count is always the full count)
AWAITING = ("submitted", "resubmitted")
SS = SiteSummary.__table__
Village = aliased(Region, name="lv_site")
Town = aliased(Region, name="lv_town")
RS = RegionSummary.__table__
LEVEL_COLUMN = {"village": "village_id", "township": "township_id", "county": "county_id", "city": "city_id"}


def stored(scope: Region, tier: str | None):
    """The stored summary rows of the sites under `scope` (a subquery), narrowed to a category."""
    column = getattr(SS.c, LEVEL_COLUMN.get(scope.level, "village_id"))
    query = select(SS).where(column == scope.id)
    if tier:
        query = query.where(SS.c.applied == tier)
    return query.subquery("rel")


def live(path: str, tier: str | None, purpose: str | None, checklist: str | None):
    """The same rows computed from scratch for the sites under `path`, under every filter."""
    conditions: list[Any] = [lambda village: village.path.startswith(path)]
    if tier == summaries.NONE:
        conditions.append(Site.tier_applied.is_(None))
    elif tier:
        conditions.append(Site.tier_applied == tier)
    return summaries.states(*conditions, purpose=purpose, checklist=checklist).subquery("rel")


def stored_counts(conn, scope: Region, tier: str | None) -> dict[str, Counter]:
    """Counts per dimension and key for a region: one statement over region_summary."""
    query = (select(RS.c.applied, RS.c.dimension, RS.c.key, func.sum(RS.c.n))
             .where(RS.c.region_id == scope.id).group_by(RS.c.applied, RS.c.dimension, RS.c.key))
    if tier:
        query = query.where(RS.c.applied == tier)
    out: dict[str, Counter] = {}
    for applied, dimension, key, n in conn.execute(query):
        if n:
            out.setdefault(dimension, Counter())[key] += int(n)
            if dimension == "sites":
                out.setdefault("applied", Counter())[applied] += int(n)
    return out


def live_counts(conn, rel) -> dict[str, Counter]:
    """The same counts over a live relation: one GROUP BY, plus one for the failed items."""
    located = and_(rel.c.lat.is_not(None), rel.c.lon.is_not(None))
    from sqlalchemy import case
    loc = case((located, literal("yes")), else_=literal("no"))
    keys = (rel.c.applied, rel.c.status, rel.c.reached, rel.c.verdict, rel.c.score_bin, loc)
    out: dict[str, Counter] = {}
    for applied, status, reached, verdict, score_bin, where, n in conn.execute(
            select(*keys, func.count()).group_by(*keys)):
        for dimension, key in (("sites", "all"), ("applied", applied), ("status", status), ("reached", reached),
                               ("verdict", verdict), ("score", score_bin), ("located", where)):
            out.setdefault(dimension, Counter())[key] += n
    failed = summaries.failed_of(select(rel.c.res_id).where(rel.c.res_id.is_not(None))).subquery("failed")
    out["failed"] = Counter({k: n for k, n in conn.execute(
        select(failed.c.item_key, func.count()).group_by(failed.c.item_key)
        .order_by(func.count().desc(), failed.c.item_key).limit(10))})
    return out


def action_rows(conn, rel, *, cutoff: datetime, totals: dict[str, int]) -> dict[str, tuple[int, list[tuple]]]:
    """The sites needing action, per list: (total, first LIST_LIMIT (site, name, township,
    status, since)), in one statement: each list read in the dashboard's order up to its limit
    (an index range on PostgreSQL), with the count of late submissions; the other totals are
    the summary's counts (`totals`: returned, never, no_coords)."""
    arms = []
    late = and_(rel.c.status.in_(AWAITING), rel.c.since < cutoff)
    for key, condition in (("returned", rel.c.status == "returned"), ("awaiting", late),
                           ("never", rel.c.status == summaries.NONE),
                           ("no_coords", or_(rel.c.lat.is_(None), rel.c.lon.is_(None)))):
        arms.append(select(literal(key).label("list"), rel.c.site_id, rel.c.status, rel.c.since, rel.c.code)
                    .where(condition).order_by(rel.c.code, rel.c.site_id).limit(LIST_LIMIT).subquery(key))
    every = union_all(*[select(a) for a in arms]).subquery("lists")
    count = select(func.count()).select_from(rel).where(late).scalar_subquery()
    out: dict[str, tuple[int, list[tuple]]] = {key: (totals.get(key, 0), []) for key in
                                               ("returned", "awaiting", "never", "no_coords")}
    for row in conn.execute(select(every.c.list, every.c.site_id, Site.name, Town.name.label("town"), every.c.status,
                                   every.c.since, count.label("late"))
                            .join(Site, Site.id == every.c.site_id).join(Village, Village.id == Site.region_id)
                            .outerjoin(Town, Town.id == Village.parent_id)
                            .order_by(every.c.list, every.c.code, every.c.site_id)):
        out[row.list][1].append((row.site_id, row.name, row.town, row.status, row.since))
        out["awaiting"] = (row.late, out["awaiting"][1])
    return out


def due_tasks(conn, scope: Region, *, tier: str | None, purpose: str | None, checklist: str | None,
              until: date) -> tuple[int, list[tuple]]:
    """Open rectification tasks due by `until`, earliest first (then in the dashboard's order, by
    village code): (how many, the first LIST_LIMIT), in one statement. The tasks in scope (`due`:
    open tasks whose site's summary row lies in the region) are counted and the first LIST_LIMIT
    taken from them; only those are joined to their names and places."""
    due = _due(scope, tier=tier, purpose=purpose, checklist=checklist, until=until).cte("due")
    total = select(func.count()).select_from(due).scalar_subquery()
    first = (select(due).order_by(due.c.due_date, due.c.code, due.c.site_id, due.c.item_id).limit(LIST_LIMIT)
             .subquery("first"))
    village, town = aliased(Region, name="village"), aliased(Region, name="town")
    rows = conn.execute(
        select(first.c.site_id, Site.name, town.name, first.c.item_id, first.c.due_date,
               ChecklistVersion.checklist_id, first.c.due_provisional, total.label("total"))
        .select_from(first).join(ChecklistVersion, ChecklistVersion.id == first.c.version_id)
        .join(Site, Site.id == first.c.site_id).join(village, village.id == Site.region_id)
        .outerjoin(town, town.id == village.parent_id)
        .order_by(first.c.due_date, first.c.code, first.c.site_id, first.c.item_id)).all()
    return (rows[0][-1] if rows else 0), [tuple(r[:-1]) for r in rows]


def _due(scope: Region, *, tier: str | None, purpose: str | None, checklist: str | None, until: date):
    """SELECT of the open tasks due by `until` of the sites in scope (by the summary's region
    column and approved category: indexes, not a path pattern), under the filters."""
    in_scope = getattr(SS.c, LEVEL_COLUMN.get(scope.level, "village_id")) == scope.id
    task = RectificationTask
    stmt = (select(task.item_id, task.due_date, task.due_provisional, Inspection.site_id, SS.c.code,
                   Inspection.checklist_version_id.label("version_id"))
            .select_from(task).join(Inspection, Inspection.id == task.inspection_id)
            .join(SS, SS.c.site_id == Inspection.site_id)
            .where(in_scope, task.status == "open", task.due_date <= until))
    if tier:
        stmt = stmt.where(SS.c.applied == tier)  # the summary's category: "none" when none was approved
    if purpose:
        stmt = stmt.where(Inspection.purpose == purpose)
    if checklist:
        stmt = stmt.where(Inspection.checklist_version_id.in_(
            select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == checklist)))
    return stmt


def review_cutoff(today: date, days: int, zone) -> datetime:
    """The moment before which a submission has waited more than `days` days (China midnight)."""
    return datetime.combine(today - timedelta(days=days), time(0), tzinfo=zone)
