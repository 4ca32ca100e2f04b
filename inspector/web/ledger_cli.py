"""The ledger's commands: bind a unit account to its unit, and load the demo ledger."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..runtime import get_db, today
from ..services import ledger
from .work import unit_of_work


@click.group("ledger", help="在职党员进社区台账")
def ledger_cli():
    """The ledger's commands."""


@ledger_cli.command("link-unit", help="把“党员所在单位”账号绑定到单位：USERNAME UNIT（单位名称），单位须在账号所在县（区）")
@click.argument("username")
@click.argument("unit_name")
@with_appcontext
def link_unit(username: str, unit_name: str):
    """Bind a unit account to its unit."""
    from ..services import users
    session = get_db()
    user = users.by_username(session=session, username=username)
    if user is None:
        raise click.ClickException(f"没有用户 {username}")
    units = ledger.units_for_link(session=session, user=user, name=unit_name)
    if not units:
        raise click.ClickException(f"{user.display_name} 的区划内没有单位“{unit_name}”（单位在导入名单或登记党员时建立）")
    try:
        with unit_of_work():
            ledger.link_unit_user(session=session, user=user, unit=units[0])
    except ledger.LedgerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.username} → {units[0].name}")


@ledger_cli.command("demo", help="为演示县加入在职党员台账与党群服务项目（先运行 demo load）")
@with_appcontext
def demo():
    """Load the demo ledger."""
    from ..runtime import get_calendar
    from ..demo import ledger as ledger_demo
    try:
        with unit_of_work() as session:
            counts = ledger_demo.load(session=session, today=today(), calendar=get_calendar())
    except ledger.LedgerError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("演示台账：党员 {members} 人，活动 {activities} 条，反馈函 {letters} 份，党群服务项目 {projects} 个；"
               "单位账号 unit-caizheng".format(**counts))
