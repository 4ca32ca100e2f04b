"""County dashboard: where the sites of a region stand, what fails most, who must act; Excel out and in.

Every figure comes from SQL, in a fixed handful of statements however many sites the region
holds; Python receives counts, at most LIST_LIMIT sites per action list and at most
MAP_POINT_LIMIT points for the map (above it, counted cells), never every site.

- Without a purpose or checklist filter the counts are the stored per-region summaries
  (services/summaries.py, kept current by the workflow) and the lists and the map read the
  stored per-site rows (`site_summary`), narrowed by region level and approved category.
- With a purpose or checklist filter the same per-site state is computed live, from scratch,
  under the filters, and counted by SQL (services/dashboard_queries.py).

"Latest" follows the filters: the *latest inspection* (any status) decides a site's status and
the action lists; the *latest result* (latest inspection that is submitted or later, i.e. not a
draft) decides scores, the tier reached and the most-failed items.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Any, Callable, Mapping
from zoneinfo import ZoneInfo

from collections import Counter
from sqlalchemy import func, or_, select as sa_select
from sqlmodel import Session, select

from ..core import charts
from ..core.checklist import ChecklistSpec
from ..models import LABELS, PURPOSES, STATUSES, Answer, Inspection, RectificationTask, Region
from . import dashboard_export, dashboard_map, dashboard_queries as queries, sites as site_service, summaries
from .dashboard_import import (FIELD_LABELS, IMPORT_HEADERS, IMPORT_NOTES, ImportProblem,  # noqa: F401 - the web's names
                               ImportRefused, import_file, read_bytes, template_xlsx)
from .dashboard_choices import TOWNSHIP_OPTION_LIMIT, Township, townships  # noqa: F401
from .dashboard_map import MAP_LABEL_LIMIT, MAP_POINT_LIMIT  # noqa: F401

CHINA = ZoneInfo("Asia/Shanghai")
TIERS = site_service.TIERS  # demo, standard, upgrade
NONE = summaries.NONE  # status key of a site never inspected (under the filters)
STATUS_KEYS = (NONE, *STATUSES)
STATUS_LABELS = {NONE: "未检查", **{s: LABELS[s] for s in STATUSES}}
AWAITING = ("submitted", "resubmitted")
# The county's own rules for this dashboard (issue 6), not clauses of the standards; calendar days.
REVIEW_WAIT_DAYS = 5  # a submission listed when it has waited more than 5 days for review
DUE_SOON_DAYS = 5  # an open rectification listed when due within 5 days (or overdue)
LIST_LIMIT = queries.LIST_LIMIT  # sites shown per action list (the count is always the full count)
TOP_FAILED = 10
DEFAULT_EXPORT_CHECKLIST = "build-standard"
HEADERS = dashboard_export.HEADERS

# ---------------------------------------------------------------- filters

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


def _scope(session: Session, region: Region, filters: Filters) -> Region:
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


def _china_date(moment: datetime | str | None) -> date | None:
    """The date in China of a stored (UTC) moment (or of its raw SQLite text)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date()



# ---------------------------------------------------------------- the overview

@dataclass(frozen=True)
class SiteRef:
    """A site in an action list: who, where, and why it is listed."""

    site_id: int
    name: str
    township: str
    detail: str = ""


@dataclass
class ActionList:
    """Sites needing one kind of action: the first LIST_LIMIT of them and how many in all."""

    key: str
    title: str
    hint: str
    items: list[SiteRef] = field(default_factory=list)
    total: int = 0

    def add(self, site_id: int, name: str, township: str, detail: Any = "") -> None:
        """Count a site; keep it for display while the list is short (`detail` may be a function
        that makes the text, called only for a site that is shown)."""
        self.total += 1
        if len(self.items) < LIST_LIMIT:
            self.items.append(SiteRef(site_id, name, township, detail() if callable(detail) else detail))


@dataclass(frozen=True)
class FailedItem:
    """An item that failed in many latest results."""

    checklist_id: str
    item_id: str
    text: str
    count: int


@dataclass
class Overview:
    """Everything the dashboard shows for a region under filters."""

    sites: int
    by_status: dict[str, int]
    by_tier_applied: dict[str | None, int]
    by_tier_reached: dict[str, int]  # tier id, or "below" (result at a tier, not passed), "none" (no result)
    score_bins: list[int]
    scored: int
    failed: list[FailedItem]
    actions: list[ActionList]
    map_sites: list[tuple[float, float, str, str, int | None]]  # lat, lon, status, name, township id
    no_coords: int
    township_names: dict[int, str]
    map: dashboard_map.MapData | None = None  # what SQL gave for the map (None: from map_sites)



def overview(*, session: Session, region: Region, filters: Filters, today: date,
             specs: Mapping[str, ChecklistSpec], choices: list[Township] | None = None) -> Overview:
    """The dashboard's figures for the sites under `region` (narrowed by the filters): five statements."""
    scope = _scope(session, region, filters)
    choices = choices if choices is not None else townships(session=session, region=region)
    names = {r.id: r.name for r in choices}
    conn = session.connection()  # plain rows: the ORM's row handling would cost more than the SQL
    if filters.purpose or filters.checklist:
        rel = queries.live(scope.path, filters.tier, filters.purpose, filters.checklist)
        counts = queries.live_counts(conn, rel)
    else:
        rel = queries.stored(scope, filters.tier)
        counts = queries.stored_counts(conn, scope, filters.tier)
    cutoff = queries.review_cutoff(today, REVIEW_WAIT_DAYS, CHINA)
    totals = {"returned": counts.get("status", Counter()).get("returned", 0),
              "never": counts.get("status", Counter()).get(NONE, 0),
              "no_coords": counts.get("located", Counter()).get("no", 0)}
    lists = queries.action_rows(conn, rel, cutoff=cutoff, totals=totals)
    tasks = queries.due_tasks(conn, scope, tier=filters.tier, purpose=filters.purpose,
                              checklist=filters.checklist, until=today + timedelta(days=DUE_SOON_DAYS))
    the_map = dashboard_map.read(conn, rel)
    get = lambda d: counts.get(d, Counter())  # noqa: E731
    bins = [get("score").get(str(k), 0) for k in range(10)]
    return Overview(get("sites").get("all", 0), {k: get("status").get(k, 0) for k in STATUS_KEYS},
                    {(None if k == NONE else k): n for k, n in get("applied").items()}, dict(get("reached")),
                    bins, sum(bins), _failed(get("failed"), specs),
                    _actions(lists, tasks, today=today, specs=specs, names=names), the_map.points,
                    get("located").get("no", 0), {**names, **the_map.names}, the_map)


def _failed(counts: Counter, specs: Mapping[str, ChecklistSpec]) -> list[FailedItem]:
    """The TOP_FAILED items failed in most latest results, with their text from the checklist."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FAILED]
    out = []
    for key, n in top:
        checklist_id, _sep, item_id = key.partition(":")
        out.append(FailedItem(checklist_id, item_id, _item_text(specs, checklist_id, item_id), n))
    return out


def _item_text(specs: Mapping[str, ChecklistSpec], checklist_id: str, item_id: str) -> str:
    """An item's text from the loaded checklist (its id when the checklist no longer has it)."""
    spec = specs.get(checklist_id)
    item = spec.by_id.get(item_id) if spec is not None else None
    return item.text if item is not None else item_id


def _actions(lists, tasks, *, today: date, specs, names: dict[int, str]) -> list[ActionList]:
    """The action lists from SQL's counts and first rows."""
    out = {
        "returned": ActionList("returned", "最近一次检查被退回", "需要补充或整改后重新提交"),
        "awaiting": ActionList("awaiting", f"提交后超过 {REVIEW_WAIT_DAYS} 天未审核", "已提交或已重新提交，等待审核"),
        "tasks": ActionList("tasks", "整改逾期或即将到期", f"整改任务已逾期或 {DUE_SOON_DAYS} 天内到期"),
        "never": ActionList("never", "从未检查", "在所选条件下没有任何检查"),
        "no_coords": ActionList("no_coords", "没有坐标", "无法上图，也无法核对检查位置"),
    }
    for key, (total, rows) in lists.items():
        group = out[key]
        group.total = total
        for site_id, name, town, status, since in rows:
            detail = (f"{STATUS_LABELS[status]} {(today - _china_date(since)).days} 天" if key == "awaiting" else "")
            group.items.append(SiteRef(site_id, name, town or "", detail))
    total, rows = tasks
    out["tasks"].total = total
    for site_id, name, town, item_id, due, checklist_id, provisional in rows:
        what = _short(_item_text(specs, checklist_id, item_id), 24)
        when = f"逾期 {(today - due).days} 天" if due < today else (
            "今天到期" if due == today else f"{(due - today).days} 天后到期")
        mark = "，暂定：节假日安排未录入" if provisional else ""
        out["tasks"].items.append(SiteRef(site_id, name, town or "",
                                          f"{what}：{when}（{due.isoformat()}{mark}）"))
    return list(out.values())


def _short(text: str, limit: int) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------- charts from an overview

def status_chart(data: Overview) -> charts.BarChart:
    """Sites by the status of their latest inspection."""
    return charts.bar_chart([(STATUS_LABELS[k], data.by_status[k], k) for k in STATUS_KEYS],
                            title="站点按最近一次检查的状态")


def tier_applied_chart(data: Overview) -> charts.BarChart:
    """Sites by the tier they applied for."""
    rows = [(LABELS[t], data.by_tier_applied.get(t, 0), t) for t in TIERS]
    rows.append(("未申报", data.by_tier_applied.get(None, 0), "none"))
    return charts.bar_chart(rows, title="站点按申报等级")


def tier_reached_chart(data: Overview) -> charts.BarChart:
    """Sites by the tier their latest result passed at."""
    rows = [(f"达到{LABELS[t]}", data.by_tier_reached.get(t, 0), t) for t in TIERS]
    rows.append(("未达到所查等级", data.by_tier_reached.get("below", 0), "below"))
    rows.append(("尚无分等级结论", data.by_tier_reached.get("none", 0), "none"))
    return charts.bar_chart(rows, title="最近一次已提交检查达到的等级")


def score_histogram(data: Overview) -> charts.Histogram:
    """Latest results' scores in 10-point bins."""
    return charts.histogram(data.score_bins, charts.bin_labels(), title="最近一次已提交检查的得分分布")


def failed_chart(data: Overview) -> charts.BarChart:
    """The most-failed items."""
    return charts.bar_chart([(_short(f.text, 12), f.count, "fail") for f in data.failed],
                            title=f"不合格次数最多的 {TOP_FAILED} 个条目", label_width=200)



@dataclass(frozen=True)
class SiteMap:
    """The map: projection, township labels, scale bar, counts per status; points drawn on demand."""

    projection: charts.Projection
    sites: list[tuple[float, float, str, str, int | None]]  # the points (none when binned)
    labels: list[charts.MapLabel]
    scale: charts.ScaleBar | None
    counts: dict[str, int]  # located sites per status
    radius: float
    located: int = 0
    cells: dict[tuple[int, int, str], int] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The statuses on the map, in legend order."""
        return tuple(k for k in STATUS_KEYS if self.counts.get(k))

    @property
    def binned(self) -> bool:
        """Whether the sites are drawn as cells (too many for a circle each)."""
        return self.cells is not None

    def points_markup(self):
        """The points as SVG markup, a title per point with the site's name and status (escaped);
        above MAP_POINT_LIMIT sites, cells with their counts per status instead (counted by SQL)."""
        labels = STATUS_LABELS
        if self.cells is not None:
            return dashboard_map.cells_markup(self.cells, labels=labels, order=STATUS_KEYS)
        return charts.map_points_markup(self.projection, ((lat, lon, status, f"{name}：{labels[status]}")
                                                          for lat, lon, status, name, _t in self.sites),
                                        radius=self.radius)


def site_map(data: Overview) -> SiteMap:
    """Sites on an equirectangular map; the names of the MAP_LABEL_LIMIT townships with most
    located sites at their sites' centroid (a county has fewer; more names would cover the map)."""
    names = data.township_names
    found = data.map
    if found is None:  # an overview made by hand: its points
        sites = data.map_sites
        found = dashboard_map.MapData(len(sites), _bounds(sites), _town_labels(sites), sites, None)
    projection = dashboard_map.projection_of(found.bounds)
    labels = []
    for town, n, lat, lon in found.labels:
        if names.get(town):
            x, y = projection.xy(lat, lon)
            labels.append(charts.MapLabel(round(x, 1), round(y, 1), names[town], n))
    n = found.located
    radius = 6 if n <= 200 else 4 if n <= 2000 else 2
    return SiteMap(projection, found.points, labels, charts.scale_bar(projection) if n else None,
                   dict(dashboard_map.status_counts(found)), radius, n, found.cells)


def _bounds(sites):
    if not sites:
        return None
    lats, lons = [s[0] for s in sites], [s[1] for s in sites]
    return min(lats), max(lats), min(lons), max(lons), sum(lats) / len(lats)


def _town_labels(sites):
    groups: dict[Any, list[tuple[float, float]]] = {}
    for lat, lon, _status, _name, town in sites:
        groups.setdefault(town, []).append((lat, lon))
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))[:MAP_LABEL_LIMIT]
    return [(t, len(p), sum(a for a, _b in p) / len(p), sum(b for _a, b in p) / len(p)) for t, p in ranked]


# ---------------------------------------------------------------- Excel export

def export_xlsx(*, session: Session, region: Region, filters: Filters, spec: ChecklistSpec, out: IO[bytes] | str,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Write one row per site (latest inspection on `spec`, a column per item, the subsidy, the
    measured values), streamed in constant memory (services/dashboard_export.py); the number of sites."""
    scope = _scope(session, region, filters)
    conn = session.connection()
    total = dashboard_export.count_sites(conn, scope.path, filters.tier) if progress else None
    return dashboard_export.write(conn, path=scope.path, tier=filters.tier, purpose=filters.purpose, spec=spec,
                                  out=out, progress=progress, total=total)


# ---------------------------------------------------------------- demo data

def demo(*, session: Session, today: date) -> dict[str, int]:
    """Give the demo county something to act on (idempotent): two sites whose latest inspection
    has waited 8 days for review, and rectification tasks on the returned inspection's failed items, one overdue and
    one due in 3 days. Returns what was changed."""
    back_dated = tasks = 0
    waiting_since = datetime.combine(today - timedelta(days=8), time(10), tzinfo=CHINA)
    newest = sa_select(func.max(Inspection.id)).group_by(Inspection.site_id)
    recent = datetime.combine(today - timedelta(days=REVIEW_WAIT_DAYS), time(0), tzinfo=CHINA)
    for ins in session.exec(select(Inspection).where(Inspection.status == "submitted", Inspection.id.in_(newest),
                                                     or_(Inspection.submitted_at.is_(None),
                                                         Inspection.submitted_at >= recent))
                            .order_by(Inspection.id).limit(2)):
        ins.submitted_at = waiting_since
        session.add(ins)
        back_dated += 1
    returned = session.exec(select(Inspection).where(Inspection.status == "returned").order_by(Inspection.id)).first()
    if returned is not None:
        failed = session.exec(select(Answer.item_id).where(Answer.inspection_id == returned.id,
                                                           Answer.result == "fail").order_by(Answer.id)).all()
        have = set(session.exec(select(RectificationTask.item_id)
                                .where(RectificationTask.inspection_id == returned.id)).all())
        for item_id, due in zip(failed[:2], (today - timedelta(days=2), today + timedelta(days=3))):
            if item_id not in have:
                session.add(RectificationTask(inspection_id=returned.id, item_id=item_id, due_date=due))
                tasks += 1
    session.flush()
    return {"back_dated": back_dated, "tasks": tasks}


