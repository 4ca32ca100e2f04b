"""Coordinates: WGS-84 / GCJ-02 / BD-09 conversion, distances, positions from forms. Pure functions.

Everything is stored and compared in WGS-84, (lat, lon) order. Phones report WGS-84 (the browser
Geolocation API); coordinates copied from Amap, Tencent or WeChat maps are GCJ-02, from Baidu Maps BD-09.
GCJ-02 is the published obfuscation (Krasovsky ellipsoid constants); it applies only inside the rough
China bounding box. BD-09 is a further shift of GCJ-02. Both inverses here are iterative, not the
usual one-step approximations (which are off by up to a few metres).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geopy.distance import geodesic

WGS84, GCJ02, BD09 = "wgs84", "gcj02", "bd09"
SYSTEM_LABELS = {WGS84: "WGS-84（GPS、天地图）", GCJ02: "GCJ-02（高德、腾讯、微信地图）", BD09: "BD-09（百度地图）"}

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the GCJ-02 algorithm
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON, _BD_DLAT = 0.0065, 0.006
_TOLERANCE = 1e-10  # degrees (≈ 0.01 mm) at which the inverses stop iterating
_MAX_ROUNDS = 30


def out_of_china(lat: float, lon: float) -> bool:
    """True outside the rough China bounding box, where GCJ-02 leaves coordinates unchanged."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    """The GCJ-02 latitude shift polynomial of x = lon − 105, y = lat − 35, before scaling to degrees."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    """The GCJ-02 longitude shift polynomial of x = lon − 105, y = lat − 35."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 offset in degrees (dlat, dlon) at a WGS-84 point, ignoring the China box."""
    dlat, dlon = _shift_lat(lon - 105.0, lat - 35.0), _shift_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 to GCJ-02; unchanged outside China."""
    if out_of_china(lat, lon):
        return lat, lon
    dlat, dlon = _gcj_offset(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 to WGS-84 by fixed-point iteration of w = g − offset(w); error well under 1e-7 degrees."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(_MAX_ROUNDS):
        dlat, dlon = _gcj_offset(w_lat, w_lon)
        n_lat, n_lon = lat - dlat, lon - dlon
        done = abs(n_lat - w_lat) < _TOLERANCE and abs(n_lon - w_lon) < _TOLERANCE
        w_lat, w_lon = n_lat, n_lon
        if done:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 to BD-09 (Baidu's own forward formula)."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + _BD_DLAT, z * math.cos(theta) + _BD_DLON


def _bd09_to_gcj02_rough(lat: float, lon: float) -> tuple[float, float]:
    """The usual one-step BD-09 to GCJ-02 formula, off by up to about 1e-6 degrees."""
    x, y = lon - _BD_DLON, lat - _BD_DLAT
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 to GCJ-02: the one-step formula, refined until gcj02_to_bd09 gives the input back."""
    g_lat, g_lon = _bd09_to_gcj02_rough(lat, lon)
    for _ in range(_MAX_ROUNDS):
        b_lat, b_lon = gcj02_to_bd09(g_lat, g_lon)
        g_lat, g_lon = g_lat - (b_lat - lat), g_lon - (b_lon - lon)
        if abs(b_lat - lat) < _TOLERANCE and abs(b_lon - lon) < _TOLERANCE:
            break
    return g_lat, g_lon


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 to BD-09, through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 to WGS-84, through GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


_TO_WGS84 = {WGS84: lambda lat, lon: (lat, lon), GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}
_FROM_WGS84 = {WGS84: lambda lat, lon: (lat, lon), GCJ02: wgs84_to_gcj02, BD09: wgs84_to_bd09}


def _check(lat: float, lon: float, system: str) -> None:
    """ValueError for an unknown coordinate system or a latitude/longitude out of range."""
    if system not in SYSTEM_LABELS:
        raise ValueError(f"未知的坐标系：{system!r}，应为 {' / '.join(SYSTEM_LABELS)}")
    if not -90 <= lat <= 90:
        raise ValueError(f"纬度应在 -90 到 90 之间，而不是 {lat}")
    if not -180 <= lon <= 180:
        raise ValueError(f"经度应在 -180 到 180 之间，而不是 {lon}")


def to_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """A point given in `system` as WGS-84."""
    _check(lat, lon, system)
    return _TO_WGS84[system](lat, lon)


def from_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """A WGS-84 point as `system`, e.g. to open it in a Chinese map app."""
    _check(lat, lon, system)
    return _FROM_WGS84[system](lat, lon)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic (WGS-84 ellipsoid) distance in metres between two (lat, lon) points."""
    return geodesic(a, b).meters


@dataclass(frozen=True)
class Position:
    """A WGS-84 device position, with the reported accuracy radius in metres when known."""
    lat: float
    lon: float
    accuracy_m: float | None = None

    @property
    def point(self) -> tuple[float, float]:
        """(lat, lon)."""
        return self.lat, self.lon


def _form_number(raw: Any, what: str) -> float | None:
    """A finite number from a form value; None when blank; ValueError otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{what}应为数字")
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValueError(f"{what}应为数字，而不是 {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what}应为有限的数字")
    return value


def parse_position(lat: Any, lon: Any, accuracy: Any) -> Position | None:
    """A Position from form strings; None when latitude and longitude are both blank; ValueError when invalid."""
    lat_v, lon_v = _form_number(lat, "纬度"), _form_number(lon, "经度")
    if lat_v is None and lon_v is None:
        return None
    if lat_v is None or lon_v is None:
        raise ValueError("纬度和经度应同时填写")
    _check(lat_v, lon_v, WGS84)
    accuracy_v = _form_number(accuracy, "定位精度")
    if accuracy_v is not None and accuracy_v < 0:
        raise ValueError("定位精度不能为负数")
    return Position(lat_v, lon_v, accuracy_v)
