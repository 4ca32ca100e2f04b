"""`flask sites …` and `flask users …`: import sites, create a user bound to a region."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .common import session


@click.group("sites", cls=AppGroup)
def sites_group():
    """Sites."""


@sites_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def sites_import(path):
    """Import sites from CSV or Excel; all rows or none, with a per-row error report."""
    from ..services import sites
    with session() as s:
        try:
            created = sites.import_rows(session=s, rows=sites.read_rows(path), by=None)
        except sites.ImportError_ as exc:
            click.echo(f"导入失败，未保存任何数据（{len(exc.errors)} 处错误）：", err=True)
            for err in exc.errors:
                click.echo(f"  {err}", err=True)
            sys.exit(1)
        s.commit()
    click.echo(f"已导入 {len(created)} 个站点")


@click.group("users", cls=AppGroup)
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
    from ..services import regions, users
    with session() as s:
        region = regions.by_code(session=s, code=region_code)
        if region is None:
            raise click.ClickException(f"找不到区划代码 {region_code}")
        try:
            users.create(session=s, username=username, display_name=display_name, role=role,
                         region=region, password=password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        s.commit()
    click.echo(f"已创建用户 {username}")
