"""`flask calendar …`: the working-day calendar's schedules and deadlines from the command line."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..core import workdays
from .common import session


@click.group("calendar", cls=AppGroup)
def calendar_group():
    """Working-day calendar: enter a year's schedule, show years, recompute deadlines."""


@calendar_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_import(path: Path):
    """Enter the years of a file (the format of checklists/calendar/overrides.yaml) and
    recompute every open deadline; nothing is stored when any year has a problem."""
    from ..runtime import today
    from ..services import workcalendar
    with session() as s:
        try:
            rows, changes = workcalendar.import_file(session=s, path=path, today=today())
        except workdays.OverridesError as exc:
            raise click.ClickException("\n".join(exc.problems)) from None
        except workcalendar.ScheduleInvalid as exc:
            raise click.ClickException(f"{path}：\n" + "\n".join(exc.problems)) from None
        s.commit()
        for row in rows:
            click.echo(f"已录入 {row.year} 年：《{row.title}》（{row.number}），放假 {len(row.holidays)} 天，"
                       f"调休上班 {len(row.workdays)} 天")
        click.echo(f"重新计算的期限：{len(changes)} 项有变化")
        for c in changes:
            click.echo(f"  {c.what}：{c.old_date}{'（暂定）' if c.old_provisional else ''} → "
                       f"{c.new_date}{'（暂定）' if c.new_provisional else ''}")


@calendar_group.command("show")
def calendar_show():
    """List recent and coming years: official (with the notice) or provisional."""
    from ..runtime import today
    from ..services import workcalendar
    with session() as s:
        cal = workcalendar.calendar(session=s, strict=current_app.config["WORKDAYS_STRICT"])
        for y in workcalendar.years_overview(cal, today()):
            click.echo(f"{y.year}：{y.label}")


@calendar_group.command("recompute")
def calendar_recompute():
    """Count every open working-day deadline again (after upgrading chinese_calendar, say)."""
    from ..runtime import today
    from ..services import workcalendar
    with session() as s:
        cal = workcalendar.calendar(session=s, strict=current_app.config["WORKDAYS_STRICT"])
        changes = workcalendar.recompute(session=s, calendar=cal, today=today(), by=None,
                                         reason="按当前工作日日历重新计算")
        s.commit()
    click.echo(f"重新计算的期限：{len(changes)} 项有变化")
