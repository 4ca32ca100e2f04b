"""`flask` commands: database, checklists, sites, users, working-day calendar, media, backup, demo data.

Each group lives in its own module and is attached to the app by `register`.
"""
from __future__ import annotations

from flask import Flask

from . import calendar, checklists, database, demo, files, people


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    for group in (database.db_group, checklists.checklists_group, people.sites_group, people.users_group,
                  calendar.calendar_group, files.media_group, files.backup_group, demo.demo_group):
        app.cli.add_command(group)
