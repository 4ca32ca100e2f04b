"""`flask demo load`: the demo county, its inspections and programs (idempotent)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .common import media_root, session


@click.group("demo", cls=AppGroup)
def demo_group():
    """Demo data."""


@demo_group.command("load")
def demo_load():
    """Load a demo county (idempotent)."""
    from .. import demo
    from ..runtime import today
    from ..services import workcalendar
    specs = current_app.extensions["checklists"]
    with session() as s:
        counts = demo.load(session=s, specs=specs)
        s.commit()
        demo.load_programs(session=s, specs=specs, calendar=workcalendar.calendar(session=s), today=today(),
                           media_root=media_root())
        s.commit()
    if counts["sites"]:
        click.echo(f"已载入演示数据：{counts['sites']} 个站点，{counts['users']} 个用户，{counts['inspections']} 次检查；"
                   f"演示密码 {demo.DEMO_PASSWORD}")
    else:
        click.echo("演示数据已存在")
