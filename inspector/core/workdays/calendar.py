"""Which days are working days, and deadlines counted in them: chinese_calendar, schedules entered
from the State Council's notices, and provisional years counted by statutory rule. Pure."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Iterable

import chinese_calendar
import holidays as holidays_package

PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year
PACKAGE_LAST_DAY = date(PACKAGE_LAST_YEAR, 12, 31)
PAGE_NAME = "「管理 › 工作日日历」"  # where an admin enters a year's schedule (web/admin.py)

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
RULES = ("after", "period")  # n working days after a start / last day of an n-working-day period
_ONE_DAY = timedelta(days=1)


class CalendarUnknown(ValueError):
    """A date the calendar will not count: before the data begins, or provisional in strict mode."""

    def __init__(self, day: date, *, strict: bool = False):
        self.year, self.day = day.year, day
        if day.year < PACKAGE_FIRST_YEAR:
            message = (f"{day.year} 年的法定节假日安排未收录（节假日数据从 {PACKAGE_FIRST_YEAR} 年起），"
                       f"无法按工作日计算 {day.isoformat()}")
        else:
            message = (f"{day.year} 年的节假日安排尚未录入，本县设为严格模式（不使用暂定日期），无法按工作日计算 "
                       f"{day.isoformat()}。请系统管理员在{PAGE_NAME}录入国务院办公厅《关于{day.year}年部分节假日"
                       f"安排的通知》后再办理")
        super().__init__(message)


def _day(d: date) -> date:
    """A plain date (a datetime loses its time), or TypeError."""
    if isinstance(d, datetime):
        return d.date()
    if not isinstance(d, date):
        raise TypeError(f"应为日期，而不是 {d!r}")
    return d


@lru_cache(maxsize=None)
def statutory_holidays(year: int) -> dict[date, str]:
    """The days off the holiday regulations fix by rule in `year`, with their names (no 调休, no
    "observed" guesses, no make-up days): what a provisional year counts as holidays."""
    found = holidays_package.China(years=year, observed=False, language="zh_CN")
    return {d: name for d, name in sorted(found.items()) if "调休" not in name}


def provisional_reason(years: Iterable[int]) -> str:
    """Why a date is provisional, for a person: which years, and how they were counted."""
    years = sorted(set(years))
    if not years:
        return ""
    named = "、".join(str(y) for y in years)
    return (f"{named} 年的国务院节假日安排尚未录入，按法定节假日推算，未计调休；"
            f"录入后自动重新计算")


@dataclass(frozen=True)
class Schedule:
    """One year's official schedule from the State Council's notice (beyond chinese_calendar)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    number: str = ""                 # 国办发明电〔2026〕N号
    title: str = ""                  # 国务院办公厅关于2027年部分节假日安排的通知
    issued_on: date | None = None
    origin: str = "file"             # file (overrides.yaml) / database (entered in the app)

    @property
    def label(self) -> str:
        """The notice as a person names it: 《title》（number）."""
        title = f"《{self.title}》" if self.title else f"{self.year} 年节假日安排"
        return f"{title}（{self.number}）" if self.number else title


@dataclass(frozen=True)
class Due:
    """A working-day deadline as what it is: start + n working days under a rule, and its date."""

    start: date
    days: int
    rule: str                        # "after" / "period" (see RULES)
    date: date
    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)

    @property
    def reason(self) -> str:
        return provisional_reason(self.provisional_years)


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: chinese_calendar, entered schedules, provisional years."""

    schedules: tuple[Schedule, ...] = ()
    strict: bool = False             # True: refuse provisional years instead of counting them
    _by_year: dict[int, Schedule] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_year", {s.year: s for s in self.schedules})

    def schedule(self, year: int) -> Schedule | None:
        """The entered schedule of a year, or None."""
        return self._by_year.get(year)

    def is_official(self, year: int) -> bool:
        """Whether the year's schedule is known from the State Council (package or entered)."""
        return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR or year in self._by_year

    def provisional_years(self, start: date, end: date) -> tuple[int, ...]:
        """The years from start to end (both included) counted by statutory rule only."""
        first, last = sorted((_day(start).year, _day(end).year))
        return tuple(y for y in range(max(first, PACKAGE_FIRST_YEAR), last + 1) if not self.is_official(y))

    @property
    def official_until(self) -> date:
        """The last day of the official data without a gap from 2004 (the warning's horizon)."""
        year = PACKAGE_LAST_YEAR
        while year + 1 in self._by_year:
            year += 1
        return date(year, 12, 31)

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day; CalendarUnknown before 2004, or provisional in strict mode."""
        d = _day(d)
        if d.year < PACKAGE_FIRST_YEAR:
            raise CalendarUnknown(d)
        entered = self._by_year.get(d.year)
        if entered is not None:
            if d in entered.workdays:
                return True
            return d.weekday() < 5 and d not in entered.holidays
        if d.year <= PACKAGE_LAST_YEAR:
            return chinese_calendar.is_workday(d)
        if self.strict:
            raise CalendarUnknown(d, strict=True)
        return d.weekday() < 5 and d not in statutory_holidays(d.year)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself never counts); n == 0 gives start."""
        start = _day(start)
        if n < 0:
            raise ValueError(f"工作日数不能为负数：{n}")
        d = start
        while n:
            d += _ONE_DAY
            n -= self.is_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many a notice posted on `start` has run by `end`."""
        start, end = _day(start), _day(end)
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))

    def period_end(self, start: date, n: int) -> date:
        """Last day of a notice posted on `start` for n working days (公示期不少于N个工作日).

        Convention: the posting day counts as day 1 when it is a working day; when it is not
        (weekend, holiday), day 1 is the next working day. So a 5-working-day notice posted on
        Monday 2025-03-03 ends on Friday 2025-03-07, and one posted on Saturday 2025-03-01 ends
        on Friday 2025-03-07 too. add_working_days never counts `start`: it answers "n working
        days after", so period_end(start, n) == add_working_days(start, n - 1) when `start` is a
        working day and add_working_days(start, n) when it is not.
        """
        start = _day(start)
        if n < 1:
            raise ValueError(f"公示期至少为 1 个工作日，而不是 {n}")
        return self.add_working_days(start, n - 1 if self.is_working_day(start) else n)

    def deadline(self, start: date, n: int, rule: str = "after") -> Due:
        """A deadline as stored: its date under `rule`, provisional where it crosses such a year."""
        start = _day(start)
        if rule == "after":
            end = self.add_working_days(start, n)
        elif rule == "period":
            end = self.period_end(start, n)
        else:
            raise ValueError(f"未知的期限规则 {rule!r}（可用：{', '.join(RULES)}）")
        return Due(start, n, rule, end, self.provisional_years(start, end))
