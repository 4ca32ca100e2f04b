"""`flask media …` and `flask backup …`: the files under MEDIA_DIR, backup and restore."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .common import media_root, session


@click.group("media", cls=AppGroup)
def media_group():
    """Media files (photos and reports under MEDIA_DIR)."""


@media_group.command("sweep")
@click.option("--delete", is_flag=True, help="也删除没有任何记录引用的文件")
@click.option("--min-age", default=3600, show_default=True, type=click.IntRange(min=0),
              help="只处理早于这么多秒之前写入的文件")
def media_sweep_command(delete, min_age):
    """Remove old temporary files; report (and with --delete remove) files no row references."""
    from ..services import media_sweep
    with session() as s:
        result = media_sweep.sweep(session=s, media_root=media_root(), delete=delete, min_age_s=min_age)
    click.echo(f"已删除临时文件 {len(result.temp_removed)} 个")
    for rel in result.orphans:
        click.echo(f"  无记录引用：{rel}")
    verb = "已删除" if delete else "发现（加 --delete 删除）"
    click.echo(f"{verb}无记录引用的文件 {len(result.orphans)} 个，共 {result.orphan_bytes:,} 字节")


@media_group.command("purge-deleted")
def media_purge_deleted():
    """Remove the files of photos deleted before submission, once their inspection is closed."""
    from ..services import photo_manage
    with session() as s:
        removed = photo_manage.purge_closed(session=s, media_root=media_root())
        s.commit()
    click.echo(f"已删除已结束检查中删除照片的文件 {len(removed)} 个")


@click.group("backup", cls=AppGroup)
def backup_group():
    """Backup and restore (database + media + reports, with a SHA-256 manifest)."""


@backup_group.command("create")
@click.argument("directory", type=click.Path(file_okay=False))
def backup_create(directory):
    """Back up the database and the media folder into a new DIRECTORY."""
    from ..services import backup
    try:
        manifest = backup.create(engine=current_app.extensions["engine"], media_root=media_root(),
                                 target=Path(directory))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = sum(manifest["row_counts"].values())
    click.echo(f"已备份到 {directory}：{manifest['dialect']} 数据库 {rows} 行，{len(manifest['files'])} 个文件"
               f"（清单 {backup.MANIFEST} 含每个文件的 SHA-256）")


@backup_group.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def backup_restore(directory):
    """Restore DIRECTORY into an empty database and an empty media folder, verified against the manifest."""
    from ..services import backup
    try:
        manifest = backup.restore(engine=current_app.extensions["engine"], media_root=media_root(),
                                  source=Path(directory))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已恢复并校验：{sum(manifest['row_counts'].values())} 行，{len(manifest['files'])} 个文件，"
               "与备份清单一致")
