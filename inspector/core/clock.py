"""Time as the app tells it: Beijing time (Asia/Shanghai, no daylight saving), said once. Pure.

- `today()`: today's date in China, or the day the app was told to take as today (its `TODAY`
  setting, which tests and demos fix). The app installs where that setting is read
  (`use_fixed_today`, done by web/filters.register); without it, the real date in China.
- `now()`: the moment, in UTC (times are stored in UTC).
- `china(moment)`, `china_date`, `china_text`, `china_day_text`: a stored moment (UTC; naive
  values and SQLite's raw text are UTC) as Beijing time, its date, or text.
- `day_start(day)`: midnight in China of a date, as a UTC moment (a day's range in SQL).
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Callable
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
MINUTE = "%Y-%m-%d %H:%M"  # how a moment is shown to a person

_fixed: Callable[[], date | str | None] = lambda: None  # noqa: E731 - the app's TODAY, once installed


def use_fixed_today(source: Callable[[], date | str | None]) -> None:
    """Where the app's fixed "today" (its TODAY setting, None when unset) is read from."""
    global _fixed
    _fixed = source


def today() -> date:
    """Today in China, or the app's fixed TODAY (a date or yyyy-mm-dd text)."""
    fixed = _fixed()
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(CHINA).date()


def now() -> datetime:
    """The moment now, in UTC (as stored)."""
    return datetime.now(timezone.utc)


def china(moment: datetime | str | None) -> datetime | None:
    """A stored moment in Beijing time; naive values (and SQLite's raw text) are UTC."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA)


def china_date(moment: datetime | str | None) -> date | None:
    """The date in China of a stored moment."""
    local = china(moment)
    return local.date() if local is not None else None


def china_text(moment: datetime | str | None, fmt: str = MINUTE, empty: str = "") -> str:
    """A stored moment as Beijing-time text (`empty` when there is none)."""
    local = china(moment)
    return local.strftime(fmt) if local is not None else empty


def china_day_text(moment: datetime | str | None) -> str:
    """A stored moment's date in China, yyyy-mm-dd (empty when there is none)."""
    day = china_date(moment)
    return day.isoformat() if day is not None else ""


def day_start(day: date) -> datetime:
    """Midnight in China of a date, as a UTC moment."""
    return datetime.combine(day, time(0), CHINA).astimezone(timezone.utc)


def china_at(day: date, hour: int = 0) -> datetime:
    """A date's hour in Beijing time (an aware moment)."""
    return datetime.combine(day, time(hour), tzinfo=CHINA)
