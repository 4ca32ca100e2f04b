"""Photo pipeline: validate an upload, keep the original, write a watermarked display copy and a thumbnail.

Pure Python over Pillow and pillow-heif; no Flask, no database. Files are content-addressed
under `media_root` and published atomically, so a rejected or failed upload leaves no file behind.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import pillow_heif
from PIL import Image, ImageDraw, ImageFile, ImageFont

from .storage import LocalStorage

pillow_heif.register_heif_opener()

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
BEIJING = timezone(timedelta(hours=8), "CST")  # China has one zone and no DST: Asia/Shanghai is +08:00
DRAFT_SLACK = 0.75  # a 1/2^k decode is kept as is when its long side is within [0.75, 1] × display_max
DISPLAY_QUALITY = 82
DISPLAY_PROGRESSIVE = False  # progressive costs ~35 ms more per 12 MP upload for ~7% smaller files (bench/photos.py)
THUMB_QUALITY = 80
FONT_FACE = "Noto Sans CJK SC"
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
)
UNKNOWN = "不是可识别的图片（支持 JPEG、PNG、WebP、HEIC）"
CORRUPT = "图片文件已损坏或不完整"
TRANSPOSE = {  # EXIF orientation (tag 274) → the operation that makes the image upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
EXIF_WARNINGS = r"PIL\.TiffImagePlugin"  # "Corrupt EXIF data": we read what we can, the rest is None
OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


class PhotoError(ValueError):
    """A rejected upload. `reason` is Chinese for the user; `status` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 422):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Watermark:
    """What is burned into the display copy: where, when (server time), the device position and who."""

    site: str
    server_time: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    inspector: str

    def __post_init__(self):
        """Refuse a naive time: the watermark must say Beijing time unambiguously."""
        if self.server_time.tzinfo is None or self.server_time.utcoffset() is None:
            raise ValueError("Watermark.server_time must be timezone-aware")

    def lines(self) -> list[str]:
        """The Chinese text lines, top to bottom."""
        when = self.server_time.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return [self.site, f"{when} (北京时间)", self._position(), f"检查员 {self.inspector}"]

    def _position(self) -> str:
        """`34.870000, 116.860000 ±12 m`, or 无定位 without a fix."""
        if self.lat is None or self.lon is None:
            return "无定位"
        text = f"{self.lat:.6f}, {self.lon:.6f}"
        return text if self.accuracy_m is None else f"{text} ±{self.accuracy_m:.0f} m"

    def digest(self) -> str:
        """First 12 hex digits of the SHA-256 of the lines: names this watermark's display copy."""
        return hashlib.sha256("\n".join(self.lines()).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class StoredPhoto:
    """An ingested photo: its identity, what its EXIF claims, and where its three files are."""

    sha256: str
    size_bytes: int
    format: str
    width: int
    height: int
    exif_time: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    original: str
    display: str
    thumb: str
    created: tuple[str, ...]


@dataclass(frozen=True)
class _Decoded:
    """A validated upload: format, upright full size, EXIF facts, and the upright display-size RGB image."""

    format: str
    width: int
    height: int
    exif_time: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    icc_profile: bytes | None
    image: Image.Image


class Oversized(bytes):
    """The first max_bytes + 1 bytes of an upload that was larger; `real_size` is its whole length."""

    real_size: int


def read_upload(stream, max_bytes: int, *, chunk: int = 1024 * 1024) -> bytes:
    """Read a whole upload stream. Within the limit: all its bytes. Over it: an Oversized holding
    only the first max_bytes + 1 (the rest is read and dropped, to learn the real size), which
    `ingest` refuses with 413 naming the real size; a truncated file is never returned as whole."""
    kept, size = [], 0
    while True:
        block = stream.read(chunk)
        if not block:
            break
        if size <= max_bytes:
            kept.append(block[:max_bytes + 1 - size])
        size += len(block)
    data = b"".join(kept)
    if size <= max_bytes:
        return data
    out = Oversized(data)
    out.real_size = size
    return out


def ingest(data: bytes, *, media_root: Path, watermark: Watermark, max_bytes: int = 25 * 1024 * 1024,
           max_pixels: int = 50_000_000, display_max: int = 2048, thumb_max: int = 320) -> StoredPhoto:
    """Validate an upload and store its original, watermarked display copy and thumbnail."""
    if not data:
        raise PhotoError("文件是空的", 400)
    if len(data) > max_bytes or isinstance(data, Oversized):
        size = getattr(data, "real_size", len(data))
        raise PhotoError(f"文件太大（{_megabytes(size)}，{size:,} 字节），上限是 {_megabytes(max_bytes)}"
                         f"（{max_bytes:,} 字节）；未保存", 413)
    decoded = _decode(data, max_pixels=max_pixels, display_max=display_max)
    sha = hashlib.sha256(data).hexdigest()
    wm = watermark.digest()
    paths = (_relative("originals", sha, f"{sha}.{EXTENSIONS[decoded.format]}"),
             _relative("display", sha, f"{sha}-{wm}.jpg"),
             _relative("thumbs", sha, f"{sha}-{wm}.jpg"))
    created = _store(data, decoded, watermark, media_root=Path(media_root), paths=paths, thumb_max=thumb_max)
    return StoredPhoto(sha256=sha, size_bytes=len(data), format=decoded.format,
                       width=decoded.width, height=decoded.height, exif_time=decoded.exif_time,
                       exif_lat=decoded.exif_lat, exif_lon=decoded.exif_lon,
                       original=paths[0], display=paths[1], thumb=paths[2], created=created)


def remove(media_root: Path, relative_paths: Iterable[str]) -> None:
    """Delete stored files; a file that is already gone is fine."""
    for rel in relative_paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(Path(media_root) / rel)


def watermark_font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC at `size` px; RuntimeError if no CJK font is installed."""
    path, index = _font_face()
    return _font(path, index, size)


# --- validation and decoding -------------------------------------------------------------------

def _decode(data: bytes, *, max_pixels: int, display_max: int) -> _Decoded:
    """Check the upload is a whole, allowed image of sane size; decode it to an upright display-size RGB."""
    # WeasyPrint sets this process-wide flag to True when it is imported (for the reports); an
    # upload must be refused when it is cut short, never padded with grey.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with _open(data, max_pixels) as probe:
        try:
            probe.verify()
        except Exception as exc:
            raise PhotoError(CORRUPT) from exc
    with _open(data, max_pixels) as img:
        fmt = "JPEG" if img.format == "MPO" else img.format  # a multi-picture JPEG is still a JPEG file
        exif = _exif(img)
        orientation = _orientation(fmt, exif)
        width, height = img.size if orientation < 5 else img.size[::-1]
        icc = img.info.get("icc_profile") or None
        factor = _reduction(img.size, display_max)
        target = _fit((math.ceil(img.width / factor), math.ceil(img.height / factor)), display_max)
        try:
            if fmt == "JPEG" and factor > 1:  # libjpeg decodes at 1/factor scale directly
                img.draft("RGB", (img.width // factor, img.height // factor))
            img.load()
        except Exception as exc:
            raise PhotoError(CORRUPT) from exc
        image = _to_display(img, target=target, orientation=orientation)
        lat, lon = _exif_position(exif)
        return _Decoded(format=fmt, width=width, height=height, exif_time=_exif_time(exif),
                        exif_lat=lat, exif_lon=lon, icc_profile=icc, image=image)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open the header of an allowed format, refusing oversized pictures before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", module=EXIF_WARNINGS)  # JPEG's open already parses EXIF
            img = Image.open(io.BytesIO(data), formats=list(EXTENSIONS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except Exception as exc:  # noqa: BLE001 - plugins raise many kinds; the magic bytes decide the answer
        if _sniff(data):
            raise PhotoError(CORRUPT) from exc
        raise PhotoError(UNKNOWN, 415) from exc
    if img.width <= 0 or img.height <= 0:
        img.close()
        raise PhotoError(CORRUPT)
    if img.width * img.height > max_pixels:
        img.close()
        raise _too_many_pixels(max_pixels, img.size)
    return img


def _sniff(data: bytes) -> str | None:
    """The allowed format the magic bytes announce, if any (to tell a damaged photo from a non-photo)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def _reduction(size: tuple[int, int], display_max: int) -> int:
    """The coarsest 1/2, 1/4 or 1/8 scale whose long side still reaches DRAFT_SLACK × display_max (else 1)."""
    longest = max(size)
    for factor in (8, 4, 2):
        if longest / factor >= DRAFT_SLACK * display_max:
            return factor
    return 1


def _to_display(img: Image.Image, *, target: tuple[int, int], orientation: int) -> Image.Image:
    """A loaded image as RGB at `target` size (stored orientation), then made upright."""
    out = _rgb(img)
    if out.size != target:  # box-reduce by the whole factor (PNG, WebP, HEIF), bilinear for the rest
        out = out.resize(target, Image.Resampling.BILINEAR, reducing_gap=1.0)
    if orientation in TRANSPOSE:
        out = out.transpose(TRANSPOSE[orientation])
    if out is img:  # small, upright RGB: still give the caller its own image
        out = img.copy()
    out.info = {}
    return out


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled down so its long side is at most `longest`."""
    w, h = size
    scale = longest / max(w, h)
    if scale >= 1:
        return w, h
    return max(1, round(w * scale)), max(1, round(h * scale))


def _rgb(img: Image.Image) -> Image.Image:
    """An RGB version of any mode: transparency goes onto white, 16-bit grey is scaled down."""
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        out = Image.new("RGB", img.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
        return out
    if img.mode.startswith("I;16") or img.mode == "I":
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L").convert("RGB")
    return img.convert("RGB")


# --- EXIF -----------------------------------------------------------------------------------------

def _exif(img: Image.Image) -> Image.Exif:
    """The image's EXIF, or an empty one when it is missing or unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=EXIF_WARNINGS)
            return img.getexif()
    except Exception:  # noqa: BLE001 - malformed EXIF must never reject a photo
        return Image.Exif()


def _orientation(fmt: str, exif: Image.Exif) -> int:
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


def _exif_time(exif: Image.Exif) -> datetime | None:
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
        return naive.replace(tzinfo=BEIJING)
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return naive.replace(tzinfo=timezone(-delta if m.group(1) == "-" else delta))


def _text(value: str | bytes) -> str:
    """An EXIF ASCII value as clean text."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).strip("\x00 ")


def _exif_position(exif: Image.Exif) -> tuple[float | None, float | None]:
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


# --- rendering ------------------------------------------------------------------------------------

def _burn(img: Image.Image, lines: list[str]) -> None:
    """Draw the watermark lines in white on a semi-transparent dark band at the bottom of `img`."""
    size = max(14, img.width // 40)
    pad = size // 2
    font = watermark_font(size)
    widest = max(font.getlength(line) for line in lines)
    if widest > img.width - 2 * pad and size > 14:  # a long site name: shrink to fit the width
        size = max(14, int(size * (img.width - 2 * pad) / widest))
        font = watermark_font(size)
    step = round(size * 1.35)
    band = (0, max(0, img.height - step * len(lines) - 2 * pad), img.width, img.height)
    img.paste(img.crop(band).point(lambda v: v * 45 // 100), band)  # ≈ 55 % black over the photo
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((pad, band[1] + pad + i * step), line, font=font, fill=(255, 255, 255))


def _encode_jpeg(img: Image.Image, *, quality: int, progressive: bool, icc_profile: bytes | None) -> bytes:
    """JPEG bytes of an RGB image, without EXIF."""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, progressive=progressive, icc_profile=icc_profile, exif=b"")
    return buf.getvalue()


@lru_cache(maxsize=1)
def _font_face() -> tuple[str, int]:
    """Path and .ttc face index of Noto Sans CJK SC (any CJK face as a fallback)."""
    fallback = None
    for path in _font_candidates():
        for index in range(16):
            try:
                name = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
            except OSError:
                break
            if name == FONT_FACE:
                return path, index
            if fallback is None and "CJK" in name:
                fallback = (path, index)
    if fallback:
        return fallback
    raise RuntimeError("No CJK font for photo watermarks: install Debian's fonts-noto-cjk "
                       "(apt-get install fonts-noto-cjk); refusing to draw the Chinese text as boxes")


def _font_candidates() -> Iterator[str]:
    """Known Noto CJK paths that exist, then (only if still needed) fontconfig's file for the SC face."""
    yield from (path for path in FONT_PATHS if os.path.isfile(path))
    try:
        answer = subprocess.run(["fc-match", "-f", "%{file}", FONT_FACE], capture_output=True,
                                text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return
    if answer and os.path.isfile(answer) and answer not in FONT_PATHS:
        yield answer


@lru_cache(maxsize=32)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A loaded font face at one size (loading a .ttc costs a few ms, so sizes are kept)."""
    return ImageFont.truetype(path, size, index=index)


# --- storage --------------------------------------------------------------------------------------

def _store(data: bytes, decoded: _Decoded, watermark: Watermark, *, media_root: Path,
           paths: tuple[str, str, str], thumb_max: int) -> tuple[str, ...]:
    """Write whichever of the three files are missing; on any failure delete what this call wrote."""
    created: list[str] = []
    original, display, thumb = paths
    try:
        _put(media_root, original, data, created)
        if (media_root / display).exists() and (media_root / thumb).exists():
            return tuple(created)
        image = decoded.image  # ours alone: the watermark is drawn on it in place, no copy
        _burn(image, watermark.lines())
        _put(media_root, display, _encode_jpeg(image, quality=DISPLAY_QUALITY,
                                               progressive=DISPLAY_PROGRESSIVE,
                                               icc_profile=decoded.icc_profile), created)
        small = image.resize(_fit(image.size, thumb_max), Image.Resampling.BILINEAR, reducing_gap=1.0)
        _put(media_root, thumb, _encode_jpeg(small, quality=THUMB_QUALITY, progressive=False,
                                             icc_profile=decoded.icc_profile), created)
    except BaseException:
        remove(media_root, created)
        raise
    return tuple(created)


def _put(media_root: Path, rel: str, payload: bytes, created: list[str]) -> None:
    """Publish `payload` at `rel` through the media storage (atomic), unless it is already there."""
    if LocalStorage(media_root).put_at(rel, payload):
        created.append(rel)


def _relative(kind: str, sha: str, name: str) -> str:
    """`kind/ab/cd/name`: two levels of fan-out by the content hash, POSIX style."""
    return f"{kind}/{sha[:2]}/{sha[2:4]}/{name}"


def _megabytes(n: int) -> str:
    """A byte count for people: `25 MB`, `3.2 MB`, or KB below 1 MB."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1024))} KB"


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> PhotoError:
    """The 413 for a picture with too many pixels (a decompression bomb or a huge scan)."""
    limit = f"{max_pixels / 10_000:g} 万像素" if max_pixels >= 10_000 else f"{max_pixels} 像素"
    actual = f"（{size[0]}×{size[1]}）" if size else ""
    return PhotoError(f"图片像素太多{actual}，上限是 {limit}", 413)


def print_copy(media_root: Path, display: str, *, max_px: int = 640, quality: int = 72) -> str:
    """A small JPEG of a display copy for printing (≈ 200 dpi at 8 cm), made once, stored beside it.

    Reports embed these instead of originals, so a report with 40 photos stays a few MB.
    """
    source = Path(media_root) / display
    name = Path(display).stem + f"-p{max_px}.jpg"
    rel = str(Path("print") / Path(display).parent.relative_to("display") / name) \
        if display.startswith("display/") else str(Path("print") / name)
    target = Path(media_root) / rel
    if target.exists():
        return Path(rel).as_posix()
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as img:
        img.draft("RGB", (max_px, max_px))
        img = img.convert("RGB")
        img.thumbnail((max_px, max_px), Image.Resampling.BILINEAR, reducing_gap=2.0)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".jpg")
        try:
            with os.fdopen(fd, "wb") as fh:
                img.save(fh, "JPEG", quality=quality, optimize=True)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    return Path(rel).as_posix()
