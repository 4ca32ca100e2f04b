"""`flask` commands: database, checklists, sites, users, demo data."""
from __future__ import annotations

from pathlib import Path

import sys

import click
from flask import Flask, current_app

from . import db as dbmod
from .core import workdays
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

    @app.cli.group("demo")
    def demo_group():
        """Demo data."""

    @demo_group.command("load")
    def demo_load():
        """Load a demo county (idempotent)."""
        from .services import demo
        with _session() as session:
            counts = demo.load(session=session, specs=current_app.extensions["checklists"])
            session.commit()
            from . import today
            demo.load_programs(session=session, specs=current_app.extensions["checklists"],
                               calendar=workdays.load(weekends_only_after=True), today=today(),  # any year
                               media_root=Path(current_app.config["MEDIA_DIR"]))
            session.commit()
        if counts["sites"]:
            click.echo(f"已载入演示数据：{counts['sites']} 个站点，{counts['users']} 个用户，{counts['inspections']} 次检查；"
                       f"演示密码 {demo.DEMO_PASSWORD}")
        else:
            click.echo("演示数据已存在")


__all__ = ["register", "ChecklistError"]
