"""How wrong is a provisional year? Working-day deadlines of 2025 and 2026 counted two ways:
the official State Council schedules (chinese_calendar) against the statutory holidays alone
(what the app counts, marked 暂定, for a year whose schedule is not entered yet), and, for
comparison, the `holidays` package's own guesses including its "observed" days.

For every start day of the year and every period the app uses (5 / 7 working-day notices, a
10-working-day step, the 20-working-day rectification deadline), it prints how many deadlines
would have moved, by how many days, and in which direction (earlier = the provisional date
comes before the official one, a deadline a village would meet early).

    .venv/bin/python bench/calendar_provisional.py [--smoke]
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays as holidays_package  # noqa: E402

from inspector.core import workdays  # noqa: E402

OFFICIAL = workdays.load()
PERIODS = (("公示 5 个工作日", 5, "period"), ("公示 7 个工作日", 7, "period"), ("环节 10 个工作日", 10, "after"),
           ("整改 20 个工作日", 20, "after"))


def provisional_day(d: date) -> bool:
    """A working day by the statutory holidays alone (no 调休): the app's provisional rule."""
    return d.weekday() < 5 and d not in workdays.statutory_holidays(d.year)


_GUESSES: dict[int, set[date]] = {}


def guessed_day(d: date) -> bool:
    """A working day by the holidays package with its "observed" guesses, still without make-up days."""
    if d.year not in _GUESSES:
        found = holidays_package.China(years=d.year, language="zh_CN")
        _GUESSES[d.year] = {x for x, name in found.items() if "调休" not in name}
    return d.weekday() < 5 and d not in _GUESSES[d.year]


def count(start: date, n: int, rule: str, working) -> date:
    """add_working_days / period_end with another working-day rule."""
    if rule == "period":
        n = n - 1 if working(start) else n
    d = start
    while n:
        d += timedelta(days=1)
        n -= working(d)
    return d


def compare(year: int, label: str, n: int, rule: str) -> dict[str, tuple[int, int, Counter]]:
    """Per method: (deadlines counted, deadlines moved, Counter of calendar-day shifts)."""
    out = {}
    days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year, 12, 31) - date(year, 1, 1)).days + 1)]
    # keep the end inside the official data: chinese_calendar ends at 2026-12-31
    days = [d for d in days if OFFICIAL.add_working_days(d, n + 1).year <= workdays.PACKAGE_LAST_YEAR]
    for method, working in (("statutory only (the app)", provisional_day), ("holidays package guesses", guessed_day)):
        shifts = Counter()
        for d in days:
            official = OFFICIAL.deadline(d, n, rule).date
            shifts[(count(d, n, rule, working) - official).days] += 1
        moved = sum(v for k, v in shifts.items() if k)
        out[method] = (len(days), moved, shifts)
    return out


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    years = (2025,) if smoke else (2025, 2026)
    periods = PERIODS[-1:] if smoke else PERIODS
    started = time.perf_counter()
    print("provisional (statutory holidays only) vs official State Council schedules")
    print(f"{'year':<6}{'period':<18}{'method':<28}{'counted':>8}{'moved':>7}{'share':>8}  shifts (days: count)")
    totals = Counter()
    for year in years:
        for label, n, rule in periods:
            for method, (counted, moved, shifts) in compare(year, label, n, rule).items():
                totals[(method, "counted")] += counted
                totals[(method, "moved")] += moved
                spread = ", ".join(f"{k:+d}: {v}" for k, v in sorted(shifts.items()) if k)
                print(f"{year:<6}{label:<18}{method:<28}{counted:>8}{moved:>7}{moved / counted:>8.1%}  {spread}")
    for method in ("statutory only (the app)", "holidays package guesses"):
        c, m = totals[(method, "counted")], totals[(method, "moved")]
        print(f"all    {'':<18}{method:<28}{c:>8}{m:>7}{m / c:>8.1%}")
    a = totals[("statutory only (the app)", "moved")] / totals[("statutory only (the app)", "counted")]
    b = totals[("holidays package guesses", "moved")] / totals[("holidays package guesses", "counted")]
    print(f"ratio moved (package guesses / statutory only): {b / a:.2f}x   ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
