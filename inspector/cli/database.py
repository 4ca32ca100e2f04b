"""`flask db …`: the database schema."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import db as dbmod


@click.group("db", cls=AppGroup)
def db_group():
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade():
    """Create or upgrade the database to the newest schema."""
    dbmod.upgrade(current_app.extensions["engine"])
    click.echo(f"数据库已是最新：{current_app.extensions['engine'].url.render_as_string(hide_password=True)}")
