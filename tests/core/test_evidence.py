"""Evidence flags: each flag alone, combinations, boundaries, order, timezones."""
from datetime import datetime, timedelta, timezone

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings, strategies as st

from inspector.core import evidence, geo
from inspector.core.evidence import Flag
from inspector.core.geo import Position

SITE = (30.2741, 120.1551)
CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 5, 20, 10, 0, tzinfo=CST)
ALL_CODES = ["no_position", "site_unlocated", "outside_geofence", "poor_accuracy",
             "exif_gps_far", "exif_time_far", "late_upload", "clock_ahead", "duplicate_photo"]


def away(metres, bearing=0.0, origin=SITE):
    """The (lat, lon) point `metres` from origin in direction `bearing`."""
    p = geodesic(meters=metres).destination(origin, bearing)
    return p.latitude, p.longitude


def device(metres=30.0, accuracy=15.0, bearing=0.0):
    """A device position `metres` from the site."""
    return Position(*away(metres, bearing), accuracy)


def pos(**kw):
    """position_flags with a good setup, overridden by kw."""
    args = {"site": SITE, "radius_m": evidence.GEOFENCE_M, "device": device()} | kw
    return evidence.position_flags(**args)


def photo(**kw):
    """photo_flags with a good setup (photo taken on site 10 minutes ago), overridden by kw."""
    args = {"site": SITE, "radius_m": evidence.GEOFENCE_M, "device": device(), "exif_gps": away(20, 90),
            "exif_time": NOW - timedelta(minutes=10), "server_time": NOW, "other_uses": 0} | kw
    return evidence.photo_flags(**args)


def codes(flags):
    return [f.code for f in flags]


def test_good_capture_has_no_flags():
    assert pos() == []
    assert photo() == []


def test_defaults_are_the_documented_ones():
    assert (evidence.ACCURACY_LIMIT_M, evidence.GEOFENCE_M, evidence.EXIF_GPS_LIMIT_M) == (100, 200, 300)
    assert evidence.EXIF_TIME_LIMIT == timedelta(hours=2)


def test_labels_cover_every_code_in_report_order():
    assert list(evidence.FLAG_LABELS) == ALL_CODES
    assert evidence.FLAG_LABELS["outside_geofence"] == "不在站点范围内"


def test_no_position_alone_hides_geofence_and_accuracy():
    assert pos(device=None) == [Flag("no_position", "无手机定位", "未取得手机定位（未授权定位或定位失败）")]
    assert codes(photo(device=None)) == ["no_position"]  # no exif_gps_far without a device position


def test_site_unlocated_alone():
    flags = pos(site=None)
    assert codes(flags) == ["site_unlocated"]
    assert flags[0].label == "站点无坐标" and "无法核对" in flags[0].detail


def test_no_position_and_site_unlocated():
    assert codes(pos(site=None, device=None)) == ["no_position", "site_unlocated"]


def test_outside_geofence_in_kilometres_with_radius_and_accuracy():
    [flag] = pos(device=device(1200, accuracy=15))
    assert flag == Flag("outside_geofence", "不在站点范围内", "距站点 1.2 公里（范围 200 米，定位精度 ±15 米）")


def test_outside_geofence_in_metres_below_one_kilometre():
    [flag] = pos(device=device(350, accuracy=8.4))
    assert flag.detail == "距站点 350 米（范围 200 米，定位精度 ±8 米）"
    [flag] = pos(device=device(999.4, accuracy=8))
    assert flag.detail.startswith("距站点 999 米")
    [flag] = pos(device=device(1000, accuracy=8))
    assert flag.detail.startswith("距站点 1.0 公里")


def test_outside_geofence_with_unknown_accuracy():
    [flag] = pos(device=device(5000, accuracy=None))
    assert flag.detail == "距站点 5.0 公里（范围 200 米，定位精度未知）"


def test_exactly_at_the_radius_is_inside():
    d = device(200)
    radius = geo.distance_m(SITE, d.point)
    assert pos(device=d, radius_m=radius) == []
    assert codes(pos(device=d, radius_m=radius - 0.01)) == ["outside_geofence"]


def test_per_site_radius_is_honoured():
    assert pos(device=device(1200), radius_m=1500) == []
    assert codes(pos(device=device(150), radius_m=100)) == ["outside_geofence"]


def test_poor_accuracy_alone():
    [flag] = pos(device=device(30, accuracy=850))
    assert (flag.code, flag.label) == ("poor_accuracy", "定位精度差")
    assert flag.detail == "定位精度 ±850 米，超过 100 米，可能只是基站定位"


def test_accuracy_exactly_at_the_limit_is_fine():
    assert pos(device=device(30, accuracy=100)) == []
    assert codes(pos(device=device(30, accuracy=100.01))) == ["poor_accuracy"]


def test_accuracy_limit_is_configurable():
    assert codes(pos(device=device(30, accuracy=30), accuracy_limit_m=20)) == ["poor_accuracy"]
    assert pos(device=device(30, accuracy=150), accuracy_limit_m=200) == []


def test_unknown_accuracy_is_not_poor():
    assert pos(device=device(30, accuracy=None)) == []


def test_poor_accuracy_without_site_coordinates():
    assert codes(pos(site=None, device=device(30, accuracy=1500))) == ["site_unlocated", "poor_accuracy"]


def test_cell_fix_far_away_gives_both_geofence_and_accuracy():
    flags = pos(device=device(2500, accuracy=1500))
    assert codes(flags) == ["outside_geofence", "poor_accuracy"]
    assert flags[0].detail == "距站点 2.5 公里（范围 200 米，定位精度 ±1.5 公里）"


def test_exif_gps_far_alone():
    [flag] = photo(exif_gps=away(2300, 180, origin=device().point))
    assert (flag.code, flag.label) == ("exif_gps_far", "照片拍摄地点不符")
    assert flag.detail == "照片自带位置距手机定位 2.3 公里（允许 300 米），可能是从相册选取的其他地点照片"


def test_exif_gps_boundary_and_limit():
    d = device()
    near = away(300, 45, origin=d.point)
    limit = geo.distance_m(near, d.point)
    assert photo(device=d, exif_gps=near, exif_gps_limit_m=limit) == []
    assert codes(photo(device=d, exif_gps=near, exif_gps_limit_m=limit - 0.01)) == ["exif_gps_far"]
    assert photo(device=d, exif_gps=away(250, 45, origin=d.point)) == []


def test_missing_exif_gps_is_no_flag():
    assert photo(exif_gps=None) == []


def test_exif_time_hours_earlier():
    [flag] = photo(exif_time=NOW - timedelta(hours=3))
    assert flag == Flag("exif_time_far", "照片拍摄时间不符", "照片拍摄时间比上传时间早 3 小时（允许相差 2 小时）")
    [flag] = photo(exif_time=NOW - timedelta(hours=2, minutes=30))
    assert flag.detail.startswith("照片拍摄时间比上传时间早 2.5 小时")


def test_exif_time_days_earlier_or_later():
    [flag] = photo(exif_time=NOW - timedelta(days=40))
    assert flag.detail == "照片拍摄时间比上传时间早 40 天（允许相差 2 小时）"
    [flag] = photo(exif_time=NOW + timedelta(days=3))
    assert flag.detail.startswith("照片拍摄时间比上传时间晚 3 天")


def test_exif_time_boundary_and_limit():
    assert photo(exif_time=NOW - timedelta(hours=2)) == []
    assert photo(exif_time=NOW + timedelta(hours=2)) == []
    assert codes(photo(exif_time=NOW - timedelta(hours=2, seconds=1))) == ["exif_time_far"]
    [flag] = photo(exif_time=NOW - timedelta(hours=1), exif_time_limit=timedelta(minutes=30))
    assert flag.detail == "照片拍摄时间比上传时间早 1 小时（允许相差 30 分钟）"


def test_exif_time_compares_instants_across_timezones():
    same_instant = (NOW - timedelta(minutes=5)).astimezone(timezone.utc)
    assert photo(exif_time=same_instant) == []


def test_missing_exif_time_is_no_flag():
    assert photo(exif_time=None) == []


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="时区"):
        photo(exif_time=datetime(2025, 5, 20, 9, 50))
    with pytest.raises(ValueError, match="时区"):
        photo(server_time=datetime(2025, 5, 20, 10, 0))
    with pytest.raises(ValueError, match="时区"):
        photo(server_time=datetime(2025, 5, 20, 10, 0), exif_time=None)


def test_duplicate_photo_alone():
    assert photo(other_uses=2) == [Flag("duplicate_photo", "重复使用的照片", "该照片已在其他 2 处检查中使用")]
    assert photo(other_uses=0) == []


def test_everything_wrong_in_the_stable_order():
    flags = photo(device=device(3000, accuracy=900), exif_gps=away(5000, 270), exif_time=NOW - timedelta(days=2),
                  other_uses=1)
    assert codes(flags) == ["outside_geofence", "poor_accuracy", "exif_gps_far", "exif_time_far", "duplicate_photo"]
    assert codes(photo(site=None, device=None, exif_time=NOW - timedelta(days=2), other_uses=3)) == \
        ["no_position", "site_unlocated", "exif_time_far", "duplicate_photo"]


def test_gallery_photo_from_elsewhere_while_standing_on_site():
    flags = photo(exif_gps=away(15_000, 90), exif_time=NOW - timedelta(days=5))
    assert codes(flags) == ["exif_gps_far", "exif_time_far"]


def test_every_flag_carries_its_label():
    flags = photo(site=None, device=None, exif_time=NOW - timedelta(days=2), other_uses=3) + \
        photo(device=device(3000, accuracy=900), exif_gps=away(5000, 270)) + \
        photo(captured_at=NOW - timedelta(hours=3), exif_time=None) + photo(captured_at=NOW + timedelta(hours=1))
    assert {f.code for f in flags} == set(ALL_CODES)
    # the late-upload label carries its delay ("离线采集，上传晚 3 小时"); every other label is the fixed one
    assert all(f.label.startswith(evidence.FLAG_LABELS[f.code]) and f.detail for f in flags)


@settings(max_examples=200, deadline=None)
@given(
    st.none() | st.tuples(st.floats(0, 20_000), st.floats(0, 360), st.none() | st.floats(0, 3000)),
    st.booleans(),
    st.none() | st.tuples(st.floats(0, 20_000), st.floats(0, 360)),
    st.none() | st.integers(-30 * 24 * 60, 30 * 24 * 60),
    st.integers(0, 5),
)
def test_flags_are_unique_ordered_and_consistent(dev, site_known, exif, minutes, uses):
    d = None if dev is None else Position(*away(dev[0], dev[1]), dev[2])
    flags = photo(site=SITE if site_known else None, device=d,
                  exif_gps=None if exif is None else away(*exif),
                  exif_time=None if minutes is None else NOW + timedelta(minutes=minutes), other_uses=uses)
    got = codes(flags)
    assert got == sorted(set(got), key=ALL_CODES.index)
    assert ("no_position" in got) == (d is None)
    if d is None:
        assert not {"outside_geofence", "poor_accuracy", "exif_gps_far"} & set(got)
    assert ("duplicate_photo" in got) == (uses > 0)


def test_late_upload_says_how_late_and_compares_exif_with_capture_time():
    """A photo taken on site at 07:00 (EXIF and phone agree), queued offline, sent at 10:00."""
    flags = photo(captured_at=NOW - timedelta(hours=3), exif_time=NOW - timedelta(hours=3, minutes=1))
    assert [f.label for f in flags] == ["离线采集，上传晚 3 小时"]
    assert "2025-05-20 07:00（北京时间）" in flags[0].detail
    # against the upload time alone the same photo would be called a wrong capture time
    assert codes(photo(exif_time=NOW - timedelta(hours=3, minutes=1))) == ["exif_time_far"]
    # a gallery photo from two days before the capture is still caught, against the capture time
    far = photo(captured_at=NOW - timedelta(hours=3), exif_time=NOW - timedelta(days=2, hours=3))
    assert codes(far) == ["exif_time_far", "late_upload"]
    assert far[0].detail == "照片拍摄时间比手机采集时间早 2 天（允许相差 2 小时）"


def test_late_upload_boundary_and_clock_ahead():
    assert evidence.LATE_UPLOAD_LIMIT == timedelta(hours=2)
    assert photo(captured_at=NOW - timedelta(hours=2)) == []
    assert codes(photo(captured_at=NOW - timedelta(hours=2, seconds=1), exif_time=None)) == ["late_upload"]
    # a capture time in the future: the phone's clock is wrong, EXIF is compared with the upload time
    ahead = photo(captured_at=NOW + timedelta(days=1), exif_time=NOW - timedelta(minutes=10))
    assert codes(ahead) == ["clock_ahead"]
    assert photo(captured_at=NOW + timedelta(minutes=5)) == []
