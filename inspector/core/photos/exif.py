"""What a photo's EXIF claims: orientation, capture time and GPS position; malformed EXIF gives None,
never an error. Pure."""
from __future__ import annotations

import math
import re
import warnings
from datetime import datetime, timedelta, timezone

from PIL import Image

# A capture time written without its offset is Beijing wall-clock time: +08:00, a fixed offset
# (not clock.CHINA, whose history has 1986–1991 summer time and a pre-1901 local mean time).
NO_OFFSET = timezone(timedelta(hours=8), "CST")
TRANSPOSE = {  # EXIF orientation (tag 274) → the operation that makes the image upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
EXIF_WARNINGS = r"PIL\.TiffImagePlugin"  # "Corrupt EXIF data": we read what we can, the rest is None
OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def read_exif(img: Image.Image) -> Image.Exif:
    """The image's EXIF, or an empty one when it is missing or unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=EXIF_WARNINGS)
            return img.getexif()
    except Exception:  # noqa: BLE001 - malformed EXIF must never reject a photo
        return Image.Exif()


def orientation_to_apply(fmt: str, exif: Image.Exif) -> int:
    """The EXIF orientation still to apply (pillow-heif already applies HEIF's own transforms)."""
    if fmt == "HEIF":
        return 1
    try:
        value = int(exif.get(274, 1))
    except (TypeError, ValueError):
        return 1
    return value if value in TRANSPOSE else 1


# (time tag, its offset tag): DateTimeOriginal with OffsetTimeOriginal, then DateTimeDigitized with
# OffsetTimeDigitized. Never DateTime (306): that is when the file was last saved or edited, not taken.
CAPTURE_TIME_TAGS = ((36867, 36881), (36868, 36882))


def capture_time(exif: Image.Exif) -> datetime | None:
    """The capture time: DateTimeOriginal, else DateTimeDigitized (Exif IFD, or IFD0 where some writers put
    them), with its offset tag when present, else +08:00; None when neither is there or readable."""
    try:
        sub = exif.get_ifd(0x8769)
    except Exception:  # noqa: BLE001 - malformed EXIF gives None, never an error
        return None
    for tag, offset_tag in CAPTURE_TIME_TAGS:
        for ifd in (sub, exif):
            try:
                stamp, offset = ifd.get(tag), ifd.get(offset_tag) or sub.get(offset_tag)
                found = _parse_time(stamp, offset) if stamp else None
            except Exception:  # noqa: BLE001 - one malformed tag: try the next
                found = None
            if found is not None:
                return found
    return None


def _parse_time(stamp: str | bytes, offset: str | bytes | None) -> datetime | None:
    """`2026:11:23 15:04:05` plus `+08:00` → an aware datetime (None when malformed)."""
    try:
        naive = datetime.strptime(_text(stamp)[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    m = OFFSET_RE.match(_text(offset)) if offset else None
    if not m:
        return naive.replace(tzinfo=NO_OFFSET)
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return naive.replace(tzinfo=timezone(-delta if m.group(1) == "-" else delta))


def _text(value: str | bytes) -> str:
    """An EXIF ASCII value as clean text."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).strip("\x00 ")


def gps_position(exif: Image.Exif) -> tuple[float | None, float | None]:
    """Signed decimal degrees from the GPS IFD; (None, None) when missing, malformed or exactly 0, 0."""
    try:
        gps = exif.get_ifd(0x8825)
        lat = _degrees(gps[2], gps[1], "NS", 90)
        lon = _degrees(gps[4], gps[3], "EW", 180)
    except Exception:  # noqa: BLE001 - malformed EXIF gives None, never an error
        return None, None
    if lat == 0 and lon == 0:  # cameras without a fix sometimes write zeros
        return None, None
    return lat, lon


def _degrees(value, ref, refs: str, limit: float) -> float:
    """Degrees, minutes, seconds rationals and a hemisphere letter → signed degrees."""
    d, m, s = (float(v) for v in value)
    degrees = d + m / 60 + s / 3600
    hemisphere = _text(ref).upper()[:1]
    if not (math.isfinite(degrees) and 0 <= degrees <= limit and hemisphere and hemisphere in refs):
        raise ValueError(f"bad GPS value {value!r} {ref!r}")
    return -degrees if hemisphere == refs[1] else degrees
