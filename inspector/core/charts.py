"""Charts as geometry: bar charts, histograms and a site map, computed here, drawn as SVG by templates.

Pure functions: no Flask, no database, no chart library. Each function returns frozen dataclasses
in SVG user units (a fixed viewBox) that a Jinja template draws; the map's points, which can be
tens of thousands, are also offered as ready markup with every text escaped (`map_points_markup`),
because a template loop over 20,000 points costs more than the rest of the page.
"""
from __future__ import annotations


import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from markupsafe import Markup, escape

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0  # ≈ 111.2 km per degree of latitude


def _fmt(x: float) -> str:
    """A number for SVG attributes and labels: at most one decimal, no trailing zeros."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def number(x: float) -> str:
    """A count or value as people read it (no '.0' on whole numbers)."""
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


# ---------------------------------------------------------------- horizontal bar chart

@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart, in viewBox units."""

    label: str
    value: float
    key: str  # a CSS-friendly key (status id, tier id) for colouring; "" for none
    y: float  # top of the bar
    width: float  # bar length
    text: str  # the value as shown
    text_x: float  # where the value text starts (right of the bar)


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart: labels on the left, bars, values written after each bar."""

    title: str
    bars: tuple[Bar, ...]
    width: float
    height: float
    label_width: float  # the bars start here
    bar_height: float
    total: float

    @property
    def view_box(self) -> str:
        """The SVG viewBox attribute."""
        return f"0 0 {_fmt(self.width)} {_fmt(self.height)}"

    def text_y(self, bar: Bar) -> float:
        """The baseline of a bar's label and value text (vertically centred on the bar)."""
        return bar.y + self.bar_height / 2 + 5


def bar_chart(rows: Sequence[tuple[str, float] | tuple[str, float, str]], *, title: str, width: float = 420,
              label_width: float = 130, bar_height: float = 24, gap: float = 8,
              value_room: float = 50) -> BarChart:
    """A horizontal bar chart of (label, value[, key]) rows, longest bar = the largest value."""
    peak = max((float(r[1]) for r in rows), default=0.0)
    room = width - label_width - value_room
    bars = []
    for i, row in enumerate(rows):
        label, value = row[0], float(row[1])
        key = row[2] if len(row) > 2 else ""
        length = room * value / peak if peak > 0 else 0.0
        if value > 0:
            length = max(length, 2.0)  # a non-zero value stays visible
        bars.append(Bar(label, value, key, gap / 2 + i * (bar_height + gap), round(length, 1), number(value),
                        round(label_width + length + 6, 1)))
    height = max(len(bars) * (bar_height + gap), bar_height + gap)
    return BarChart(title, tuple(bars), width, height, label_width, bar_height, sum(b.value for b in bars))


# ---------------------------------------------------------------- histogram

def bin_counts(values: Iterable[float], *, low: float = 0.0, high: float = 100.0, step: float = 10.0) -> list[int]:
    """How many values fall in each bin [low, low+step), …; the last bin also holds `high`.

    Values outside [low, high] are left out.
    """
    n = int(round((high - low) / step))
    counts = [0] * n
    for v in values:
        if v is None or v < low or v > high:
            continue
        counts[min(int((v - low) // step), n - 1)] += 1
    return counts


def bin_labels(*, low: float = 0, high: float = 100, step: float = 10) -> list[str]:
    """Labels of the bins of `bin_counts`: "0–9", "10–19", …, "90–100" (whole-number scores)."""
    n = int(round((high - low) / step))
    out = []
    for i in range(n):
        a = low + i * step
        b = high if i == n - 1 else a + step - 1
        out.append(f"{number(a)}–{number(b)}")
    return out


@dataclass(frozen=True)
class Column:
    """One column of a histogram, in viewBox units."""

    label: str
    count: int
    x: float
    y: float  # top of the column
    width: float
    height: float
    text: str


@dataclass(frozen=True)
class Histogram:
    """Vertical columns over labelled bins, the count written above each column."""

    title: str
    columns: tuple[Column, ...]
    width: float
    height: float
    baseline: float  # y of the axis
    total: int

    @property
    def view_box(self) -> str:
        """The SVG viewBox attribute."""
        return f"0 0 {_fmt(self.width)} {_fmt(self.height)}"


def histogram(counts: Sequence[int], labels: Sequence[str], *, title: str, width: float = 420,
              height: float = 200, top: float = 24, bottom: float = 28, gap: float = 4) -> Histogram:
    """A histogram of counts per labelled bin; the tallest column fills the plot height."""
    if len(counts) != len(labels):
        raise ValueError("counts and labels differ in length")
    peak = max(counts, default=0)
    baseline = height - bottom
    plot = baseline - top
    slot = width / max(len(counts), 1)
    columns = []
    for i, (count, label) in enumerate(zip(counts, labels)):
        h = plot * count / peak if peak else 0.0
        if count:
            h = max(h, 2.0)
        columns.append(Column(label, int(count), round(i * slot + gap / 2, 1), round(baseline - h, 1),
                              round(slot - gap, 1), round(h, 1), str(int(count))))
    return Histogram(title, tuple(columns), width, height, baseline, int(sum(counts)))


# ---------------------------------------------------------------- map

@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of WGS-84 (lat, lon) into a fixed viewBox.

    x = lon · cos(mean latitude), y = −lat, scaled equally on both axes (so distances look right
    near the mean latitude) and centred in the box, leaving `pad` units free on every side.
    """

    width: float
    height: float
    pad: float
    cos_lat: float
    scale: float  # viewBox units per degree of latitude
    lat0: float  # the centre
    lon0: float

    @property
    def view_box(self) -> str:
        """The SVG viewBox attribute."""
        return f"0 0 {_fmt(self.width)} {_fmt(self.height)}"

    @property
    def km_per_unit(self) -> float:
        """Kilometres per viewBox unit."""
        return KM_PER_DEGREE / self.scale

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """The point's position in the viewBox."""
        return (self.width / 2 + (lon - self.lon0) * self.cos_lat * self.scale,
                self.height / 2 - (lat - self.lat0) * self.scale)


def project(points: Iterable[tuple[float, float]], *, width: float = 480, height: float = 420,
            pad: float = 24, min_span_km: float = 2.0) -> Projection:
    """A projection that fits every (lat, lon) point into the box.

    A single point (or points closer than `min_span_km`) still gets a sensible scale.
    """
    lats: list[float] = []
    lons: list[float] = []
    for lat, lon in points:
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return Projection(width, height, pad, 1.0, 1.0, 0.0, 0.0)
    lat_min, lat_max, lon_min, lon_max = min(lats), max(lats), min(lons), max(lons)
    cos_lat = math.cos(math.radians(sum(lats) / len(lats)))
    span_y = lat_max - lat_min
    span_x = (lon_max - lon_min) * cos_lat
    least = min_span_km / KM_PER_DEGREE
    scale = min((width - 2 * pad) / max(span_x, least), (height - 2 * pad) / max(span_y, least))
    return Projection(width, height, pad, cos_lat, scale, (lat_min + lat_max) / 2, (lon_min + lon_max) / 2)


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: its length in viewBox units and what it stands for."""

    length: float
    km: float

    @property
    def label(self) -> str:
        """The length in words, e.g. "5 公里" or "500 米"."""
        return f"{number(self.km)} 公里" if self.km >= 1 else f"{number(self.km * 1000)} 米"


def scale_bar(projection: Projection, *, max_length: float | None = None) -> ScaleBar:
    """The longest round distance (1, 2 or 5 × 10ⁿ km) that fits in max_length (default: a quarter of the width)."""
    limit = max_length if max_length is not None else projection.width / 4
    most_km = limit * projection.km_per_unit
    power = 10 ** math.floor(math.log10(most_km))
    km = max(m * power for m in (1, 2, 5) if m * power <= most_km)
    return ScaleBar(round(km / projection.km_per_unit, 1), km)


@dataclass(frozen=True)
class MapLabel:
    """A name written at the centroid of a group of points (a township's sites)."""

    x: float
    y: float
    text: str
    count: int


def centroid_labels(projection: Projection, groups: dict[str, list[tuple[float, float]]]) -> list[MapLabel]:
    """One label per named group of (lat, lon) points, at the points' mean position."""
    out = []
    for name, pts in groups.items():
        if not pts:
            continue
        lat = sum(p[0] for p in pts) / len(pts)
        lon = sum(p[1] for p in pts) / len(pts)
        x, y = projection.xy(lat, lon)
        out.append(MapLabel(round(x, 1), round(y, 1), name, len(pts)))
    return out


def map_points_markup(projection: Projection, points: Iterable[tuple[float, float, str, str]], *,
                      radius: float = 5) -> Markup:
    """SVG for (lat, lon, key, title) points: a `<g class="pt pt-KEY">` per key, in it a `<circle>`
    with a `<title>` per point.

    Built as one string in one pass (a county may have thousands of sites); every title is
    escaped, so a site named `<script>` is drawn as text.
    """
    cx0 = projection.width / 2 - projection.lon0 * projection.cos_lat * projection.scale
    cy0 = projection.height / 2 + projection.lat0 * projection.scale
    kx, ky = projection.cos_lat * projection.scale, projection.scale
    points = list(points)
    r = _fmt(radius)
    groups: dict[str, list[str]] = {}
    for (lat, lon, key, _title), title in zip(points, _escape_all([p[3] for p in points])):
        part = groups.get(key)
        if part is None:
            part = groups[key] = []
        part.append(f'<circle cx="{cx0 + lon * kx:.1f}" cy="{cy0 - lat * ky:.1f}" r="{r}"><title>{title}'
                    f'</title></circle>')
    return Markup("".join(f'<g class="pt pt-{escape(key)}">{"".join(parts)}</g>' for key, parts in groups.items()))


def map_cells_markup(projection: Projection, points: Iterable[tuple[float, float, str]], *,
                     cell: float = 8, labels: dict[str, str] | None = None,
                     order: Sequence[str] = ()) -> Markup:
    """SVG for many (lat, lon, key) points binned into square cells of `cell` viewBox units.

    Above a few thousand sites a circle per site is megabytes of markup nobody can hover; a cell
    is drawn in the colour of its most frequent key (ties: the first in `order`), darker the more
    sites it holds, with a `<title>` giving the count per key.
    """
    cx0 = projection.width / 2 - projection.lon0 * projection.cos_lat * projection.scale
    cy0 = projection.height / 2 + projection.lat0 * projection.scale
    kx, ky = projection.cos_lat * projection.scale / cell, projection.scale / cell
    ax, ay = cx0 / cell, cy0 / cell
    # the hot loop, in C as far as it goes: one (column, row, key) tuple per point, counted
    binned = Counter((int(ax + lon * kx), int(ay - lat * ky), key) for lat, lon, key in points)
    keys = list(dict.fromkeys(order))
    keys += sorted({key for _i, _j, key in binned} - set(keys))
    slot = {k: n for n, k in enumerate(keys)}
    cells: dict[tuple[int, int], list[int]] = {}
    for (i, j, key), count in binned.items():
        row = cells.get((i, j))
        if row is None:
            row = cells[(i, j)] = [0] * len(keys)
        row[slot[key]] = count
    if not cells:
        return Markup("")
    labels = labels or {}
    names = [str(escape(labels.get(k, k))) for k in keys]
    classes = [str(escape(k)) for k in keys]
    size = _fmt(cell)
    most = math.log1p(max(sum(row) for row in cells.values()))
    out = []
    for (i, j), row in sorted(cells.items()):
        total = sum(row)
        best = max(range(len(row)), key=row.__getitem__)  # first in `order` on a tie
        parts = "，".join(f"{names[n]} {c}" for n, c in enumerate(row) if c)
        out.append(f'<rect class="pt pt-{classes[best]}" x="{_fmt(i * cell)}" y="{_fmt(j * cell)}" width="{size}" '
                   f'height="{size}" fill-opacity="{0.35 + 0.65 * math.log1p(total) / most:.2f}">'
                   f'<title>{total} 个站点：{parts}</title></rect>')
    return Markup("".join(out))


def _escape_all(texts: list[str]) -> list[str]:
    """markupsafe.escape of every text, in one call over all of them (one call per text costs
    more than drawing the point); text holding the separator is escaped on its own."""
    if any("\x00" in t for t in texts):
        return [str(escape(t)) for t in texts]
    return str(escape("\x00".join(texts))).split("\x00") if texts else []

