"""A year's schedule as an admin enters it from the State Council's notice: dates written one per
line or as ranges, then checked against the statutory holidays. Pure."""
from __future__ import annotations

import re
from datetime import date, timedelta

from .calendar import PACKAGE_LAST_YEAR, WEEKDAY_NAMES, statutory_holidays

_TOKEN = re.compile(r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(?<![\d月])(\d{1,2})\s*日")
_RANGE = re.compile(r"^\s*(至|到|~|～|—|–|－|\.\.)\s*$")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")


def parse_day_lines(text: str, year: int, what: str) -> tuple[dict[date, int], list[str]]:
    """Dates written one per line or as ranges (2027-02-05 至 2027-02-12, 2月5日至12日), as in
    the notice; returns date -> line number, and problems naming the line and the date."""
    found: dict[date, int] = {}
    problems: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = _ASIDE.sub(" ", raw.split("#", 1)[0])
        tokens = list(_TOKEN.finditer(line))
        if not tokens:
            if line.strip():
                problems.append(f"{what}第 {number} 行：“{raw.strip()[:40]}”中没有日期（应写作 {year}-01-01 或 1月1日）")
            continue
        days, month = [], None
        for match in tokens:
            y, m, d, bare = match.groups()
            m = int(m) if m else month
            if m is None:
                problems.append(f"{what}第 {number} 行：“{match.group(0)}”缺少月份")
                break
            month = m
            try:
                day = date(int(y) if y else year, m, int(d or bare))
            except ValueError:
                problems.append(f"{what}第 {number} 行：{y or year}年{m}月{int(d or bare)}日 不是有效日期")
                break
            days.append((match, day))
        else:
            inside = []
            for (first, a), (second, b) in zip(days, days[1:]):
                if _RANGE.match(line[first.end():second.start()]):
                    if b < a:
                        problems.append(f"{what}第 {number} 行：{a.isoformat()} 至 {b.isoformat()} 结束早于开始")
                    inside += [(first, a + timedelta(days=i)) for i in range(1, (b - a).days)]
            days += inside
            for _, day in days:
                if day.year != year:
                    problems.append(f"{what}第 {number} 行：{day.isoformat()} 不属于 {year} 年")
                else:
                    found.setdefault(day, number)
    return found, problems


def check_schedule(year: int, holidays: dict[date, int], workdays: dict[date, int], *, number: str,
                   title: str, issued_on: date | None) -> list[str]:
    """Problems of an entered schedule: the notice named, 调休上班 on weekends only, every
    statutory holiday that falls on a weekday given off, no day both off and on."""
    problems = []
    if year <= PACKAGE_LAST_YEAR:
        problems.append(f"{year} 年的安排已由 chinese_calendar 提供（收录至 {PACKAGE_LAST_YEAR} 年），不能改写")
    if not number.strip():
        problems.append(f"请填写通知文号（如 国办发明电〔{year - 1}〕N号）")
    if not title.strip():
        problems.append(f"请填写通知标题（如 国务院办公厅关于{year}年部分节假日安排的通知）")
    if issued_on is None:
        problems.append("请填写通知发布日期")
    elif not year - 1 <= issued_on.year <= year:
        problems.append(f"通知发布日期 {issued_on.isoformat()} 应在 {year - 1} 年或 {year} 年")
    for d, line in sorted(workdays.items()):
        if d in holidays:
            problems.append(f"调休上班第 {line} 行：{d.isoformat()} 同时列在放假日期第 {holidays[d]} 行，只能是其中之一")
        elif d.weekday() < 5:
            problems.append(f"调休上班第 {line} 行：{d.isoformat()} 是{WEEKDAY_NAMES[d.weekday()]}，"
                            f"调休上班日只能是周六或周日")
    for d, name in statutory_holidays(year).items():
        if d.weekday() < 5 and d not in holidays:
            problems.append(f"放假日期缺少法定节假日 {d.isoformat()}（{name}，{WEEKDAY_NAMES[d.weekday()]}）")
    return problems
