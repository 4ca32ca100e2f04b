"""The dashboard's charts and map from an overview (services/dashboard.py): bars, a histogram,
the map's projection, labels and points or counted cells. Nothing here reads the database."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import charts
from ..models import LABELS, STATUSES
from . import dashboard_map, sites as site_service, summaries
from .dashboard_map import MAP_LABEL_LIMIT

TIERS = site_service.TIERS  # demo, standard, upgrade
NONE = summaries.NONE
STATUS_KEYS = (NONE, *STATUSES)
STATUS_LABELS = summaries.STATUS_LABELS
TOP_FAILED = 10  # the most-failed items shown


def short(text: str, limit: int) -> str:
    """Text cut to `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def status_chart(data) -> charts.BarChart:
    """Sites by the status of their latest inspection."""
    return charts.bar_chart([(STATUS_LABELS[k], data.by_status[k], k) for k in STATUS_KEYS],
                            title="站点按最近一次检查的状态")


def tier_applied_chart(data) -> charts.BarChart:
    """Sites by the tier they applied for."""
    rows = [(LABELS[t], data.by_tier_applied.get(t, 0), t) for t in TIERS]
    rows.append(("未申报", data.by_tier_applied.get(None, 0), "none"))
    return charts.bar_chart(rows, title="站点按申报等级")


def tier_reached_chart(data) -> charts.BarChart:
    """Sites by the tier their latest result passed at."""
    rows = [(f"达到{LABELS[t]}", data.by_tier_reached.get(t, 0), t) for t in TIERS]
    rows.append(("未达到所查等级", data.by_tier_reached.get("below", 0), "below"))
    rows.append(("尚无分等级结论", data.by_tier_reached.get("none", 0), "none"))
    return charts.bar_chart(rows, title="最近一次已提交检查达到的等级")


def score_histogram(data) -> charts.Histogram:
    """Latest results' scores in 10-point bins."""
    return charts.histogram(data.score_bins, charts.bin_labels(), title="最近一次已提交检查的得分分布")


def failed_chart(data) -> charts.BarChart:
    """The most-failed items."""
    return charts.bar_chart([(short(f.text, 12), f.count, "fail") for f in data.failed],
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


def site_map(data) -> SiteMap:
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
