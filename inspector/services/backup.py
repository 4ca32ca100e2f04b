"""Backup and restore: the database (pg_dump, or SQLite's online backup API) plus the media folder
(photos and issued reports), with a manifest of SHA-256 sums and row counts.

A backup directory holds `manifest.json`, `database.dump` (PostgreSQL, pg_dump's custom format) or
`database.sqlite3` (SQLite), and `media/` (the media folder as it was, without temporary files).
A restore goes only into an empty database and an empty media folder, checks every file against
the manifest first, and checks the row counts and file hashes again afterwards.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import Engine

from ..core import clock
from .media_sweep import is_temporary

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done (the message says why, in Chinese)."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the database (every table, including alembic_version)."""
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _libpq_url(engine: Engine) -> str:
    """The engine's URL as pg_dump/pg_restore read it (no SQLAlchemy driver suffix)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str]) -> None:
    """Run a PostgreSQL tool; BackupError with its message if it fails or is missing."""
    if shutil.which(args[0]) is None:
        raise BackupError(f"找不到 {args[0]}：请安装 Debian 的 postgresql-client（./dev.sh setup 会安装）")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} 失败：{done.stderr.strip()[:2000]}")


def _dump_database(engine: Engine, target: Path) -> str:
    """Write the database into the backup directory; the file name written."""
    if engine.dialect.name == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target / 'database.dump'}",
              f"--dbname={_libpq_url(engine)}"])
        return "database.dump"
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database)
        try:
            dest = sqlite3.connect(target / "database.sqlite3")
            try:
                source.backup(dest)  # consistent even while the app writes (online backup API)
            finally:
                dest.close()
        finally:
            source.close()
        return "database.sqlite3"
    raise BackupError(f"不支持的数据库类型：{engine.dialect.name}")


def _copy_media(media_root: Path, target: Path) -> None:
    """Copy the media folder (without temporary files) into target/media."""
    out = target / "media"
    out.mkdir()
    if not media_root.is_dir():
        return
    for folder, _dirs, names in os.walk(media_root):
        for name in names:
            src = Path(folder) / name
            if is_temporary(name) or not src.is_file() or src.is_symlink():
                continue
            dst = out / src.relative_to(media_root)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _hashes(target: Path) -> dict[str, dict]:
    """SHA-256 and size of every file in the backup directory except the manifest."""
    out = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file() and p.name != MANIFEST):
        out[path.relative_to(target).as_posix()] = {"sha256": sha256_of(path), "size": path.stat().st_size}
    return out


def create(*, engine: Engine, media_root: Path, target: Path) -> dict:
    """Back up the database and the media folder into a new (or empty) directory; the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"备份目录 {target} 不是空的：请指定一个新目录")
    target.mkdir(parents=True, exist_ok=True)
    counts = row_counts(engine)
    database = _dump_database(engine, target)
    _copy_media(Path(media_root), target)
    manifest = {"format": FORMAT, "created_at": clock.now().isoformat(timespec="seconds"),
                "dialect": engine.dialect.name, "database": database, "row_counts": counts,
                "files": _hashes(target)}
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> dict:
    """The manifest of a backup directory, checked against every file in it (BackupError if any differs)."""
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} 中没有 {MANIFEST}：不是本系统的备份目录")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{MANIFEST} 无法读取：{exc}") from None
    problems = []
    for rel, meta in manifest.get("files", {}).items():
        file = Path(source) / rel
        if not file.is_file():
            problems.append(f"缺少文件 {rel}")
        elif sha256_of(file) != meta["sha256"]:
            problems.append(f"文件已损坏或被修改（SHA-256 不符）：{rel}")
    if problems:
        raise BackupError("备份校验失败，未恢复任何内容：\n" + "\n".join(problems))
    return manifest


def _is_empty_database(engine: Engine) -> bool:
    """Whether the database has no tables at all."""
    return not inspect(engine).get_table_names()


def _restore_database(engine: Engine, source: Path, manifest: dict) -> None:
    """Load the backup's database into the (empty) target database."""
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(f"备份来自 {manifest['dialect']}，目标数据库是 {engine.dialect.name}：不能跨类型恢复")
    if engine.dialect.name == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={_libpq_url(engine)}",
              str(source / manifest["database"])])
        return
    engine.dispose()
    src = sqlite3.connect(source / manifest["database"])
    try:
        dest = sqlite3.connect(engine.url.database)
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()


def restore(*, engine: Engine, media_root: Path, source: Path) -> dict:
    """Restore a backup into an empty database and an empty media folder, verified before and after."""
    source, media_root = Path(source), Path(media_root)
    manifest = read_manifest(source)
    if not _is_empty_database(engine):
        raise BackupError("目标数据库不是空的（已有数据表）：只恢复到新建的空数据库")
    if media_root.exists() and any(p.is_file() for p in media_root.rglob("*") if p.name != ".keep"):
        raise BackupError(f"媒体目录 {media_root} 不是空的：只恢复到空目录")
    _restore_database(engine, source, manifest)
    media_root.mkdir(parents=True, exist_ok=True)
    copied = source / "media"
    for rel in manifest["files"]:
        if not rel.startswith("media/"):
            continue
        dst = media_root / rel.removeprefix("media/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(copied / rel.removeprefix("media/"), dst)
    problems = []
    counts = row_counts(engine)
    if counts != manifest["row_counts"]:
        diff = {k: (manifest["row_counts"].get(k), counts.get(k)) for k in set(counts) | set(manifest["row_counts"])
                if manifest["row_counts"].get(k) != counts.get(k)}
        problems.append(f"行数与备份不符：{diff}")
    for rel, meta in manifest["files"].items():
        if rel.startswith("media/") and sha256_of(media_root / rel.removeprefix("media/")) != meta["sha256"]:
            problems.append(f"恢复后的文件与备份不符：{rel}")
    if problems:
        raise BackupError("恢复后校验失败：\n" + "\n".join(problems))
    return manifest
