"""The dashboard's map from SQL: bounds and township labels in one statement, then either the
points (up to MAP_POINT_LIMIT located sites) or the counted cells (a GROUP BY on the cell a site
falls in), so Python holds at most MAP_POINT_LIMIT sites, never every site of a province."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import Integer, and_, cast, func, select

from ..core import charts
from ..models import STATUSES, Region, Site
from . import summaries

MAP_POINT_LIMIT = 2000  # above this many located sites the map draws counted cells, not a circle per site
MAP_LABEL_LIMIT = 40  # township names drawn on the map (those with most located sites)
CELL = 8  # viewBox units of a map cell


@dataclass(frozen=True)
class MapData:
    """What SQL gave for the map: the located sites' bounds and count, the labelled townships'
    centroids, and either the points or the cells (counts per cell and status)."""

    located: int
    bounds: tuple[float, float, float, float, float] | None  # lat min, lat max, lon min, lon max, mean lat
    labels: list[tuple[int, int, float, float]]  # township id, located sites, mean lat, mean lon
    points: list[tuple[float, float, str, str, int | None]]  # lat, lon, status, name, township (≤ limit)
    cells: dict[tuple[int, int, str], int] | None  # (column, row, status) → sites, when binned
    names: dict[int, str] = field(default_factory=dict)  # the labelled townships' names


def projection_of(bounds, *, width: float = 480, height: float = 420, pad: float = 24,
                  min_span_km: float = 2.0) -> charts.Projection:
    """charts.project's projection, from SQL's min/max/mean instead of every point."""
    if bounds is None:
        return charts.Projection(width, height, pad, 1.0, 1.0, 0.0, 0.0)
    lat_min, lat_max, lon_min, lon_max, lat_mean = bounds
    cos_lat = math.cos(math.radians(lat_mean))
    least = min_span_km / charts.KM_PER_DEGREE
    scale = min((width - 2 * pad) / max((lon_max - lon_min) * cos_lat, least),
                (height - 2 * pad) / max(lat_max - lat_min, least))
    return charts.Projection(width, height, pad, cos_lat, scale, (lat_min + lat_max) / 2, (lon_min + lon_max) / 2)


def _floor(conn, expr):
    """floor() of a positive number on both databases (SQLite has no floor without its math extension)."""
    return func.floor(expr) if conn.dialect.name == "postgresql" else cast(expr, Integer)


def read(conn, rel, *, label_by: str = "township_id") -> MapData:
    """The map of the sites in `rel` (a subquery with site_id, township_id, county_id, code, status,
    lat, lon): two statements whatever the number of sites. The labels name the regions of the
    `label_by` column (a city's map names its counties: a handful of groups, where grouping its
    10,000 townships to name 40 of them cost more than the rest of the map)."""
    located = and_(rel.c.lat.is_not(None), rel.c.lon.is_not(None))
    group = getattr(rel.c, label_by)
    per_town = (select(group.label("township_id"), func.count().label("n"), func.min(rel.c.lat).label("a"),
                       func.max(rel.c.lat).label("b"), func.min(rel.c.lon).label("c"), func.max(rel.c.lon).label("d"),
                       func.sum(rel.c.lat).label("slat"), func.sum(rel.c.lon).label("slon"))
                .where(located).group_by(group).subquery("per_town"))
    t = per_town.c
    top = (select(t.township_id, t.n, (t.slat / t.n).label("lat"), (t.slon / t.n).label("lon"),
                  func.sum(t.n).over().label("total"), func.min(t.a).over().label("a"), func.max(t.b).over().label("b"),
                  func.min(t.c).over().label("c"), func.max(t.d).over().label("d"),
                  func.sum(t.slat).over().label("slat"))
           .order_by(t.n.desc(), t.township_id).limit(MAP_LABEL_LIMIT).subquery("top"))
    rows = conn.execute(select(top, Region.name).outerjoin(Region, Region.id == top.c.township_id)
                        .order_by(top.c.n.desc(), top.c.township_id)).all()
    if not rows:
        return MapData(0, None, [], [], None)
    names = {row[0]: row[-1] for row in rows if row[0] is not None and row[-1]}
    total, lat_min, lat_max, lon_min, lon_max, lat_sum = rows[0][4:10]
    total = int(total)
    bounds = (lat_min, lat_max, lon_min, lon_max, float(lat_sum) / total)
    labels = [(town, int(n), float(lat), float(lon)) for town, n, lat, lon, *_rest in rows if town is not None]
    if total <= MAP_POINT_LIMIT:
        points = [tuple(r) for r in conn.execute(
            select(rel.c.lat, rel.c.lon, rel.c.status, Site.name, rel.c.township_id)
            .join(Site, Site.id == rel.c.site_id).where(located).order_by(rel.c.code, rel.c.site_id))]
        return MapData(total, bounds, labels, points, None, names)
    p = projection_of(bounds)
    cx0 = p.width / 2 - p.lon0 * p.cos_lat * p.scale
    cy0 = p.height / 2 + p.lat0 * p.scale
    i = _floor(conn, cx0 / CELL + rel.c.lon * (p.cos_lat * p.scale / CELL)).label("i")
    j = _floor(conn, cy0 / CELL - rel.c.lat * (p.scale / CELL)).label("j")
    return MapData(total, bounds, labels, [], _cells(conn, rel, located, i, j), names)


def _cells(conn, rel, located, i, j) -> dict[tuple[int, int, str], int]:
    """Located sites per (cell column, cell row, status): one GROUP BY cell with a count per
    status (FILTER), half the work of grouping by cell and status, and a row per cell."""
    keys = (summaries.NONE, *STATUSES)
    rows = conn.execute(select(i, j, *[func.count().filter(rel.c.status == k) for k in keys])
                        .where(located).group_by(i, j))
    return {(int(a), int(b), k): n for a, b, *counts in rows for k, n in zip(keys, counts) if n}


def cells_markup(cells: dict[tuple[int, int, str], int], *, labels: dict[str, str], order,
                 cell: float = CELL) -> Markup:
    """charts.map_cells_markup's cells from counts SQL made: a cell in the colour of its most
    frequent status (ties: first in `order`), darker the more sites, a <title> with the counts."""
    if not cells:
        return Markup("")
    keys = list(dict.fromkeys(order))
    keys += sorted({k for _i, _j, k in cells} - set(keys))
    slot = {k: n for n, k in enumerate(keys)}
    grid: dict[tuple[int, int], list[int]] = {}
    for (i, j, key), count in cells.items():
        grid.setdefault((i, j), [0] * len(keys))[slot[key]] += count
    names = [str(escape(labels.get(k, k))) for k in keys]
    classes = [str(escape(k)) for k in keys]
    most = math.log1p(max(sum(row) for row in grid.values()))
    size = charts._fmt(cell)
    out = []
    for (i, j), row in sorted(grid.items()):
        total = sum(row)
        best = max(range(len(row)), key=row.__getitem__)
        parts = "，".join(f"{names[n]} {c}" for n, c in enumerate(row) if c)
        out.append(f'<rect class="pt pt-{classes[best]}" x="{charts._fmt(i * cell)}" y="{charts._fmt(j * cell)}" '
                   f'width="{size}" height="{size}" fill-opacity="{0.35 + 0.65 * math.log1p(total) / most:.2f}">'
                   f'<title>{total} 个站点：{parts}</title></rect>')
    return Markup("".join(out))


def status_counts(data: MapData) -> Counter:
    """Located sites per status (for the legend)."""
    if data.cells is not None:
        out: Counter = Counter()
        for (_i, _j, key), n in data.cells.items():
            out[key] += n
        return out
    return Counter(p[2] for p in data.points)
