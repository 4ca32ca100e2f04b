"""Coordinates: published reference pairs, exact inverses, the China box, distances, form positions."""
import dataclasses
import math

import pytest
from hypothesis import given, settings, strategies as st

from inspector.core import geo
from inspector.core.geo import BD09, GCJ02, WGS84, Position

# Published pairs, all rewritten here as (lat, lon) although most sources print [lon, lat]:
# (function, input, published output, tolerance in degrees).
REFERENCE = [
    # wandergis/coordtransform README.md (same in test/app.js): input (lon 116.404, lat 39.915)
    ("wgs84_to_gcj02", (39.915, 116.404), (39.91640428150164, 116.41024449916938), 1e-6),
    ("gcj02_to_bd09", (39.915, 116.404), (39.92133699351021, 116.41036949371029), 1e-6),
    # the source prints its one-step approximate inverses; our exact ones are 4e-7 and 5e-7 degrees away
    ("bd09_to_gcj02", (39.915, 116.404), (39.90865673957631, 116.39762729119315), 1e-6),
    ("gcj02_to_wgs84", (39.915, 116.404), (39.91359571849836, 116.39775550083061), 1e-6),
    # googollee/eviltransform go/transform_test.go (also python/test.py, csharp/EvilTransformUnitTest.cs,
    # which assert to 1e-6): wgsLat, wgsLng -> gcjLat, gcjLng
    ("wgs84_to_gcj02", (31.1774276, 121.5272106), (31.17530398364597, 121.531541859215), 1e-6),  # Shanghai
    ("wgs84_to_gcj02", (22.543847, 113.912316), (22.540796131694766, 113.9171764808363), 1e-6),  # Shenzhen
    ("wgs84_to_gcj02", (39.911954, 116.377817), (39.91334545536069, 116.38404722455657), 1e-6),  # Beijing
    # hujiulong/gcoord test/unit/crs/WGS84.spec.ts: input [123, 45]
    ("wgs84_to_gcj02", (45.0, 123.0), (45.00197815, 123.00607541), 1e-6),
    ("wgs84_to_bd09", (45.0, 123.0), (45.0083293, 123.0124491), 1e-6),
    # hujiulong/gcoord test/unit/crs/GCJ02.spec.ts: input [123, 45] (gcoord's inverse is iterative too)
    ("gcj02_to_wgs84", (45.0, 123.0), (44.99804071, 122.99395597), 1e-6),
    ("gcj02_to_bd09", (45.0, 123.0), (45.00636899, 123.00636499), 1e-6),
    # hujiulong/gcoord test/fixtures/china-cities.json, GCJ02 -> BD09, published to 7 decimals
    ("gcj02_to_bd09", (33.0115324, 114.022306), (33.0176697, 114.0287781), 1e-7),  # 驻马店
    ("gcj02_to_bd09", (31.4762063, 92.0512438), (31.4824421, 92.0576832), 1e-7),  # 那曲
    ("gcj02_to_bd09", (41.8057023, 123.4314787), (41.8114013, 123.438095), 1e-7),  # 沈阳
    ("gcj02_to_bd09", (39.7328234, 98.4943595), (39.7388949, 98.5008441), 1e-7),  # 酒泉
    # the same fixtures read backwards, BD09 -> GCJ02 (gcoord itself checks this to 5 decimals)
    ("bd09_to_gcj02", (33.0176697, 114.0287781), (33.0115324, 114.022306), 1e-7),  # 驻马店
    ("bd09_to_gcj02", (41.8114013, 123.438095), (41.8057023, 123.4314787), 1e-7),  # 沈阳
]

# googollee/eviltransform go/transform_test.go: (wgs, gcj); the gcj side came from the forward formula,
# so an exact inverse must give the wgs side back (eviltransform itself only asks < 0.5 m)
EVIL_PAIRS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]

CITIES = {
    "北京": (39.9042, 116.4074), "上海": (31.2304, 121.4737), "广州": (23.1291, 113.2644),
    "哈尔滨": (45.8038, 126.5349), "漠河": (52.97, 122.54), "抚远": (48.36, 134.3), "满洲里": (49.6, 117.43),
    "乌鲁木齐": (43.8256, 87.6168), "喀什": (39.4704, 75.9898), "和田": (37.11, 79.92), "阿勒泰": (47.84, 88.14),
    "拉萨": (29.65, 91.1), "西宁": (36.62, 101.78), "成都": (30.57, 104.07), "昆明": (25.04, 102.71),
    "腾冲": (25.02, 98.49), "呼和浩特": (40.84, 111.75), "海口": (20.04, 110.32), "三亚": (18.25, 109.5),
    "东兴": (21.55, 107.97),
}

# points well inside the China box, so that shifted points (< 0.02 degrees away) stay inside it
china_lat = st.floats(min_value=1.0, max_value=55.6)
china_lon = st.floats(min_value=72.2, max_value=137.6)
abroad = st.one_of(
    st.tuples(st.floats(-90, 90), st.floats(-180, 72.0)),
    st.tuples(st.floats(-90, 90), st.floats(137.9, 180)),
    st.tuples(st.floats(-90, 0.8), st.floats(-180, 180)),
    st.tuples(st.floats(55.9, 90), st.floats(-180, 180)),
)


def close(got, expected, tolerance):
    """Both coordinates within tolerance degrees."""
    return abs(got[0] - expected[0]) <= tolerance and abs(got[1] - expected[1]) <= tolerance


@pytest.mark.parametrize("name, given_point, expected, tolerance", REFERENCE)
def test_published_reference_pairs(name, given_point, expected, tolerance):
    got = getattr(geo, name)(*given_point)
    assert close(got, expected, tolerance), (name, got, expected)


@pytest.mark.parametrize("wgs, gcj", EVIL_PAIRS)
def test_the_inverse_is_exact_not_the_one_step_approximation(wgs, gcj):
    assert close(geo.gcj02_to_wgs84(*gcj), wgs, 1e-7)
    assert close(geo.to_wgs84(*geo.wgs84_to_bd09(*wgs), BD09), wgs, 1e-7)


@settings(max_examples=500, deadline=None)
@given(china_lat, china_lon)
def test_wgs_to_gcj_and_back_within_1e_7_degrees(lat, lon):
    assert close(geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lon)), (lat, lon), 1e-7)


@settings(max_examples=500, deadline=None)
@given(china_lat, china_lon)
def test_bd_to_wgs_and_back_within_1e_7_degrees(lat, lon):
    assert close(geo.wgs84_to_bd09(*geo.bd09_to_wgs84(lat, lon)), (lat, lon), 1e-7)


@settings(max_examples=300, deadline=None)
@given(china_lat, china_lon)
def test_gcj_to_bd_and_back_within_1e_7_degrees(lat, lon):
    assert close(geo.bd09_to_gcj02(*geo.gcj02_to_bd09(lat, lon)), (lat, lon), 1e-7)
    assert close(geo.gcj02_to_bd09(*geo.bd09_to_gcj02(lat, lon)), (lat, lon), 1e-7)


@settings(max_examples=300, deadline=None)
@given(abroad)
def test_outside_china_gcj_leaves_points_unchanged(point):
    assert geo.out_of_china(*point)
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point


@pytest.mark.parametrize("name", sorted(CITIES))
def test_the_gcj_offset_at_chinese_cities_is_100_to_700_m(name):
    # over the whole box it can be smaller (about 45 m in the Qaidam basin), never above ~670 m
    wgs = CITIES[name]
    assert 100 < geo.distance_m(wgs, geo.wgs84_to_gcj02(*wgs)) < 700


@pytest.mark.parametrize("point, outside", [
    ((39.9042, 116.4074), False),  # 北京
    ((0.8293, 72.004), False),  # the box's corner is inside
    ((55.8271, 137.8347), False),
    ((0.8292, 100.0), True),
    ((55.8272, 100.0), True),
    ((30.0, 72.0039), True),
    ((30.0, 137.8348), True),
    ((35.6812, 139.7671), True),  # 东京
    ((51.5074, -0.1278), True),  # London
    ((-33.8688, 151.2093), True),  # Sydney
])
def test_out_of_china_uses_the_standard_box(point, outside):
    assert geo.out_of_china(*point) is outside


def test_bd09_shift_still_applies_outside_china():
    london = (51.5074, -0.1278)
    assert geo.wgs84_to_gcj02(*london) == london
    assert geo.wgs84_to_bd09(*london) != london
    assert close(geo.bd09_to_wgs84(*geo.wgs84_to_bd09(*london)), london, 1e-7)


def test_to_wgs84_dispatches_on_the_system():
    p = (30.2741, 120.1551)
    assert geo.to_wgs84(*p, WGS84) == p
    assert geo.to_wgs84(*p, GCJ02) == geo.gcj02_to_wgs84(*p)
    assert geo.to_wgs84(*p, BD09) == geo.bd09_to_wgs84(*p)
    assert geo.from_wgs84(*p, WGS84) == p
    assert geo.from_wgs84(*p, GCJ02) == geo.wgs84_to_gcj02(*p)
    assert geo.from_wgs84(*p, BD09) == geo.wgs84_to_bd09(*p)


@pytest.mark.parametrize("system", [WGS84, GCJ02, BD09])
def test_from_wgs84_undoes_to_wgs84(system):
    p = (26.0745, 119.2965)
    assert close(geo.from_wgs84(*geo.to_wgs84(*p, system), system), p, 1e-7)


@pytest.mark.parametrize("system", ["WGS84", "baidu", "", "gcj-02"])
def test_unknown_system_is_refused_in_chinese(system):
    with pytest.raises(ValueError, match="未知的坐标系"):
        geo.to_wgs84(30.0, 120.0, system)
    with pytest.raises(ValueError, match="未知的坐标系"):
        geo.from_wgs84(30.0, 120.0, system)


@pytest.mark.parametrize("lat, lon, message", [
    (90.0001, 120.0, "纬度"), (-91.0, 120.0, "纬度"), (math.nan, 120.0, "纬度"),
    (30.0, 180.5, "经度"), (30.0, -181.0, "经度"), (30.0, math.inf, "经度"),
])
def test_out_of_range_coordinates_are_refused(lat, lon, message):
    with pytest.raises(ValueError, match=message):
        geo.to_wgs84(lat, lon, GCJ02)
    with pytest.raises(ValueError, match=message):
        geo.from_wgs84(lat, lon, BD09)


def test_range_limits_themselves_are_accepted():
    assert geo.to_wgs84(90.0, 180.0, GCJ02) == (90.0, 180.0)
    assert geo.to_wgs84(-90.0, -180.0, WGS84) == (-90.0, -180.0)


def test_system_labels_name_the_map_apps():
    assert list(geo.SYSTEM_LABELS) == [WGS84, GCJ02, BD09]
    assert "高德" in geo.SYSTEM_LABELS[GCJ02] and "百度" in geo.SYSTEM_LABELS[BD09]


def test_distance_of_a_thousandth_of_a_degree_of_latitude():
    assert geo.distance_m((30.0, 120.0), (30.001, 120.0)) == pytest.approx(110.9, abs=0.1)


def test_distance_beijing_shanghai_is_about_1067_km():
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    assert geo.distance_m(beijing, shanghai) == pytest.approx(1_067_000, abs=5_000)
    assert geo.distance_m(shanghai, beijing) == pytest.approx(geo.distance_m(beijing, shanghai))


def test_distance_to_itself_is_zero():
    assert geo.distance_m((30.0, 120.0), (30.0, 120.0)) == 0


def test_parse_position_from_form_strings():
    assert geo.parse_position("30.2741", " 120.1551 ", "15") == Position(30.2741, 120.1551, 15.0)
    assert geo.parse_position("30.2741", "120.1551", "") == Position(30.2741, 120.1551, None)
    assert geo.parse_position(30.2741, 120.1551, 0) == Position(30.2741, 120.1551, 0.0)
    assert geo.parse_position("30", "120", None).point == (30.0, 120.0)


@pytest.mark.parametrize("lat, lon, accuracy", [("", "", ""), (None, None, None), (" ", "", "25")])
def test_parse_position_blank_is_none(lat, lon, accuracy):
    assert geo.parse_position(lat, lon, accuracy) is None


@pytest.mark.parametrize("lat, lon, accuracy, message", [
    ("30.1", "", "", "同时填写"),
    ("", "120.1", "", "同时填写"),
    ("北纬30", "120", "", "纬度应为数字"),
    ("30", "abc", "", "经度应为数字"),
    ("30", "120", "about 10", "定位精度应为数字"),
    ("nan", "120", "", "纬度应为有限的数字"),
    ("30", "120", "inf", "定位精度应为有限的数字"),
    ("91", "120", "", "纬度应在 -90 到 90 之间"),
    ("30", "-180.5", "", "经度应在 -180 到 180 之间"),
    ("30", "120", "-1", "定位精度不能为负数"),
    (True, "120", "", "纬度应为数字"),
])
def test_parse_position_refuses_bad_input_in_chinese(lat, lon, accuracy, message):
    with pytest.raises(ValueError, match=message):
        geo.parse_position(lat, lon, accuracy)


def test_position_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Position(30.0, 120.0).lat = 31.0
