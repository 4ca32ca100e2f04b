"""Validating and decoding an upload: a whole image of an allowed format and a sane size, made upright
at display size in RGB. Pure Python over Pillow and pillow-heif."""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import datetime

import pillow_heif
from PIL import Image, ImageFile

from .exif import EXIF_WARNINGS, TRANSPOSE, capture_time, gps_position, orientation_to_apply, read_exif

pillow_heif.register_heif_opener()

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
DRAFT_SLACK = 0.75  # a 1/2^k decode is kept as is when its long side is within [0.75, 1] × display_max
UNKNOWN = "不是可识别的图片（支持 JPEG、PNG、WebP、HEIC）"
CORRUPT = "图片文件已损坏或不完整"
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


class PhotoError(ValueError):
    """A rejected upload. `reason` is Chinese for the user; `status` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 422):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Decoded:
    """A validated upload: format, upright full size, EXIF facts, and the upright display-size RGB image."""

    format: str
    width: int
    height: int
    exif_time: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    icc_profile: bytes | None
    image: Image.Image


def decode(data: bytes, *, max_pixels: int, display_max: int) -> Decoded:
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
        exif = read_exif(img)
        orientation = orientation_to_apply(fmt, exif)
        width, height = img.size if orientation < 5 else img.size[::-1]
        icc = img.info.get("icc_profile") or None
        factor = reduction(img.size, display_max)
        target = fit((math.ceil(img.width / factor), math.ceil(img.height / factor)), display_max)
        try:
            if fmt == "JPEG" and factor > 1:  # libjpeg decodes at 1/factor scale directly
                img.draft("RGB", (img.width // factor, img.height // factor))
            img.load()
        except Exception as exc:
            raise PhotoError(CORRUPT) from exc
        image = _to_display(img, target=target, orientation=orientation)
        lat, lon = gps_position(exif)
        return Decoded(format=fmt, width=width, height=height, exif_time=capture_time(exif),
                        exif_lat=lat, exif_lon=lon, icc_profile=icc, image=image)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open the header of an allowed format, refusing oversized pictures before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", module=EXIF_WARNINGS)  # JPEG's open already parses EXIF
            img = Image.open(io.BytesIO(data), formats=list(EXTENSIONS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels(max_pixels) from exc
    except Exception as exc:  # noqa: BLE001 - plugins raise many kinds; the magic bytes decide the answer
        if _sniff(data):
            raise PhotoError(CORRUPT) from exc
        raise PhotoError(UNKNOWN, 415) from exc
    if img.width <= 0 or img.height <= 0:
        img.close()
        raise PhotoError(CORRUPT)
    if img.width * img.height > max_pixels:
        img.close()
        raise too_many_pixels(max_pixels, img.size)
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


def reduction(size: tuple[int, int], display_max: int) -> int:
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


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
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


def too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> PhotoError:
    """The 413 for a picture with too many pixels (a decompression bomb or a huge scan)."""
    limit = f"{max_pixels / 10_000:g} 万像素" if max_pixels >= 10_000 else f"{max_pixels} 像素"
    actual = f"（{size[0]}×{size[1]}）" if size else ""
    return PhotoError(f"图片像素太多{actual}，上限是 {limit}", 413)
