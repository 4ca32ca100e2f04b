"""`flask` commands: database, checklists, sites, users, demo data."""
from __future__ import annotations

from pathlib import Path

import sys

import click
from flask import Flask, current_app

from . import db as dbmod
from .core.checklist import ChecklistError, main as validate_main


def _session():
    return dbmod.session(current_app.extensions["engine"])


def register(app: Flask) -> None:
    """Attach the command groups to the app."""

    @app.cli.group("db")
    def db_group():
        """Database schema."""

    @db_group.command("upgrade")
    def db_upgrade():
        """Create or upgrade the database to the newest schema."""
        dbmod.upgrade(current_app.extensions["engine"])
        click.echo(f"数据库已是最新：{current_app.extensions['engine'].url.render_as_string(hide_password=True)}")

    @app.cli.group("checklists")
    def checklists_group():
        """Checklists (the standards as YAML)."""

    @checklists_group.command("validate")
    @click.argument("paths", nargs=-1)
    def checklists_validate(paths):
        """Validate checklist files and print every problem at once."""
        sys.exit(validate_main(list(paths) or [current_app.config["CHECKLIST_DIR"]]))

    @checklists_group.command("programs")
    @click.argument("paths", nargs=-1)
    def checklists_programs(paths):
        """Validate program definition files (checklists/programs/*.yaml) and print every problem at once."""
        from .core.programs import main as programs_main
        sys.exit(programs_main(list(paths) or [str(Path(current_app.config["CHECKLIST_DIR"]) / "programs")]))

    @checklists_group.command("list")
    def checklists_list():
        """List the loaded checklists with their item counts and content hashes."""
        for spec in current_app.extensions["checklists"].values():
            click.echo(f"{spec.id:18} v{spec.version:8} {len(spec.items()):4} 项  {spec.content_hash[:12]}  {spec.title}")

    @checklists_group.command("reevaluate")
    def checklists_reevaluate():
        """Judge open inspections again under the loaded checklists; print each changed decision."""
        from .services.reevaluate import reevaluate_open
        kept: list[dict] = []
        with current_app.extensions["engine"].begin() as conn:
            records = reevaluate_open(conn, current_app.extensions["checklists"], kept=kept)
        for k in kept:
            click.echo(f"检查 {k['inspection_id']}：保留原清单版本（新版本已无已答条目 {'、'.join(k['lost'])}）")
        for r in records:
            mark = "结论变更" if r["changed"] else "结论未变"
            click.echo(f"检查 {r['inspection_id']}：{mark}：{r['before']['verdict_label']} → {r['after']['verdict_label']}")
        click.echo(f"共重新评定 {len(records)} 次检查（已签发的报告不变）")

    @app.cli.group("sites")
    def sites_group():
        """Sites."""

    @sites_group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def sites_import(path):
        """Import sites from CSV or Excel; all rows or none, with a per-row error report."""
        from .services import sites
        with _session() as session:
            try:
                created = sites.import_rows(session=session, rows=sites.read_rows(path), by=None)
            except sites.ImportError_ as exc:
                click.echo(f"导入失败，未保存任何数据（{len(exc.errors)} 处错误）：", err=True)
                for err in exc.errors:
                    click.echo(f"  {err}", err=True)
                sys.exit(1)
            session.commit()
        click.echo(f"已导入 {len(created)} 个站点")

    @app.cli.group("users")
    def users_group():
        """Users."""

    @users_group.command("create")
    @click.argument("username")
    @click.option("--name", "display_name", required=True, help="姓名")
    @click.option("--role", required=True, help="village | township | inspector | county_reviewer | city_reviewer | admin")
    @click.option("--region", "region_code", required=True, help="所属区划代码")
    @click.password_option()
    def users_create(username, display_name, role, region_code, password):
        """Create a user bound to a region."""
        from .services import regions, users
        with _session() as session:
            region = regions.by_code(session=session, code=region_code)
            if region is None:
                raise click.ClickException(f"找不到区划代码 {region_code}")
            try:
                users.create(session=session, username=username, display_name=display_name, role=role,
                             region=region, password=password)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
            session.commit()
        click.echo(f"已创建用户 {username}")

    from .cli_calendar import register as register_calendar
    register_calendar(app, _session)
    @app.cli.group("media")
    def media_group():
        """Media files (photos and reports under MEDIA_DIR)."""

    @media_group.command("sweep")
    @click.option("--delete", is_flag=True, help="也删除没有任何记录引用的文件")
    @click.option("--min-age", default=3600, show_default=True, type=click.IntRange(min=0),
                  help="只处理早于这么多秒之前写入的文件")
    def media_sweep_command(delete, min_age):
        """Remove old temporary files; report (and with --delete remove) files no row references."""
        from pathlib import Path

        from .services import media_sweep
        with _session() as session:
            result = media_sweep.sweep(session=session, media_root=Path(current_app.config["MEDIA_DIR"]),
                                       delete=delete, min_age_s=min_age)
        click.echo(f"已删除临时文件 {len(result.temp_removed)} 个")
        for rel in result.orphans:
            click.echo(f"  无记录引用：{rel}")
        verb = "已删除" if delete else "发现（加 --delete 删除）"
        click.echo(f"{verb}无记录引用的文件 {len(result.orphans)} 个，共 {result.orphan_bytes:,} 字节")

    @media_group.command("purge-deleted")
    def media_purge_deleted():
        """Remove the files of photos deleted before submission, once their inspection is closed."""
        from pathlib import Path

        from .services import photo_manage
        with _session() as session:
            removed = photo_manage.purge_closed(session=session, media_root=Path(current_app.config["MEDIA_DIR"]))
            session.commit()
        click.echo(f"已删除已结束检查中删除照片的文件 {len(removed)} 个")

    @app.cli.group("backup")
    def backup_group():
        """Backup and restore (database + media + reports, with a SHA-256 manifest)."""

    @backup_group.command("create")
    @click.argument("directory", type=click.Path(file_okay=False))
    def backup_create(directory):
        """Back up the database and the media folder into a new DIRECTORY."""
        from pathlib import Path

        from .services import backup
        try:
            manifest = backup.create(engine=current_app.extensions["engine"],
                                     media_root=Path(current_app.config["MEDIA_DIR"]), target=Path(directory))
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        rows = sum(manifest["row_counts"].values())
        click.echo(f"已备份到 {directory}：{manifest['dialect']} 数据库 {rows} 行，{len(manifest['files'])} 个文件"
                   f"（清单 {backup.MANIFEST} 含每个文件的 SHA-256）")

    @backup_group.command("restore")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False))
    def backup_restore(directory):
        """Restore DIRECTORY into an empty database and an empty media folder, verified against the manifest."""
        from pathlib import Path

        from .services import backup
        try:
            manifest = backup.restore(engine=current_app.extensions["engine"],
                                      media_root=Path(current_app.config["MEDIA_DIR"]), source=Path(directory))
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已恢复并校验：{sum(manifest['row_counts'].values())} 行，{len(manifest['files'])} 个文件，"
                   "与备份清单一致")

    @app.cli.group("demo")
    def demo_group():
        """Demo data."""

    @demo_group.command("load")
    def demo_load():
        """Load a demo county (idempotent)."""
        from . import demo
        with _session() as session:
            counts = demo.load(session=session, specs=current_app.extensions["checklists"])
            session.commit()
            from . import today
            from .services import workcalendar
            demo.load_programs(session=session, specs=current_app.extensions["checklists"],
                               calendar=workcalendar.calendar(session=session), today=today(),
                               media_root=Path(current_app.config["MEDIA_DIR"]))
            session.commit()
        if counts["sites"]:
            click.echo(f"已载入演示数据：{counts['sites']} 个站点，{counts['users']} 个用户，{counts['inspections']} 次检查；"
                       f"演示密码 {demo.DEMO_PASSWORD}")
        else:
            click.echo("演示数据已存在")


__all__ = ["register", "ChecklistError"]
