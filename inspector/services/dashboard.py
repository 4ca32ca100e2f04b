"""County dashboard: where the sites of a region stand, what fails most, who must act; Excel out and in.

One job per module: the filters and the rights check (dashboard_filters.open_view), the region
choices (dashboard_choices), the SQL (dashboard_queries, dashboard_map), the overview here, its
charts and map (dashboard_charts), the Excel export (dashboard_export) and import
(dashboard_import); this module re-exports the names the web layer and the jobs use.

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
from datetime import date, timedelta
from typing import IO, Any, Callable, Mapping

from collections import Counter
from sqlmodel import Session

from ..core import clock
from ..core.checklist import ChecklistSpec
from ..models import Region
from . import dashboard_export, dashboard_map, dashboard_queries as queries
from .dashboard_charts import (STATUS_KEYS, STATUS_LABELS, TIERS, TOP_FAILED, SiteMap, failed_chart,  # noqa: F401
                               score_histogram, short, site_map, status_chart, tier_applied_chart, tier_reached_chart)
from .dashboard_choices import TOWNSHIP_OPTION_LIMIT, Township, townships  # noqa: F401
from .dashboard_filters import NONE, Filters, View, open_view, parse_filters, scope_of  # noqa: F401
from .dashboard_import import (FIELD_LABELS, IMPORT_HEADERS, IMPORT_NOTES, ImportProblem,  # noqa: F401 - the web's names
                               ImportRefused, import_file, import_region, read_bytes, template_xlsx)
from .dashboard_map import MAP_LABEL_LIMIT, MAP_POINT_LIMIT  # noqa: F401

AWAITING = ("submitted", "resubmitted")
# The county's own rules for this dashboard (issue 6), not clauses of the standards; calendar days.
REVIEW_WAIT_DAYS = 5  # a submission listed when it has waited more than 5 days for review
DUE_SOON_DAYS = 5  # an open rectification listed when due within 5 days (or overdue)
LIST_LIMIT = queries.LIST_LIMIT  # sites shown per action list (the count is always the full count)
DEFAULT_EXPORT_CHECKLIST = "build-standard"
HEADERS = dashboard_export.HEADERS


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
    scope = scope_of(session, region, filters)
    choices = choices if choices is not None else townships(session=session, region=region)
    names = {r.id: r.name for r in choices}
    conn = session.connection()  # plain rows: the ORM's row handling would cost more than the SQL
    if filters.purpose or filters.checklist:
        rel = queries.live(scope.path, filters.tier, filters.purpose, filters.checklist)
        counts = queries.live_counts(conn, rel)
    else:
        rel = queries.stored(scope, filters.tier)
        counts = queries.stored_counts(conn, scope, filters.tier)
    cutoff = queries.review_cutoff(today, REVIEW_WAIT_DAYS, clock.CHINA)
    totals = {"returned": counts.get("status", Counter()).get("returned", 0),
              "never": counts.get("status", Counter()).get(NONE, 0),
              "no_coords": counts.get("located", Counter()).get("no", 0)}
    lists = queries.action_rows(conn, rel, cutoff=cutoff, totals=totals)
    tasks = queries.due_tasks(conn, scope, tier=filters.tier, purpose=filters.purpose,
                              checklist=filters.checklist, until=today + timedelta(days=DUE_SOON_DAYS))
    the_map = dashboard_map.read(conn, rel, label_by="county_id" if scope.level == "city" else "township_id")
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
            detail = (f"{STATUS_LABELS[status]} {(today - clock.china_date(since)).days} 天" if key == "awaiting" else "")
            group.items.append(SiteRef(site_id, name, town or "", detail))
    total, rows = tasks
    out["tasks"].total = total
    for site_id, name, town, item_id, due, checklist_id, provisional in rows:
        what = short(_item_text(specs, checklist_id, item_id), 24)
        when = f"逾期 {(today - due).days} 天" if due < today else (
            "今天到期" if due == today else f"{(due - today).days} 天后到期")
        mark = "，暂定：节假日安排未录入" if provisional else ""
        out["tasks"].items.append(SiteRef(site_id, name, town or "",
                                          f"{what}：{when}（{due.isoformat()}{mark}）"))
    return list(out.values())


# ---------------------------------------------------------------- Excel export

def export_xlsx(*, session: Session, region: Region, filters: Filters, spec: ChecklistSpec, out: IO[bytes] | str,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Write one row per site (latest inspection on `spec`, a column per item, the subsidy, the
    measured values), streamed in constant memory (services/dashboard_export.py); the number of sites."""
    scope = scope_of(session, region, filters)
    conn = session.connection()
    total = dashboard_export.count_sites(conn, scope.path, filters.tier) if progress else None
    return dashboard_export.write(conn, path=scope.path, tier=filters.tier, purpose=filters.purpose, spec=spec,
                                  out=out, progress=progress, total=total)
