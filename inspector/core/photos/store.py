"""Storing an upload: the original kept byte for byte, a watermarked display copy and a thumbnail,
content-addressed under `media_root` and published atomically, so a rejected or failed upload
leaves no file behind; print copies of display copies for the reports. Pure."""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from PIL import Image

from ..storage import LocalStorage
from .decoding import EXTENSIONS, Decoded, PhotoError, decode, fit
from .render import Watermark, burn, encode_jpeg

DISPLAY_QUALITY = 82
DISPLAY_PROGRESSIVE = False  # progressive costs ~35 ms more per 12 MP upload for ~7% smaller files (bench/photos.py)
THUMB_QUALITY = 80


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
class Upload:
    """A file from a form: its name (for messages) and bytes, as the services take photos and documents."""

    filename: str
    data: bytes


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
    decoded = decode(data, max_pixels=max_pixels, display_max=display_max)
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


def _store(data: bytes, decoded: Decoded, watermark: Watermark, *, media_root: Path,
           paths: tuple[str, str, str], thumb_max: int) -> tuple[str, ...]:
    """Write whichever of the three files are missing; on any failure delete what this call wrote."""
    created: list[str] = []
    original, display, thumb = paths
    try:
        _put(media_root, original, data, created)
        if (media_root / display).exists() and (media_root / thumb).exists():
            return tuple(created)
        image = decoded.image  # ours alone: the watermark is drawn on it in place, no copy
        burn(image, watermark.lines())
        _put(media_root, display, encode_jpeg(image, quality=DISPLAY_QUALITY,
                                               progressive=DISPLAY_PROGRESSIVE,
                                               icc_profile=decoded.icc_profile), created)
        small = image.resize(fit(image.size, thumb_max), Image.Resampling.BILINEAR, reducing_gap=1.0)
        _put(media_root, thumb, encode_jpeg(small, quality=THUMB_QUALITY, progressive=False,
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
