"""Evidence flags: warnings about where and when a capture was made, shown to reviewers. Pure functions.

Flags never block capture; they tell a reviewer what to look at. Defaults, and why:

- ACCURACY_LIMIT_M = 100: phone GPS outdoors is typically accurate to 5–20 m, indoors with Wi-Fi
  positioning 20–65 m, while a fix from cell towers alone is 500 m or worse. 100 m separates a usable
  fix from a cell-only one.
- GEOFENCE_M = 200: a village center compound plus its sports ground spans about 100–150 m, and the
  site's coordinate may be the gate or the building, so 200 m around it still counts as on site.
- EXIF_GPS_LIMIT_M = 300: the position a photo carries and the phone's position at upload are taken
  by different fixes, indoors often; 300 m allows that drift but catches gallery photos from elsewhere.
- EXIF_TIME_LIMIT = 2 h: allows a photo taken earlier in the same visit and uploaded later. When the
  phone says when it took the photo (`captured_at`, sent by the outbox), the EXIF time is compared
  with that capture time, so a photo queued offline and sent hours later is not called a gallery photo.
- LATE_UPLOAD_LIMIT = 2 h: the same window as EXIF_TIME_LIMIT, one visit. An upload that arrives
  within it was sent during the visit and the server's own clock (the watermark time) vouches for
  when it was taken; one that arrives later was queued offline, and only the phone's clock says when
  it was taken, which the inspector can set by hand (Android's "自动确定日期和时间" can be turned off).
  The reviewer is told so ("离线采集，上传晚 3 小时"). A phone whose clock is set automatically from the
  network (NITZ) or NTP is within seconds of true time, so a gap this large is the delay, not drift.
- CLOCK_AHEAD_LIMIT = 5 min: a capture time later than the server's clock by more than this cannot
  be true (the photo would come from the future); the phone's clock is wrong and the capture time is
  not used as the reference for the EXIF comparison. Five minutes covers request time and small drift.

All positions are WGS-84 (lat, lon); all datetimes must be timezone-aware.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import geo
from .geo import Position

ACCURACY_LIMIT_M = 100
GEOFENCE_M = 200
EXIF_GPS_LIMIT_M = 300
EXIF_TIME_LIMIT = timedelta(hours=2)
LATE_UPLOAD_LIMIT = timedelta(hours=2)
CLOCK_AHEAD_LIMIT = timedelta(minutes=5)
BEIJING = timezone(timedelta(hours=8), "CST")

# flag codes, in the order flags are reported
NO_POSITION, SITE_UNLOCATED = "no_position", "site_unlocated"
OUTSIDE_GEOFENCE, POOR_ACCURACY = "outside_geofence", "poor_accuracy"
EXIF_GPS_FAR, EXIF_TIME_FAR, DUPLICATE_PHOTO = "exif_gps_far", "exif_time_far", "duplicate_photo"
LATE_UPLOAD, CLOCK_AHEAD = "late_upload", "clock_ahead"
FLAG_LABELS = {
    NO_POSITION: "无手机定位", SITE_UNLOCATED: "站点无坐标",
    OUTSIDE_GEOFENCE: "不在站点范围内", POOR_ACCURACY: "定位精度差",
    EXIF_GPS_FAR: "照片拍摄地点不符", EXIF_TIME_FAR: "照片拍摄时间不符",
    LATE_UPLOAD: "离线采集，上传晚", CLOCK_AHEAD: "手机时间不准", DUPLICATE_PHOTO: "重复使用的照片",
}
_ORDER = {code: i for i, code in enumerate(FLAG_LABELS)}


@dataclass(frozen=True)
class Flag:
    """One warning for reviewers: a code, a short Chinese label, and a detail with the numbers."""
    code: str
    label: str
    detail: str


def _flag(code: str, detail: str) -> Flag:
    """A Flag with its standard label."""
    return Flag(code, FLAG_LABELS[code], detail)


def _num(value: float) -> str:
    """A number with at most one decimal, without a trailing .0."""
    return f"{value:.1f}".removesuffix(".0")


def _length(metres: float) -> str:
    """A distance in words: whole 米 below 1000 m, 公里 with one decimal from there on."""
    if round(metres) < 1000:
        return f"{round(metres)} 米"
    return f"{metres / 1000:.1f} 公里"


def _span(delta: timedelta) -> str:
    """A positive time span in words: 分钟 under an hour, 小时 under two days, then 天."""
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)} 分钟"
    if hours < 48:
        return f"{_num(hours)} 小时"
    return f"{_num(hours / 24)} 天"


def _accuracy_text(device: Position) -> str:
    """The accuracy in words, e.g. 定位精度 ±15 米, or that it is unknown."""
    return "定位精度未知" if device.accuracy_m is None else f"定位精度 ±{_length(device.accuracy_m)}"


def _require_aware(moment: datetime, what: str) -> None:
    """ValueError for a naive datetime: comparing it with an aware one would be meaningless."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what}缺少时区信息")


def _geofence_flag(site: tuple[float, float], radius_m: float, device: Position) -> Flag | None:
    """outside_geofence when the device is farther than radius_m from the site; exactly at the radius is inside."""
    distance = geo.distance_m(site, device.point)
    if distance <= radius_m:
        return None
    return _flag(OUTSIDE_GEOFENCE,
                 f"距站点 {_length(distance)}（范围 {_length(radius_m)}，{_accuracy_text(device)}）")


def _accuracy_flag(device: Position, limit_m: float) -> Flag | None:
    """poor_accuracy when the reported accuracy radius is above the limit."""
    if device.accuracy_m is None or device.accuracy_m <= limit_m:
        return None
    return _flag(POOR_ACCURACY,
                 f"定位精度 ±{_length(device.accuracy_m)}，超过 {_length(limit_m)}，可能只是基站定位")


def position_flags(*, site: tuple[float, float] | None, radius_m: float, device: Position | None,
                   accuracy_limit_m: float = ACCURACY_LIMIT_M) -> list[Flag]:
    """Flags about the device position against the site: missing, outside the geofence, poor accuracy."""
    flags: list[Flag | None] = []
    if device is None:
        flags.append(_flag(NO_POSITION, "未取得手机定位（未授权定位或定位失败）"))
    if site is None:
        flags.append(_flag(SITE_UNLOCATED, "站点未标注坐标，无法核对是否在现场"))
    if device is not None:
        if site is not None:
            flags.append(_geofence_flag(site, radius_m, device))
        flags.append(_accuracy_flag(device, accuracy_limit_m))
    return _ordered(flags)


def _exif_gps_flag(exif_gps: tuple[float, float] | None, device: Position | None, limit_m: float) -> Flag | None:
    """exif_gps_far when the photo's own GPS and the device position are both known and too far apart."""
    if exif_gps is None or device is None:
        return None
    distance = geo.distance_m(exif_gps, device.point)
    if distance <= limit_m:
        return None
    return _flag(EXIF_GPS_FAR, f"照片自带位置距手机定位 {_length(distance)}（允许 {_length(limit_m)}），"
                               "可能是从相册选取的其他地点照片")


def _exif_time_flag(exif_time: datetime | None, reference: datetime, limit: timedelta, *,
                    against: str = "上传时间") -> Flag | None:
    """exif_time_far when the photo's own time is more than the limit before or after the reference
    (the upload, or the phone's capture time when it sent one)."""
    if exif_time is None:
        return None
    gap = exif_time - reference
    if abs(gap) <= limit:
        return None
    when = "早" if gap < timedelta(0) else "晚"
    return _flag(EXIF_TIME_FAR, f"照片拍摄时间比{against}{when} {_span(abs(gap))}（允许相差 {_span(limit)}）")


def _local_text(moment: datetime) -> str:
    """A moment as Beijing time, to the minute."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def capture_flags(*, captured_at: datetime | None, server_time: datetime,
                  late_limit: timedelta = LATE_UPLOAD_LIMIT,
                  ahead_limit: timedelta = CLOCK_AHEAD_LIMIT) -> list[Flag]:
    """Flags about the phone's capture time against the server's clock: sent late (queued offline),
    or a capture time in the future (the phone's clock is wrong)."""
    if captured_at is None:
        return []
    _require_aware(captured_at, "采集时间")
    delay = server_time - captured_at
    if delay > late_limit:
        return [Flag(LATE_UPLOAD, f"离线采集，上传晚 {_span(delay)}",
                     f"手机记录的采集时间 {_local_text(captured_at)}（北京时间），上传晚 {_span(delay)}"
                     f"（超过 {_span(late_limit)}）；采集时间只由手机时钟证明")]
    if -delay > ahead_limit:
        return [_flag(CLOCK_AHEAD, f"手机记录的采集时间比服务器时间晚 {_span(-delay)}，手机时钟可能不准")]
    return []


def _duplicate_flag(other_uses: int) -> Flag | None:
    """duplicate_photo when the same photo content is already used elsewhere."""
    if other_uses <= 0:
        return None
    return _flag(DUPLICATE_PHOTO, f"该照片已在其他 {other_uses} 处检查中使用")


def photo_flags(*, site: tuple[float, float] | None, radius_m: float, device: Position | None,
                exif_gps: tuple[float, float] | None, exif_time: datetime | None, server_time: datetime,
                other_uses: int, accuracy_limit_m: float = ACCURACY_LIMIT_M,
                exif_gps_limit_m: float = EXIF_GPS_LIMIT_M,
                exif_time_limit: timedelta = EXIF_TIME_LIMIT,
                captured_at: datetime | None = None) -> list[Flag]:
    """Flags for one uploaded photo: the position flags plus EXIF place, EXIF time, capture time and reuse.

    `device` is the phone's position at capture (sent with the photo); `captured_at`, when the phone
    sent it, is its clock at capture: the EXIF time is compared with it instead of the upload time,
    unless the phone's clock is ahead of the server's (then it cannot be trusted)."""
    _require_aware(server_time, "服务器时间")
    if exif_time is not None:
        _require_aware(exif_time, "照片拍摄时间")
    flags: list[Flag | None] = list(position_flags(site=site, radius_m=radius_m, device=device,
                                                   accuracy_limit_m=accuracy_limit_m))
    flags.append(_exif_gps_flag(exif_gps, device, exif_gps_limit_m))
    capture = capture_flags(captured_at=captured_at, server_time=server_time)
    trusted = captured_at is not None and not any(f.code == CLOCK_AHEAD for f in capture)
    flags.append(_exif_time_flag(exif_time, captured_at if trusted else server_time, exif_time_limit,
                                 against="手机采集时间" if trusted else "上传时间"))
    flags += capture
    flags.append(_duplicate_flag(other_uses))
    return _ordered(flags)


def _ordered(flags: list[Flag | None]) -> list[Flag]:
    """The flags that were raised, in the fixed order of FLAG_LABELS."""
    return sorted((f for f in flags if f is not None), key=lambda f: _ORDER[f.code])
