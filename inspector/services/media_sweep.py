"""Cleaning media/ after crashes: temporary files a killed upload left, and stored files no row names.

A photo is written as `.<name>.<random>.tmp` and renamed into place; a print copy as
`.tmp-<random>.jpg`. A worker killed mid-write leaves the temporary file; one killed between the
rename and the commit leaves a complete file that no row references (an orphan). Temporary files
older than an hour are removed (at start-up too); orphans older than an hour are reported, and
removed only when asked (`flask media sweep --delete`). Files younger than the age may belong to an
upload still in flight and are never touched.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import JSON, select
from sqlmodel import Session, SQLModel

STORED_KINDS = ("originals/", "display/", "thumbs/", "reports/")  # print/ holds caches remade on demand
PATH_COLUMNS = {"original", "display", "thumb", "path"}
MIN_AGE_S = 3600


@dataclass
class SweepResult:
    """What a sweep found and did (paths relative to the media folder)."""

    temp_removed: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    orphans_removed: list[str] = field(default_factory=list)
    orphan_bytes: int = 0


def is_temporary(name: str) -> bool:
    """Whether a file name is one of our temporary upload or print-copy files."""
    return (name.startswith(".") and name.endswith(".tmp")) or (name.startswith(".tmp-") and name.endswith(".jpg"))


def _files(media_root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every regular file under the media folder: its POSIX path relative to it and its stat."""
    root = Path(media_root)
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), st


def sweep_temporary(media_root: Path, *, min_age_s: float = MIN_AGE_S, now: float | None = None) -> list[str]:
    """Remove temporary files older than `min_age_s`; the paths removed."""
    if not Path(media_root).is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for rel, st in _files(media_root):
        if is_temporary(Path(rel).name) and now - st.st_mtime >= min_age_s:
            try:
                os.unlink(Path(media_root) / rel)
                removed.append(rel)
            except FileNotFoundError:
                pass
    return removed


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def referenced(*, session: Session) -> set[str]:
    """Every media path any row names: path-like string columns and every JSON column of every table."""
    out: set[str] = set()
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if isinstance(c.type, JSON) or c.name in PATH_COLUMNS]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                for s in _strings(value):
                    if s.startswith(STORED_KINDS):
                        out.add(s)
    return out


def sweep(*, session: Session, media_root: Path, delete: bool = False, min_age_s: float = MIN_AGE_S,
          now: float | None = None) -> SweepResult:
    """Remove old temporary files; find stored files no row references (and remove them if `delete`)."""
    now = time.time() if now is None else now
    result = SweepResult(temp_removed=sweep_temporary(media_root, min_age_s=min_age_s, now=now))
    if not Path(media_root).is_dir():
        return result
    used = referenced(session=session)
    for rel, st in sorted(_files(media_root)):
        if not rel.startswith(STORED_KINDS) or rel in used or is_temporary(Path(rel).name):
            continue
        if now - st.st_mtime < min_age_s:
            continue  # perhaps an upload whose row is being committed right now
        result.orphans.append(rel)
        result.orphan_bytes += st.st_size
        if delete:
            try:
                os.unlink(Path(media_root) / rel)
                result.orphans_removed.append(rel)
            except FileNotFoundError:
                pass
    return result
