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


def action_rows(conn, rel, *, cutoff: datetime) -> dict[str, tuple[int, list[tuple]]]:
    """The sites needing action, per list: (total, first LIST_LIMIT (site, name, township,
    status, since)), in one statement (a count and a rank per list over the union)."""
    arms = []
    for key, condition in (("returned", rel.c.status == "returned"),
                           ("awaiting", and_(rel.c.status.in_(AWAITING), rel.c.since < cutoff)),
                           ("never", rel.c.status == summaries.NONE),
                           ("no_coords", or_(rel.c.lat.is_(None), rel.c.lon.is_(None)))):
        arms.append(select(literal(key).label("list"), rel.c.site_id, rel.c.township_id, rel.c.status,
                           rel.c.since, rel.c.code).where(condition))
    every = union_all(*arms).subquery("lists")
    ranked = select(every, func.row_number().over(partition_by=every.c.list,
                                                  order_by=(every.c.code, every.c.site_id)).label("rank"),
                    func.count().over(partition_by=every.c.list).label("total")).subquery("ranked")
    out: dict[str, tuple[int, list[tuple]]] = {}
    for row in conn.execute(select(ranked.c.list, ranked.c.site_id, Site.name, ranked.c.township_id,
                                   ranked.c.status, ranked.c.since, ranked.c.total)
                            .join(Site, Site.id == ranked.c.site_id).where(ranked.c.rank <= LIST_LIMIT)
                            .order_by(ranked.c.list, ranked.c.rank)):
        total, items = out.setdefault(row.list, (row.total, []))
        items.append((row.site_id, row.name, row.township_id, row.status, row.since))
    return out


def due_tasks(conn, path: str, *, tier: str | None, purpose: str | None, checklist: str | None,
              until: date) -> tuple[int, list[tuple]]:
    """Open rectification tasks due by `until`, earliest first: (how many, the first LIST_LIMIT)."""
    village = aliased(Region, name="village")
    stmt = (select(Site.id, Site.name, village.parent_id, RectificationTask.item_id, RectificationTask.due_date,
                   ChecklistVersion.checklist_id, RectificationTask.due_provisional, func.count().over())
            .select_from(RectificationTask).join(Inspection, Inspection.id == RectificationTask.inspection_id)
            .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
            .join(Site, Site.id == Inspection.site_id).join(village, village.id == Site.region_id)
            .where(village.path.startswith(path), RectificationTask.status == "open",
                   RectificationTask.due_date <= until)
            .order_by(RectificationTask.due_date, Site.name, RectificationTask.item_id).limit(LIST_LIMIT))
    if tier == summaries.NONE:
        stmt = stmt.where(Site.tier_applied.is_(None))
    elif tier:
        stmt = stmt.where(Site.tier_applied == tier)
    if purpose:
        stmt = stmt.where(Inspection.purpose == purpose)
    if checklist:
        stmt = stmt.where(ChecklistVersion.checklist_id == checklist)
    rows = conn.execute(stmt).all()
    return (rows[0][-1] if rows else 0), [tuple(r[:-1]) for r in rows]


def review_cutoff(today: date, days: int, zone) -> datetime:
    """The moment before which a submission has waited more than `days` days (China midnight)."""
    return datetime.combine(today - timedelta(days=days), time(0), tzinfo=zone)
