"""Charts as geometry: bars proportional to values, 10-point score bins, a map with true distances."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from inspector.core import charts


def test_bars_are_proportional_and_every_value_is_written():
    chart = charts.bar_chart([("已审核", 10, "approved"), ("已退回", 5, "returned"), ("已验收", 0, "accepted")],
                             title="状态", width=420, label_width=130, value_room=50)
    room = 420 - 130 - 50
    approved, returned, accepted = chart.bars
    assert approved.width == room and returned.width == room / 2 and accepted.width == 0
    assert [b.text for b in chart.bars] == ["10", "5", "0"]
    assert approved.text_x == 130 + room + 6  # the value is written right after its bar
    assert chart.total == 15 and chart.view_box.startswith("0 0 420 ")
    assert returned.y > approved.y and chart.text_y(approved) > approved.y


def test_a_small_non_zero_value_stays_visible_and_all_zero_draws_nothing():
    tiny = charts.bar_chart([("多", 10000), ("少", 1)], title="t")
    assert tiny.bars[1].width >= 2
    empty = charts.bar_chart([("甲", 0), ("乙", 0)], title="t")
    assert all(b.width == 0 for b in empty.bars) and empty.height > 0
    assert charts.bar_chart([], title="无").bars == ()


def test_values_are_written_as_people_read_them():
    assert charts.number(3.0) == "3" and charts.number(72.26) == "72.3"
    assert charts.bar_chart([("平均分", 87.5)], title="t").bars[0].text == "87.5"


@pytest.mark.parametrize("score, index", [(0, 0), (9.99, 0), (10, 1), (59.5, 5), (89.99, 8), (90, 9), (100, 9)])
def test_scores_fall_into_ten_point_bins_with_100_in_the_last(score, index):
    counts = charts.bin_counts([score])
    assert counts[index] == 1 and sum(counts) == 1


def test_scores_outside_0_to_100_and_missing_scores_are_left_out():
    assert sum(charts.bin_counts([-1, 100.01, None, 50])) == 1


def test_bin_labels_name_whole_score_ranges():
    labels = charts.bin_labels()
    assert labels[0] == "0–9" and labels[5] == "50–59" and labels[-1] == "90–100" and len(labels) == 10


def test_histogram_tallest_column_fills_the_plot_and_counts_are_written():
    h = charts.histogram([0, 2, 4], ["0–9", "10–19", "20–29"], title="得分", width=300, height=200, top=20, bottom=30)
    empty, half, full = h.columns
    assert full.height == 150 and full.y == 20 and half.height == 75 and empty.height == 0
    assert [c.text for c in h.columns] == ["0", "2", "4"] and h.total == 6 and h.baseline == 170
    assert half.x > empty.x and math.isclose(half.x - empty.x, 100)
    with pytest.raises(ValueError):
        charts.histogram([1, 2], ["一"], title="x")


PEI = [(34.733, 116.937), (34.870, 116.860), (34.640, 116.980), (34.690, 116.990), (34.780, 116.790)]


def test_projection_fits_every_point_inside_the_padding():
    p = charts.project(PEI, width=480, height=420, pad=24)
    for lat, lon in PEI:
        x, y = p.xy(lat, lon)
        assert 24 - 1e-6 <= x <= 480 - 24 + 1e-6 and 24 - 1e-6 <= y <= 420 - 24 + 1e-6
    xs = [p.xy(*pt)[0] for pt in PEI]
    ys = [p.xy(*pt)[1] for pt in PEI]
    # the tighter axis touches both paddings: the scale is as large as the box allows
    assert math.isclose(max(ys) - min(ys), 420 - 48) or math.isclose(max(xs) - min(xs), 480 - 48)


def test_north_is_up_and_east_is_right():
    p = charts.project(PEI)
    north, south = p.xy(34.87, 116.9), p.xy(34.64, 116.9)
    west, east = p.xy(34.75, 116.79), p.xy(34.75, 116.99)
    assert north[1] < south[1] and west[0] < east[0]


def test_one_km_east_and_one_km_north_are_the_same_length_on_the_map():
    p = charts.project(PEI)
    lat = sum(pt[0] for pt in PEI) / len(PEI)  # the projection is true at the mean latitude
    d_lat = 1 / charts.KM_PER_DEGREE
    d_lon = 1 / (charts.KM_PER_DEGREE * math.cos(math.radians(lat)))
    north = abs(p.xy(lat + d_lat, 117)[1] - p.xy(lat, 117)[1])
    east = abs(p.xy(lat, 117 + d_lon)[0] - p.xy(lat, 117)[0])
    assert math.isclose(north, east, rel_tol=1e-9)
    assert math.isclose(north * p.km_per_unit, 1.0, rel_tol=1e-9)


def test_a_single_site_is_centred_with_a_sensible_scale():
    p = charts.project([(34.7, 116.9)], width=480, height=420)
    assert p.xy(34.7, 116.9) == (240, 210)
    assert 0 < p.km_per_unit * 480 < 10  # the box spans a few km, not a point or a continent
    assert charts.project([]).xy(0, 0) == (240, 210)


@pytest.mark.parametrize("km_per_unit, km", [(0.1, 10), (0.05, 5), (0.02, 2), (0.0009, 0.1), (1.9, 200)])
def test_scale_bar_is_a_round_distance_of_at_most_a_quarter_of_the_width(km_per_unit, km):
    p = charts.Projection(480, 420, 24, 1.0, charts.KM_PER_DEGREE / km_per_unit, 0, 0)
    bar = charts.scale_bar(p)
    assert math.isclose(bar.km, km) and bar.length <= 120 + 0.05
    assert math.isclose(bar.length * km_per_unit, bar.km, rel_tol=1e-3)


def test_scale_bar_label_in_km_or_metres():
    assert charts.ScaleBar(100, 5).label == "5 公里"
    assert charts.ScaleBar(100, 0.5).label == "500 米"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(18, 53), st.floats(74, 134)), min_size=1, max_size=30))
def test_any_set_of_chinese_points_fits_the_box(points):
    p = charts.project(points, width=480, height=420, pad=24)
    for lat, lon in points:
        x, y = p.xy(lat, lon)
        assert -1e-6 <= x - 24 <= 432 + 1e-6 and -1e-6 <= y - 24 <= 372 + 1e-6
    bar = charts.scale_bar(p)
    assert 0 < bar.length <= 120 + 0.05


def test_township_labels_sit_at_the_centroid_of_their_sites():
    p = charts.project(PEI)
    labels = charts.centroid_labels(p, {"龙固镇": [(34.86, 116.85), (34.88, 116.87)], "空": []})
    assert len(labels) == 1
    x, y = p.xy(34.87, 116.86)
    assert labels[0].text == "龙固镇" and labels[0].count == 2
    assert math.isclose(labels[0].x, x, abs_tol=0.06) and math.isclose(labels[0].y, y, abs_tol=0.06)


def test_map_points_are_escaped_grouped_by_status_and_placed_by_the_projection():
    p = charts.project(PEI)
    markup = str(charts.map_points_markup(p, [(34.733, 116.937, "approved", "<script>alert(1)</script>：已审核"),
                                              (34.870, 116.860, "none", "张庄村 & 李庄：未检查")], radius=4))
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;：已审核" in markup
    assert "张庄村 &amp; 李庄" in markup
    assert '<g class="pt pt-approved"><circle' in markup and '<g class="pt pt-none"><circle' in markup
    assert markup.count("<circle") == 2 and 'r="4"' in markup
    x, y = p.xy(34.733, 116.937)
    assert f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"><title>&lt;script' in markup


def test_every_title_is_escaped_even_one_holding_the_bulk_separator():
    p = charts.project(PEI)
    rows = [(34.733, 116.937, "none", "甲<b>"), (34.870, 116.860, "none", "乙\x00<i>"), (34.64, 116.98, "none", "丙&")]
    markup = str(charts.map_points_markup(p, rows))
    assert "<title>甲&lt;b&gt;</title>" in markup and "<title>乙\x00&lt;i&gt;</title>" in markup
    assert "<title>丙&amp;</title>" in markup and markup.count("<circle") == 3
    assert str(charts.map_points_markup(p, [])) == ""


def test_many_sites_are_binned_into_cells_with_counts_per_status():
    from inspector.core.charts import map_cells_markup, project
    points = [(34.70 + i * 1e-5, 116.90, "draft") for i in range(5)] + [(34.70, 116.90, "submitted")] * 2
    points += [(34.90, 117.10, "<x>")]
    proj = project((lat, lon) for lat, lon, _k in points)
    svg = str(map_cells_markup(proj, points, labels={"draft": "填写中", "submitted": "已提交"},
                               order=("draft", "submitted")))
    assert svg.count("<rect") == 2
    assert '<rect class="pt pt-draft"' in svg and "<title>7 个站点：填写中 5，已提交 2</title>" in svg
    assert "<x>" not in svg and "&lt;x&gt;" in svg
    assert str(map_cells_markup(proj, [])) == ""
