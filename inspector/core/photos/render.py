"""What is burned into the display copy (the watermark), in which font, and the JPEG encoding. Pure."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Iterator

from PIL import Image, ImageDraw, ImageFont

from ..clock import CHINA

FONT_FACE = "Noto Sans CJK SC"
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
)


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
        when = self.server_time.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
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


def watermark_font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC at `size` px; RuntimeError if no CJK font is installed."""
    path, index = _font_face()
    return _font(path, index, size)


def burn(img: Image.Image, lines: list[str]) -> None:
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


def encode_jpeg(img: Image.Image, *, quality: int, progressive: bool, icc_profile: bytes | None) -> bytes:
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
