"""County dashboard: where the sites of a region stand, what fails most, who must act; Excel out and in.

Every figure comes from a fixed handful of SQL statements, however many sites the region holds
(never a statement per site): one narrow `GROUP BY` over the inspections gives each site's
latest inspection id and latest result id (`max(id)`); the statement that reads each site
once (the map needs them all) carries what the counts need; the most-failed items are a SQL
aggregate. "Latest" follows the filters (purpose, checklist):

- the *latest inspection* (any status) decides a site's status and the action lists;
- the *latest result* (latest inspection that is submitted or later, i.e. not a draft) decides
  scores, the tier reached and the most-failed items, so a new draft does not hide the last result.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Iterator, Mapping, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, bindparam, case, func, literal, or_, select as sa_select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..core import charts
from ..core.checklist import ChecklistSpec
from ..core.scoring import VERDICT_LABELS
from ..models import (LABELS, PURPOSES, SITE_TYPE_LABELS, STATUSES, Answer, ChecklistVersion, Inspection,
                      RectificationTask, Region, Site, User)
from . import sites as site_service

CHINA = ZoneInfo("Asia/Shanghai")
TIERS = site_service.TIERS  # demo, standard, upgrade
NONE = "none"  # status key of a site never inspected (under the filters)
STATUS_KEYS = (NONE, *STATUSES)
MAP_POINT_LIMIT = 2000  # above this many located sites the map draws counted cells, not a circle per site
MAP_LABEL_LIMIT = 40  # township names drawn on the map (those with most located sites)
STATUS_LABELS = {NONE: "未检查", **{s: LABELS[s] for s in STATUSES}}
DONE = tuple(s for s in STATUSES if s != "draft")  # submitted or later
AWAITING = ("submitted", "resubmitted")
# The county's own rules for this dashboard (issue 6), not clauses of the standards; calendar days.
REVIEW_WAIT_DAYS = 5  # a submission listed when it has waited more than 5 days for review
DUE_SOON_DAYS = 5  # an open rectification listed when due within 5 days (or overdue)
LIST_LIMIT = 50  # sites shown per action list (the count is always the full count)
TOP_FAILED = 10
RESULT_WORDS = {"pass": "合格", "fail": "不合格", "na": "不适用", "open": "未查"}
DEFAULT_EXPORT_CHECKLIST = "build-standard"

Village = aliased(Region, name="village")


# ---------------------------------------------------------------- filters

@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to; None = everything in the user's region."""

    township_id: int | None = None
    purpose: str | None = None
    checklist: str | None = None
    tier: str | None = None

    def args(self) -> dict[str, Any]:
        """The filters as URL query arguments (empty ones left out)."""
        return {k: v for k, v in (("township", self.township_id), ("purpose", self.purpose),
                                  ("checklist", self.checklist), ("tier", self.tier)) if v}


class Township(NamedTuple):
    """A township the user may narrow the dashboard to (plain columns: a county has hundreds)."""

    id: int
    name: str
    path: str


def townships(*, session: Session, region: Region) -> list[Township]:
    """Townships inside a region (a township user's region is its own township), by code."""
    rows = session.connection().execute(
        sa_select(Region.id, Region.name, Region.path)
        .where(Region.level == "township", Region.path.startswith(region.path)).order_by(Region.code))
    return [Township(*row) for row in rows]


def parse_filters(args: Mapping[str, str], *, choices: list[Township],
                  checklists: Mapping[str, ChecklistSpec]) -> tuple[Filters, list[str]]:
    """Filters from query arguments; a value the user may not choose is ignored and said so."""
    notes = []
    township_id = None
    raw = (args.get("township") or "").strip()
    if raw:
        allowed = {r.id for r in choices}
        if raw.isdigit() and int(raw) in allowed:
            township_id = int(raw)
        else:
            notes.append("所选乡镇（街道）不在您的管辖范围内，已改为显示全部。")
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
    return Filters(township_id, purpose, checklist, tier), notes


def _scope_path(session: Session, region: Region, filters: Filters) -> str:
    """The region path every site must lie under: the chosen township's, else the user's region."""
    if filters.township_id is not None:
        township = session.get(Region, filters.township_id)  # already checked against the choices
        if township is not None and township.path.startswith(region.path):
            return township.path
    return region.path


def _site_conditions(path: str, filters: Filters) -> list:
    """WHERE conditions on Site and the village region for the scope and the site filters."""
    conditions = [Village.path.startswith(path)]
    if filters.tier == NONE:
        conditions.append(Site.tier_applied.is_(None))
    elif filters.tier:
        conditions.append(Site.tier_applied == filters.tier)
    return conditions


def _latest(path: str, filters: Filters):
    """Subquery: per in-scope site that has a matching inspection, its latest inspection id and
    its latest result id.

    One narrow GROUP BY over the inspections (site and village joined only for the scope):
    `last_id` is the newest inspection, `res_id` the newest that is submitted or later.
    """
    conditions = [*_site_conditions(path, filters)]
    if filters.purpose:
        conditions.append(Inspection.purpose == filters.purpose)
    if filters.checklist:
        conditions.append(Inspection.checklist_version_id.in_(
            sa_select(ChecklistVersion.id).where(ChecklistVersion.checklist_id == filters.checklist)))
    return (sa_select(Inspection.site_id.label("site_id"), func.max(Inspection.id).label("last_id"),
                      func.max(case((Inspection.status.in_(DONE), Inspection.id))).label("res_id"))
            .select_from(Inspection).join(Site, Site.id == Inspection.site_id)
            .join(Village, Village.id == Site.region_id)
            .where(*conditions).group_by(Inspection.site_id).subquery("latest"))


def _per_site(path: str, filters: Filters):
    """Subquery: every in-scope site once, with its latest inspection id and latest result id
    (NULL where no inspection matches the filters)."""
    latest = _latest(path, filters)
    return (sa_select(Site.id.label("site_id"), Site.name.label("name"), Site.lat.label("lat"),
                      Site.lon.label("lon"), Site.site_type.label("site_type"), Site.tier_applied.label("applied"),
                      Village.parent_id.label("township_id"), Village.name.label("village"),
                      Village.code.label("code"), latest.c.last_id, latest.c.res_id)
            .select_from(Site).join(Village, Village.id == Site.region_id)
            .outerjoin(latest, latest.c.site_id == Site.id)
            .where(*_site_conditions(path, filters)).subquery("per_site"))


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


def overview(*, session: Session, region: Region, filters: Filters, today: date,
             specs: Mapping[str, ChecklistSpec], choices: list[Township] | None = None) -> Overview:
    """The dashboard's figures for the sites under `region` (narrowed by the filters): three statements."""
    path = _scope_path(session, region, filters)
    choices = choices if choices is not None else townships(session=session, region=region)
    names = {r.id: r.name for r in choices}
    per_site = _per_site(path, filters)
    conn = session.connection()  # plain rows: the ORM's row handling would cost more than the SQL
    actions = {
        "returned": ActionList("returned", "最近一次检查被退回", "需要补充或整改后重新提交"),
        "awaiting": ActionList("awaiting", f"提交后超过 {REVIEW_WAIT_DAYS} 天未审核", "已提交或已重新提交，等待审核"),
        "tasks": ActionList("tasks", "整改逾期或即将到期", f"整改任务已逾期或 {DUE_SOON_DAYS} 天内到期"),
        "never": ActionList("never", "从未检查", "在所选条件下没有任何检查"),
        "no_coords": ActionList("no_coords", "没有坐标", "无法上图，也无法核对检查位置"),
    }
    data, result_ids = _count_sites(conn, per_site, today=today, names=names, actions=actions)
    data.failed = _failed_items(conn, result_ids, specs)
    _due_tasks(conn, path, filters, today=today, specs=specs, names=names, into=actions["tasks"])
    return data


def _count_sites(conn, per_site, *, today: date, names: dict[int, str],
                 actions: dict[str, ActionList]) -> tuple[Overview, list[int]]:
    """Read every site once: count statuses, tiers and scores, keep the located ones for the map,
    and list the sites needing action; also the ids of the latest results (for the failed items).

    The map needs every located site anyway, so this one statement carries what the counts need;
    the counts are taken column by column (`zip(*rows)`, Counter) rather than row by row.
    """
    last = aliased(Inspection, name="last")
    res = aliased(Inspection, name="res")
    cutoff = datetime.combine(today - timedelta(days=REVIEW_WAIT_DAYS), time(0), tzinfo=CHINA)
    since = func.coalesce(last.submitted_at, last.updated_at)
    reached = case((or_(res.tier.is_(None), res.tier == ""), literal("none")),
                   (res.verdict == "pass", res.tier), else_=literal("below"))
    rows = conn.execute(
        sa_select(per_site.c.site_id, per_site.c.name, per_site.c.lat, per_site.c.lon, per_site.c.applied,
                  per_site.c.township_id, func.coalesce(last.status, literal(NONE)),
                  # only where late; raw, without the UTC type's per-row processing (parsed where shown)
                  type_coerce(case((and_(last.status.in_(AWAITING), since < cutoff), since)), NullType()),
                  reached, res.score, per_site.c.res_id)
        .select_from(per_site).outerjoin(last, last.id == per_site.c.last_id)
        .outerjoin(res, res.id == per_site.c.res_id)
        .order_by(per_site.c.code, per_site.c.site_id)).all()  # fetchall: far cheaper than row by row
    site_ids, site_names, lats, lons, applied, towns, statuses, late, reached_keys, scores, results = (
        zip(*rows) if rows else ((),) * 11)
    by_status = Counter(statuses)
    map_sites = [(lat, lon, status, name, town) for lat, lon, status, name, town
                 in zip(lats, lons, statuses, site_names, towns) if lat is not None and lon is not None]
    for n, (lat, lon, status, since_) in enumerate(zip(lats, lons, statuses, late)):
        if lat is None or lon is None or status == NONE or status == "returned" or since_ is not None:
            site_id, name, town = site_ids[n], site_names[n], names.get(towns[n], "")
            if lat is None or lon is None:
                actions["no_coords"].add(site_id, name, town)
            if status == NONE:
                actions["never"].add(site_id, name, town)
            elif status == "returned":
                actions["returned"].add(site_id, name, town)
            elif since_ is not None:  # submitted or resubmitted before the cutoff
                actions["awaiting"].add(site_id, name, town, lambda s=status, t=since_:
                                        f"{STATUS_LABELS[s]} {(today - _china_date(t)).days} 天")
    bins = charts.bin_counts(score for score in scores if score is not None)
    return Overview(len(rows), {k: by_status.get(k, 0) for k in STATUS_KEYS}, dict(Counter(applied)),
                    dict(Counter(reached_keys)), bins, sum(bins), [], list(actions.values()), map_sites,
                    len(rows) - len(map_sites), names), [i for i in results if i is not None]


def _failed_items(conn, result_ids: list[int], specs: Mapping[str, ChecklistSpec]) -> list[FailedItem]:
    """The items failed in most of the given results, with their text from the checklist.

    The ids travel as one bound value (`_one_of`), so the statement does not compute the latest
    results a second time (PostgreSQL at 20,000 sites, EXPLAIN ANALYZE: 92 → 74 ms).
    """
    if not result_ids:
        return []
    rows = conn.execute(
        sa_select(ChecklistVersion.checklist_id, Answer.item_id, func.count().label("n"))
        .select_from(Answer).join(Inspection, Inspection.id == Answer.inspection_id)
        .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
        .where(Answer.result == "fail", _one_of(conn, Answer.inspection_id, result_ids))
        .group_by(ChecklistVersion.checklist_id, Answer.item_id)
        .order_by(func.count().desc(), ChecklistVersion.checklist_id, Answer.item_id).limit(TOP_FAILED)).all()
    return [FailedItem(checklist_id, item_id, _item_text(specs, checklist_id, item_id), n)
            for checklist_id, item_id, n in rows]


def _one_of(conn, column, ids: list[int]):
    """`column` is one of `ids`, with the ids bound as a single value whatever their number (an IN
    list of 20,000 parameters would pass SQLite's limit): a PostgreSQL array, or a JSON array that
    SQLite's json_each reads."""
    if conn.dialect.name == "postgresql":
        return column == func.any(bindparam("ids", ids, type_=ARRAY(Integer)))
    values = func.json_each(bindparam("ids", json.dumps(ids))).table_valued("value")
    return column.in_(sa_select(values.c.value))


def _item_text(specs: Mapping[str, ChecklistSpec], checklist_id: str, item_id: str) -> str:
    """An item's text from the loaded checklist (its id when the checklist no longer has it)."""
    spec = specs.get(checklist_id)
    item = spec.by_id.get(item_id) if spec is not None else None
    return item.text if item is not None else item_id


def _due_tasks(conn, path: str, filters: Filters, *, today: date, specs: Mapping[str, ChecklistSpec],
               names: dict[int, str], into: ActionList) -> None:
    """Open rectification tasks overdue or due within DUE_SOON_DAYS, earliest first."""
    stmt = (sa_select(Site.id, Site.name, Village.parent_id, RectificationTask.item_id, RectificationTask.due_date,
                      ChecklistVersion.checklist_id, RectificationTask.due_provisional)
            .select_from(RectificationTask).join(Inspection, Inspection.id == RectificationTask.inspection_id)
            .join(ChecklistVersion, ChecklistVersion.id == Inspection.checklist_version_id)
            .join(Site, Site.id == Inspection.site_id).join(Village, Village.id == Site.region_id)
            .where(*_site_conditions(path, filters), RectificationTask.status == "open",
                   RectificationTask.due_date <= today + timedelta(days=DUE_SOON_DAYS))
            .order_by(RectificationTask.due_date, Site.name, RectificationTask.item_id))
    if filters.purpose:
        stmt = stmt.where(Inspection.purpose == filters.purpose)
    if filters.checklist:
        stmt = stmt.where(ChecklistVersion.checklist_id == filters.checklist)
    for site_id, name, township_id, item_id, due, checklist_id, provisional in conn.execute(stmt).all():
        what = _short(_item_text(specs, checklist_id, item_id), 24)
        when = f"逾期 {(today - due).days} 天" if due < today else (
            "今天到期" if due == today else f"{(due - today).days} 天后到期")
        mark = "，暂定：节假日安排未录入" if provisional else ""
        into.add(site_id, name, names.get(township_id, ""), f"{what}：{when}（{due.isoformat()}{mark}）")


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
    sites: list[tuple[float, float, str, str, int | None]]
    columns: tuple[tuple[float, ...], tuple[float, ...], tuple[str, ...]]  # the sites' lats, lons, statuses
    labels: list[charts.MapLabel]
    scale: charts.ScaleBar | None
    counts: dict[str, int]  # points per status
    radius: float

    @property
    def keys(self) -> tuple[str, ...]:
        """The statuses on the map, in legend order."""
        return tuple(k for k in STATUS_KEYS if self.counts.get(k))

    @property
    def binned(self) -> bool:
        """Whether the sites are drawn as cells (too many for a circle each)."""
        return len(self.sites) > MAP_POINT_LIMIT

    def points_markup(self):
        """The points as SVG markup, a title per point with the site's name and status (escaped);
        above MAP_POINT_LIMIT sites, cells with their counts per status instead."""
        labels = STATUS_LABELS
        if self.binned:
            return charts.map_cells_markup(self.projection, zip(*self.columns),
                                           labels=labels, order=STATUS_KEYS)
        return charts.map_points_markup(self.projection, ((lat, lon, status, f"{name}：{labels[status]}")
                                                          for lat, lon, status, name, _t in self.sites),
                                        radius=self.radius)


def site_map(data: Overview) -> SiteMap:
    """Sites on an equirectangular map; the names of the MAP_LABEL_LIMIT townships with most
    located sites at their sites' centroid (a county has fewer; more names would cover the map)."""
    sites = data.map_sites
    lats, lons, statuses, _names, towns = zip(*sites) if sites else ((),) * 5
    projection = charts.project(zip(lats, lons))
    names = data.township_names
    labelled = {t for t, _n in Counter(towns).most_common(MAP_LABEL_LIMIT) if names.get(t)}
    groups: dict[str, list[tuple[float, float]]] = {}
    for lat, lon, town in zip(lats, lons, towns):
        if town in labelled:
            groups.setdefault(names[town], []).append((lat, lon))
    n = len(sites)
    radius = 6 if n <= 200 else 4 if n <= 2000 else 2
    return SiteMap(projection, sites, (lats, lons, statuses), charts.centroid_labels(projection, groups),
                   charts.scale_bar(projection) if sites else None, dict(Counter(statuses)), radius)


# ---------------------------------------------------------------- Excel export

HEADERS = ("乡镇（街道）", "村（社区）", "站点名称", "类型", "申报等级", "检查目的", "检查状态", "得分", "结论", "检查日期")
WIDTHS = (14, 14, 26, 6, 10, 10, 10, 7, 12, 12)


def export_xlsx(*, session: Session, region: Region, filters: Filters, spec: ChecklistSpec, out: IO[bytes]) -> int:
    """Write one row per site (latest inspection on `spec`, one column per item); the number of sites.

    Two statements read in the same order (village code, site id) and are merged as they stream:
    the sites with their latest inspection, and that inspection's answers (for a follow-up, over
    the answers of the inspections it follows up). Only one site's answers
    are held at a time; openpyxl's write-only sheet streams rows to a temporary file.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from ..core.spreadsheet import safe_cell, safe_row
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    filters = Filters(filters.township_id, filters.purpose, spec.id, filters.tier)
    per_site = _per_site(_scope_path(session, region, filters), filters)
    last = aliased(Inspection, name="last")
    township = aliased(Region, name="township")
    order = (per_site.c.code, per_site.c.site_id)
    conn = session.connection()
    site_rows = conn.execute(
        sa_select(per_site.c.site_id, township.name, per_site.c.village, per_site.c.name, per_site.c.site_type,
                  per_site.c.applied, last.id, last.purpose, last.status, last.score, last.verdict, last.tier,
                  func.coalesce(last.submitted_at, last.started_at))
        .select_from(per_site).outerjoin(township, township.id == per_site.c.township_id)
        .outerjoin(last, last.id == per_site.c.last_id)
        .order_by(*order).execution_options(yield_per=2000))
    # A follow-up re-checks only some items; the rest keep the answers of the inspection it follows
    # (perhaps itself a follow-up): walk the chain and let newer answers overwrite older ones.
    chain = (sa_select(per_site.c.site_id.label("site_id"), per_site.c.code.label("code"),
                       per_site.c.last_id.label("member"), literal(0).label("depth"))
             .where(per_site.c.last_id.is_not(None)).cte("chain", recursive=True))
    step = aliased(Inspection, name="step")
    chain = chain.union_all(sa_select(chain.c.site_id, chain.c.code, step.follow_up_of_id, chain.c.depth + 1)
                            .join(step, step.id == chain.c.member).where(step.follow_up_of_id.is_not(None)))
    answer_rows = conn.execute(
        sa_select(chain.c.site_id, Answer.item_id, Answer.result)
        .select_from(chain).join(Answer, Answer.inspection_id == chain.c.member)
        .order_by(chain.c.code, chain.c.site_id, chain.c.depth.desc()).execution_options(yield_per=5000))

    items = spec.items()
    column = {item.id: i for i, item in enumerate(items)}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("站点检查汇总")
    ws.freeze_panes = "A2"
    for i, width in enumerate(WIDTHS + (16,) * len(items), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    header = []
    for text in HEADERS + tuple(f"{item.id} {_short(item.text, 20)}" for item in items):
        cell = WriteOnlyCell(ws, value=safe_cell(text))
        cell.font, cell.alignment = bold, wrap
        header.append(cell)
    ws.append(header)

    answers = _by_site(answer_rows)
    pending = next(answers, None)
    blanks: dict[tuple[str | None, str], list[str]] = {}
    count = 0
    for (site_id, town, village, name, site_type, tier, ins_id, purpose, status, score, verdict, ins_tier,
         when) in site_rows:
        if ins_id is None:
            results = [""] * len(items)
        else:  # unanswered: not applicable to this tier and site type, or not checked
            blank = blanks.get((ins_tier, site_type))
            if blank is None:
                blank = blanks[(ins_tier, site_type)] = ["未查" if item.applies(ins_tier, site_type) else "不适用"
                                                         for item in items]
            results = list(blank)
        if pending is not None and pending[0] == site_id:
            for item_id, res in pending[1]:
                i = column.get(item_id)
                if i is not None:
                    results[i] = RESULT_WORDS.get(res, "未查")
            pending = next(answers, None)
        ws.append(safe_row([town or "", village, name, SITE_TYPE_LABELS.get(site_type, site_type),
                            LABELS.get(tier, "") if tier else "",
                            LABELS.get(purpose, "") if purpose else "", STATUS_LABELS[status] if status else "未检查",
                            score, VERDICT_LABELS.get(verdict, "") if verdict else "",
                            _china_date(when).isoformat() if when else "", *results]))  # no cell runs as a formula
        count += 1
    wb.save(out)
    return count


def _by_site(rows) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """Answer rows (site id, item id, result), already ordered by site, grouped per site."""
    current, bucket = None, []
    for site_id, item_id, res in rows:
        if site_id != current:
            if current is not None:
                yield current, bucket
            current, bucket = site_id, []
        bucket.append((item_id, res))
    if current is not None:
        yield current, bucket


# ---------------------------------------------------------------- Excel / CSV import

IMPORT_HEADERS = ("名称", "类型", "乡镇（街道）", "地址", "纬度", "经度", "申报等级", "代码")
FIELD_LABELS = {"name": "名称", "site_type": "类型", "township": "乡镇（街道）", "address": "地址", "lat": "纬度",
                "lon": "经度", "tier_applied": "申报等级", "code": "代码"}
IMPORT_NOTES = (
    ("名称", "必填。站点名称，如“张庄村党群服务中心”；同一乡镇内不能重名"),
    ("类型", "必填。村 或 社区"),
    ("乡镇（街道）", "必填。所属乡镇（街道）的名称或区划代码，须在您的管辖范围内"),
    ("地址", "选填"),
    ("纬度", "选填。WGS-84 十进制度数（3–54），与经度同时填写"),
    ("经度", "选填。WGS-84 十进制度数（73–136），与纬度同时填写"),
    ("申报等级", "选填。示范村 / 达标村 / 改扩建，或留空"),
    ("代码", "选填。村（社区）区划代码；留空则按乡镇代码自动编号"),
)


@dataclass(frozen=True)
class ImportProblem:
    """One bad cell (or row) of an import file, as shown to the person who uploaded it."""

    row: int
    column: str
    value: str
    reason: str


class ImportRefused(Exception):
    """The file was refused; nothing was stored."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(f"第 {p.row} 行 {p.column}：{p.reason}" for p in problems))


# services.sites.RowError carries a row and a message only; the column is read from the message's
# wording (the messages of services.sites._parse_row and import_rows). A RowError that names its
# column itself (`column`, `value` attributes) is taken at its word.
_MESSAGE_FIELDS = (
    (re.compile(r"^“(\w+)”不能为空"), None),
    (re.compile(r"^类型应为"), "site_type"),
    (re.compile(r"^申报等级应为"), "tier_applied"),
    (re.compile(r"^纬度和经度"), "lat"),
    (re.compile(r"^纬度"), "lat"),
    (re.compile(r"^经度"), "lon"),
    (re.compile(r"^找不到乡镇"), "township"),
    (re.compile(r"已有名为"), "name"),
)


def _problem(error: site_service.RowError, rows: list[dict[str, str]]) -> ImportProblem:
    """An import error with the column and the value it is about."""
    field_ = getattr(error, "column", None)
    if field_ is None:
        for pattern, name in _MESSAGE_FIELDS:
            m = pattern.search(error.message)
            if m:
                field_ = name or m.group(1)
                break
    row = next((r for n, r in enumerate(rows, start=2) if int(r.get("_line") or n) == error.row), {})
    value = getattr(error, "value", None)
    if value is None:
        value = row.get(field_, "") if field_ else ""
        if error.message.startswith("纬度和经度"):
            value = f"{row.get('lat', '')} / {row.get('lon', '')}"
    return ImportProblem(error.row, FIELD_LABELS.get(field_, field_ or "—"), str(value), error.message)


def import_file(*, session: Session, filename: str, data: bytes, by: User, within: Region) -> list[Site]:
    """Create the sites of an uploaded .xlsx or .csv inside a region: all rows or none.

    The file is read by services.sites.read_rows and stored by services.sites.import_rows (the
    same code as `flask sites import`); ImportRefused lists every bad row with its column and value.
    """
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ImportRefused([ImportProblem(0, "文件", filename or "（未选择文件）", "请上传 .xlsx 或 .csv 文件")])
    try:
        rows = site_service.read_rows(f"upload{suffix}", data=data)
    except site_service.ImportError_ as exc:
        raise ImportRefused([_problem(e, []) for e in exc.errors]) from None
    except Exception as exc:  # noqa: BLE001 - a damaged file fails in many ways (zip, XML, CSV); all are "unreadable"
        raise ImportRefused([ImportProblem(0, "文件", filename, f"无法读取文件（{exc.__class__.__name__}），"
                                                               "请确认是 Excel 另存的 .xlsx 或 UTF-8 编码的 .csv")]) from None
    if not rows:
        raise ImportRefused([ImportProblem(2, "—", "", "文件里没有站点（只有表头）")])
    try:
        return site_service.import_rows(session=session, rows=rows, by=by.id, within=within)
    except site_service.ImportError_ as exc:
        raise ImportRefused([_problem(e, rows) for e in exc.errors]) from None


def template_xlsx(out: IO[bytes]) -> None:
    """A blank import workbook: the expected headers, and a second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "站点"
    ws.append(list(IMPORT_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (28, 8, 14, 36, 12, 12, 10, 14)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "说明"])
    for row in IMPORT_NOTES:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 70
    wb.save(out)


def read_bytes(stream: IO[bytes], limit: int) -> bytes:
    """An upload's bytes, refusing more than `limit`."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImportRefused([ImportProblem(0, "文件", "", f"文件超过 {limit // (1024 * 1024)} MB")])
    return data


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

