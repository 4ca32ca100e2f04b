"""Working-day calendar (工作日): weekends and PRC statutory holidays off, make-up days (调休上班) on.

Where a year's schedule comes from, in order:
1. the State Council's notice entered in the app (database) or in the seed file
   `checklists/calendar/overrides.yaml`, for years after `chinese_calendar`'s data;
2. `chinese_calendar` (the package, used as is) for 2004 to its last year;
3. otherwise the year is **provisional (暂定)**: the statutory holidays that the holiday
   regulations fix by rule (《全国年节及纪念日放假办法》, as in force since 2025-01-01: 元旦 1 天、
   春节 4 天（农历除夕、正月初一至初三）、清明节 1 天、劳动节 2 天、端午节 1 天、中秋节 1 天、国庆节
   3 天), computed from the lunar and solar calendar by the `holidays` package, without its
   "observed" guesses; make-up working days (调休) are unknown until the notice appears.

A deadline counted over a provisional year is marked provisional with the reason, and is
recomputed when that year's schedule is entered. A county may choose strict mode instead:
provisional years then refuse with a message naming the page where the schedule is entered.
"""
from .calendar import (PACKAGE_FIRST_YEAR, PACKAGE_LAST_DAY, PACKAGE_LAST_YEAR, PAGE_NAME, RULES, WEEKDAY_NAMES,
                       Calendar, CalendarUnknown, Due, Schedule, provisional_reason, statutory_holidays)
from .notice import check_schedule, parse_day_lines
from .overrides import OVERRIDES, OVERRIDES_NAME, ROOT, OverridesError, load, parse_text, read_file

__all__ = ["OVERRIDES", "OVERRIDES_NAME", "PACKAGE_FIRST_YEAR", "PACKAGE_LAST_DAY", "PACKAGE_LAST_YEAR", "PAGE_NAME",
           "ROOT", "RULES", "WEEKDAY_NAMES", "Calendar", "CalendarUnknown", "Due", "OverridesError", "Schedule",
           "check_schedule", "load", "parse_day_lines", "parse_text", "provisional_reason", "read_file",
           "statutory_holidays"]
