"""Red-landmark evidence files (4.2 a–c, 5.13): photos through the photo pipeline, PDF documents by their
SHA-256, and where a stored one is."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core import photos as photo_core
from ..core.photos import Upload  # a file from a form; callers take it from here too
from ..models import RedLandmarkApplication, Site, User, utcnow
from .landmark_steps import EVIDENCE_KEYS, LandmarkError

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024


def store_evidence(files: Mapping[str, list[Upload]], *, site: Site, by: User, media_root: Path | None,
                    created: list[str] | None) -> dict[str, list[dict[str, Any]]]:
    """Store each file (photos through the photo pipeline, PDFs by their SHA-256); LandmarkError on a bad one."""
    out: dict[str, list[dict[str, Any]]] = {}
    made: list[str] = []
    try:
        for key in EVIDENCE_KEYS:
            for up in files.get(key) or []:
                out.setdefault(key, []).append(_store_one(up, key=key, site=site, by=by, media_root=media_root,
                                                          made=made))
    except BaseException:
        photo_core.remove(media_root, made)
        raise
    if created is not None:
        created.extend(made)
    return out


def _store_one(up: Upload, *, key: str, site: Site, by: User, media_root: Path, made: list[str]) -> dict[str, Any]:
    """One evidence file: a PDF document, or a photo (watermarked, resized)."""
    label = "5.13 排名证明" if key == "rank" else f"4.2 {key})"
    if up.data[:5] == b"%PDF-":
        if len(up.data) > DOCUMENT_MAX_BYTES:
            raise LandmarkError(f"{label}：{up.filename} 超过 {DOCUMENT_MAX_BYTES // 1024 // 1024} MB")
        sha = hashlib.sha256(up.data).hexdigest()
        rel = f"documents/{sha[:2]}/{sha}.pdf"
        target = media_root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(up.data)
            made.append(rel)
        return {"kind": "document", "filename": up.filename[:200], "path": rel, "sha256": sha}
    mark = photo_core.Watermark(site=site.name, server_time=utcnow(), lat=None, lon=None, accuracy_m=None,
                                inspector=by.display_name)
    try:
        photo = photo_core.ingest(up.data, media_root=media_root, watermark=mark)
    except photo_core.PhotoError as exc:
        raise LandmarkError(f"{label}：{up.filename or '文件'} 不是照片或 PDF 文件（{exc.reason}）") from None
    made.extend(photo.created)
    return {"kind": "photo", "filename": up.filename[:200], "display": photo.display, "thumb": photo.thumb,
            "original": photo.original, "sha256": photo.sha256}


def evidence_path(application: RedLandmarkApplication, key: str, n: int) -> tuple[str, str] | None:
    """(stored path, mimetype) of the n-th evidence file of a condition, or None."""
    items = ((application.details or {}).get("evidence") or {}).get(key) or []
    if not 0 <= n < len(items):
        return None
    item = items[n]
    return (item["path"], "application/pdf") if item["kind"] == "document" else (item["display"], "image/jpeg")
