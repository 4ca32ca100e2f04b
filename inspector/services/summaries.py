"""Per-site state and per-region counts for the dashboard, kept current by the workflow.

`site_summary` holds one row per site: its latest inspection's status, its latest result (reached
tier, verdict, score) and the ids of the regions above it. `site_failed` holds the items failed
in that latest result. `region_summary` counts the sites of every region at every level (village,
township, county, city) per approved category, per dimension and key.

One statement computes a site's state from scratch (`states`): the rebuild runs it over every
site in one set-based INSERT … SELECT, `refresh_site` over one site inside the transaction that
changed it (then moves that site's counts from its old keys to its new ones in every region
above it), and the dashboard's filtered views (purpose, checklist) run it live. The same SQL
everywhere, so the stored summary is what a recount gives (tests/test_summaries.py).

`refresh_site` is called by the service functions that change what a site's state reads: a new
inspection (`inspections.start`), submit, return, approve, reject, accept (`workflow._move`), a
site's category (`sites.set_category`), a new site. An answer saved on a draft changes nothing
here; one saved on a returned inspection (the latest result) counts at its resubmission.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import and_, case, delete, event, func, insert, inspect, literal, or_, select, union_all
from sqlalchemy.orm import Session as OrmSession, aliased
from sqlmodel import Session

from ..core import words
from ..models import (LABELS, STATUSES, Answer, ChecklistVersion, Inspection, Region, RegionSummary, Site, SiteFailed,
                      SiteSummary)

NONE = "none"
STATUS_LABELS = {NONE: words.NEVER_INSPECTED, **{s: LABELS[s] for s in STATUSES}}  # a site's status in words
DONE = tuple(s for s in STATUSES if s != "draft")  # submitted or later: a result
AWAITING = ("submitted", "resubmitted")
LEVEL_COLUMNS = ("village_id", "township_id", "county_id", "city_id")
DIMENSIONS = ("sites", "status", "reached", "verdict", "score", "located")  # and "failed"
SS = SiteSummary.__table__
RS = RegionSummary.__table__
SF = SiteFailed.__table__


def _latest(conditions: list, purpose: str | None = None, checklist: str | None = None):
    """Per site with a matching inspection: its latest inspection id and latest result id."""
    where = list(conditions)
    if purpose:
        where.append(Inspection.purpose == purpose)
    if checklist:
        where.append(Inspection.checklist_version_id.in_(
            select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == checklist)))
    village = aliased(Region, name="lv")
    return (select(Inspection.site_id.label("site_id"), func.max(Inspection.id).label("last_id"),
                   func.max(case((Inspection.status.in_(DONE), Inspection.id))).label("res_id"))
            .select_from(Inspection).join(Site, Site.id == Inspection.site_id)
            .join(village, village.id == Site.region_id)
            .where(*[c(village) if callable(c) else c for c in where]).group_by(Inspection.site_id)
            .subquery("latest"))


def _at(level: str, *parents):
    """The id of the first ancestor at `level` among the village's parent, grandparent, …"""
    return case(*[(p.level == level, p.id) for p in parents])


def _score_bin(score):
    """The 10-point bin of a score as text ("0".."9"; 100 in "9"), as charts.bin_counts counts."""
    whens = [(score < 10 * (k + 1), literal(str(k))) for k in range(9)]
    return case((score.is_(None), literal(NONE)), (or_(score < 0, score > 100), literal(NONE)), *whens,
                else_=literal("9"))


def states(*conditions, purpose: str | None = None, checklist: str | None = None):
    """SELECT of the site_summary columns computed from scratch for the sites matching
    `conditions` (on Site, or callables taking the village alias), under the filters."""
    village = aliased(Region, name="village")
    p1, p2, p3 = (aliased(Region, name=f"p{k}") for k in (1, 2, 3))
    latest = _latest(list(conditions), purpose, checklist)
    last = aliased(Inspection, name="last")
    res = aliased(Inspection, name="res")
    reached = case((res.id.is_(None), literal(NONE)), (or_(res.tier.is_(None), res.tier == ""), literal(NONE)),
                   (res.verdict == "pass", res.tier), else_=literal("below"))
    columns = (Site.id.label("site_id"), village.id.label("village_id"),
               _at("township", p1).label("township_id"), _at("county", p1, p2).label("county_id"),
               _at("city", p1, p2, p3).label("city_id"), village.code.label("code"),
               func.coalesce(Site.tier_applied, literal(NONE)).label("applied"),
               func.coalesce(last.status, literal(NONE)).label("status"), latest.c.last_id, latest.c.res_id,
               case((last.status.in_(AWAITING), func.coalesce(last.submitted_at, last.updated_at))).label("since"),
               reached.label("reached"),
               case((res.id.is_(None), literal(NONE)), else_=func.coalesce(res.verdict, literal(NONE))).label("verdict"),
               res.score.label("score"), _score_bin(res.score).label("score_bin"), Site.lat, Site.lon)
    return (select(*columns).select_from(Site).join(village, village.id == Site.region_id)
            .outerjoin(p1, p1.id == village.parent_id).outerjoin(p2, p2.id == p1.parent_id)
            .outerjoin(p3, p3.id == p2.parent_id)
            .outerjoin(latest, latest.c.site_id == Site.id).outerjoin(last, last.id == latest.c.last_id)
            .outerjoin(res, res.id == latest.c.res_id)
            .where(*[c(village) if callable(c) else c for c in conditions]))


def failed_of(result_ids):
    """SELECT (site_id, item_key) of the failed answers of the given results (a column of ids)."""
    return (select(Inspection.site_id, (ChecklistVersion.checklist_id + ":" + Answer.item_id).label("item_key"))
            .select_from(Answer).join(Inspection, Inspection.id == Answer.inspection_id)
            .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
            .where(Answer.result == "fail", Answer.inspection_id.in_(result_ids)))


# ---------------------------------------------------------------- one site, in the changing transaction

def _contributions(row, failed: list[str]) -> Counter:
    """What one site adds to each region above it: (region, applied, dimension, key) → 1."""
    if row is None:
        return Counter()
    keys = [("sites", "all"), ("status", row.status), ("reached", row.reached), ("verdict", row.verdict),
            ("score", row.score_bin), ("located", "yes" if row.lat is not None and row.lon is not None else "no")]
    keys += [("failed", k) for k in failed]
    regions = [getattr(row, c) for c in LEVEL_COLUMNS if getattr(row, c) is not None]
    return Counter((r, row.applied, d, k) for r in regions for d, k in keys)


def refresh_site(session: Session, site_id: int) -> None:
    """Recompute one site's summary row and failed items, and move its counts in every region
    above it from the old keys to the new ones: inside the caller's transaction (the caller
    commits), so the summary changes with the change or not at all."""
    refresh_sites(session, [site_id])


def refresh_sites(session: Session, site_ids, *, chunk: int = 500) -> None:
    """refresh_site for many sites (an import), a chunk of sites per statement."""
    ids = sorted(set(site_ids))
    conn = session.connection()
    for i in range(0, len(ids), chunk):
        _refresh(conn, ids[i:i + chunk])


def _refresh(conn, ids: list[int]) -> None:
    """Replace the summary rows of these sites by a recount and apply the difference per region."""
    if conn.dialect.name == "postgresql":
        # Two changes of one site apply their deltas one after the other: the site rows are the lock
        # (they always exist, unlike a summary row the other change deletes and inserts again). NO KEY
        # UPDATE, so it does not wait on the key-share lock of an inspection just inserted for the site.
        conn.execute(select(Site.id).where(Site.id.in_(ids)).order_by(Site.id).with_for_update(key_share=True))
    old = {r.site_id: r for r in conn.execute(select(SS).where(SS.c.site_id.in_(ids)))}
    new = {r.site_id: r for r in conn.execute(states(Site.id.in_(ids)))}
    old_failed, new_failed = _grouped(conn.execute(select(SF).where(SF.c.site_id.in_(ids)))), {}
    results = [r.res_id for r in new.values() if r.res_id is not None]
    if results:
        new_failed = _grouped(conn.execute(failed_of(results)))
    delta = Counter()
    for site_id in ids:
        delta.update(_contributions(new.get(site_id), new_failed.get(site_id, [])))
        delta.subtract(_contributions(old.get(site_id), old_failed.get(site_id, [])))
    if old:
        conn.execute(delete(SS).where(SS.c.site_id.in_(list(old))))
    if new:
        conn.execute(insert(SS), [dict(r._mapping) for r in new.values()])
    changed = [i for i in ids if old_failed.get(i, []) != new_failed.get(i, [])]
    if changed:
        conn.execute(delete(SF).where(SF.c.site_id.in_(changed)))
        rows = [{"site_id": i, "item_key": k} for i in changed for k in new_failed.get(i, [])]
        if rows:
            conn.execute(insert(SF), rows)
    _apply(conn, {k: n for k, n in delta.items() if n})


def _grouped(rows) -> dict[int, list[str]]:
    """(site_id, item_key) rows as sorted item keys per site."""
    out: dict[int, list[str]] = {}
    for site_id, key in rows:
        out.setdefault(site_id, []).append(key)
    return {k: sorted(v) for k, v in out.items()}


def _apply(conn, delta: dict[tuple, int]) -> None:
    """Add the deltas to region_summary (upsert), in key order (no two transactions deadlock)."""
    if not delta:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(RS)
    stmt = stmt.on_conflict_do_update(index_elements=["region_id", "applied", "dimension", "key"],
                                      set_={"n": RS.c.n + stmt.excluded.n})
    conn.execute(stmt, [{"region_id": r, "applied": a, "dimension": d, "key": k, "n": n}
                        for (r, a, d, k), n in sorted(delta.items())])


# ---------------------------------------------------------------- everything, set-based

def rebuild(session: Session) -> dict[str, int]:
    """Recompute every summary from scratch, in set-based statements; counts of rows written."""
    return rebuild_on(session.connection())


def rebuild_on(conn) -> dict[str, int]:
    """rebuild() on a connection (the migration that adds the tables fills them this way)."""
    for table in (RS, SF, SS):
        conn.execute(delete(table))
    cols = [c.name for c in SS.columns]
    conn.execute(insert(SS).from_select(cols, states()))
    conn.execute(insert(SF).from_select(["site_id", "item_key"], failed_of(
        select(SS.c.res_id).where(SS.c.res_id.is_not(None)))))
    for column in LEVEL_COLUMNS:
        conn.execute(insert(RS).from_select(["region_id", "applied", "dimension", "key", "n"],
                                            _region_counts(getattr(SS.c, column))))
    counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (SS, SF, RS)}
    return counts


def _region_counts(region):
    """SELECT (region, applied, dimension, key, n) of every dimension for one level's column."""
    located = case((and_(SS.c.lat.is_not(None), SS.c.lon.is_not(None)), literal("yes")), else_=literal("no"))
    arms = [select(region.label("region_id"), SS.c.applied, literal(d).label("dimension"), key.label("key"))
            .where(region.is_not(None))
            for d, key in (("sites", literal("all")), ("status", SS.c.status), ("reached", SS.c.reached),
                           ("verdict", SS.c.verdict), ("score", SS.c.score_bin), ("located", located))]
    arms.append(select(region.label("region_id"), SS.c.applied, literal("failed").label("dimension"),
                       SF.c.item_key.label("key"))
                .select_from(SF).join(SS, SS.c.site_id == SF.c.site_id).where(region.is_not(None)))
    every = union_all(*arms).subquery("contrib")
    return (select(every.c.region_id, every.c.applied, every.c.dimension, every.c.key,
                   func.count().label("n"))
            .group_by(every.c.region_id, every.c.applied, every.c.dimension, every.c.key))


def differences(session: Session) -> list[str]:
    """Where the stored summaries differ from a recount from scratch (empty when they agree)."""
    conn = session.connection()
    stored_sites = {r.site_id: tuple(r) for r in conn.execute(select(SS))}
    fresh_sites = {r.site_id: tuple(r) for r in conn.execute(states())}
    out = [f"site {k}: stored {stored_sites.get(k)} ≠ recount {fresh_sites.get(k)}"
           for k in sorted(set(stored_sites) | set(fresh_sites), key=int)
           if _norm(stored_sites.get(k)) != _norm(fresh_sites.get(k))]
    fresh_failed = Counter()
    ids = [v[9] for v in fresh_sites.values() if v[9] is not None]
    if ids:
        fresh_failed = Counter(tuple(r) for r in conn.execute(failed_of(ids)))
    stored_failed = Counter(tuple(r) for r in conn.execute(select(SF.c.site_id, SF.c.item_key)))
    if fresh_failed != stored_failed:
        out.append(f"failed items: stored {sorted(stored_failed - fresh_failed)} recount "
                   f"{sorted(fresh_failed - stored_failed)}")
    stored = Counter({tuple(r[:4]): r[4] for r in conn.execute(select(RS)) if r[4]})
    fresh = Counter()
    for column in LEVEL_COLUMNS:
        fresh.update({tuple(r[:4]): r[4] for r in conn.execute(
            _region_counts(getattr(SS.c, column))) if r[4]})
    if stored != fresh:
        out.append(f"region counts: stored only {sorted((stored - fresh).items())[:10]}, "
                   f"recount only {sorted((fresh - stored).items())[:10]}")
    return out


def _norm(row):
    """A summary row comparable across a stored and a recomputed read (moments to UTC, floats rounded)."""
    if row is None:
        return None
    out = []
    for v in row:
        if isinstance(v, datetime):
            v = v.replace(tzinfo=None) if v.tzinfo is None else v.astimezone(timezone.utc).replace(tzinfo=None)
        elif isinstance(v, float):
            v = round(v, 6)
        out.append(v)
    return tuple(out)


# ---------------------------------------------------------------- the workflow's hook

WATCH_SITE = ("tier_applied", "lat", "lon", "region_id")  # category, position, place
WATCH_INSPECTION = ("status", "submitted_at")  # submit, return, approve, reject, accept, back-dating
WATCH_RESULT = ("score", "verdict", "tier")  # a result's decision (not a draft's: drafts count by status only)


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def changed_sites(session: Session) -> set[int]:
    """The sites whose summary a flush changes: a new site or inspection, a site's category,
    position or village, an inspection's status or submission, a result's decision."""
    ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Site):
            ids.add(obj.id)
        elif isinstance(obj, Inspection):
            ids.add(obj.site_id)
    for obj in session.dirty:
        if isinstance(obj, Site) and _changed(obj, WATCH_SITE):
            ids.add(obj.id)
        elif isinstance(obj, Inspection) and (_changed(obj, WATCH_INSPECTION) or (
                obj.status != "draft" and _changed(obj, WATCH_RESULT))):
            ids.add(obj.site_id)
    for obj in session.deleted:
        if isinstance(obj, Inspection):
            ids.add(obj.site_id)
    return ids - {obj.id for obj in session.deleted if isinstance(obj, Site)} - {None}


@event.listens_for(OrmSession, "before_flush")
def _forget_deleted_sites(session, _ctx, _instances) -> None:
    """A site being deleted leaves the summaries first (its rows reference it)."""
    gone = [obj.id for obj in session.deleted if isinstance(obj, Site) and obj.id is not None]
    if gone:
        conn = session.connection()
        old = list(conn.execute(select(SS).where(SS.c.site_id.in_(gone))))
        failed = _grouped(conn.execute(select(SF).where(SF.c.site_id.in_(gone))))
        delta = Counter()
        for row in old:
            delta.subtract(_contributions(row, failed.get(row.site_id, [])))
        conn.execute(delete(SF).where(SF.c.site_id.in_(gone)))
        conn.execute(delete(SS).where(SS.c.site_id.in_(gone)))
        _apply(conn, {k: n for k, n in delta.items() if n})


@event.listens_for(OrmSession, "after_flush")
def _refresh_after_flush(session, _ctx) -> None:
    """refresh_site for every site the flush changed, in the same transaction."""
    ids = changed_sites(session)
    if ids:
        refresh_sites(session, ids)
