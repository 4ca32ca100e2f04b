"""What a request or a command runs with: the project root, the request's database session,
today's date in China (or the configured TODAY) and the working-day calendar. The web, job and
CLI modules import these from here, never from the package `inspector` itself (whose
`create_app` imports them), so no import runs in a circle."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import g

from .core.clock import CHINA

ROOT = Path(__file__).resolve().parent.parent


def get_db():
    """The request's database session (one per request, closed at teardown)."""
    found = g.get("db")
    if found is None:
        from flask import current_app

        from .db import session
        found = g.db = session(current_app.extensions["engine"])
    return found


def today() -> date:
    """Today's date in China (or the TODAY the app was configured with, for tests and demos)."""
    from flask import current_app

    fixed = current_app.config.get("TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(CHINA).date()


def get_calendar():
    """The working-day calendar of this request: chinese_calendar, the seed file and the years
    entered in the app (read once per request, so a schedule entered on one node is used by all)."""
    from flask import current_app

    from .services import workcalendar
    cal = g.get("calendar")
    if cal is None:
        cal = workcalendar.calendar(session=get_db(), strict=current_app.config["WORKDAYS_STRICT"])
        g.calendar = cal
    return cal
