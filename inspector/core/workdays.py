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
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import chinese_calendar
import holidays as holidays_package
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "checklists" / "calendar" / "overrides.yaml"
OVERRIDES_NAME = "checklists/calendar/overrides.yaml"

PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year
PACKAGE_LAST_DAY = date(PACKAGE_LAST_YEAR, 12, 31)
PAGE_NAME = "「管理 › 工作日日历」"  # where an admin enters a year's schedule (web/admin.py)

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
RULES = ("after", "period")  # n working days after a start / last day of an n-working-day period
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_RE = re.compile(r"^\d{4}$")
_BLOCK_KEYS = ("source", "title", "issued_on", "holidays", "workdays")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
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


class OverridesError(ValueError):
    """The overrides file is wrong; `problems` lists every problem as `file:line: message`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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


# ---------------------------------------------------------------- entering a year's schedule

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


# ---------------------------------------------------------------- the seed file (overrides.yaml)

def load(path: Path | None = None, *, entered: Iterable[Schedule] = (), strict: bool = False) -> Calendar:
    """The calendar: chinese_calendar, the seed file's years (default: the shipped file), and the
    schedules entered in the app, which take precedence over the file for the same year."""
    path = Path(path) if path is not None else OVERRIDES
    by_year = {s.year: s for s in read_file(path)}
    by_year.update({s.year: s for s in entered})
    return Calendar(tuple(by_year[y] for y in sorted(by_year)), strict)


def read_file(path: Path) -> list[Schedule]:
    """The schedules of an overrides file; OverridesError names file, line and problem."""
    try:
        return list(_read_cached(str(path), Path(path).stat().st_mtime_ns))
    except FileNotFoundError:
        raise OverridesError([f"{path}: 找不到节假日补录文件"]) from None


@lru_cache(maxsize=8)
def _read_cached(path: str, _mtime_ns: int) -> tuple[Schedule, ...]:
    """read_file's work, once per file version (the calendar is built on every request)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverridesError([f"{path}: 找不到节假日补录文件"]) from None
    except UnicodeDecodeError:
        raise OverridesError([f"{path}: 文件应为 UTF-8 编码"]) from None
    return tuple(parse_text(text, str(path)))


def parse_text(text: str, file: str) -> list[Schedule]:
    """The schedules of an overrides YAML text; OverridesError lists every problem in line order."""
    problems: list[tuple[int, str]] = []

    def problem(node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node else 0
        problems.append((line, f"{file}:{line}: {message}" if line else f"{file}: {message}"))

    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else file
        raise OverridesError([f"{where}: YAML 语法错误：{getattr(exc, 'problem', None) or exc}"]) from None
    schedules = [_block(year_node, year, block, problem) for year_node, year, block in _year_blocks(root, problem)]
    if problems:
        raise OverridesError([message for _, message in sorted(problems, key=lambda p: p[0])])
    return schedules


def _is_null(node: yaml.Node | None) -> bool:
    """Whether a node is absent or an empty value (`key:` or `~`)."""
    return node is None or node.tag == "tag:yaml.org,2002:null"


def _pairs(node: yaml.MappingNode, allowed: tuple[str, ...], problem) -> dict[str, tuple]:
    """Key -> (key node, value node) of a mapping; unknown and repeated keys are reported."""
    out: dict[str, tuple] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in allowed:
            problem(key_node, f"未知字段 {key!r}（可用：{', '.join(allowed)}）")
        elif key in out:
            problem(key_node, f"重复的键 {key!r}")
        else:
            out[key] = (key_node, value_node)
    return out


def _year_blocks(root: yaml.Node | None, problem):
    """(year key node, year, block node) for each well-formed year key under `years`."""
    if _is_null(root):
        return
    if not isinstance(root, yaml.MappingNode):
        problem(root, "文件应为一个 YAML 映射，以 years: 开头")
        return
    top = _pairs(root, ("years",), problem)
    if "years" not in top:
        problem(root, "缺少字段 years（没有补录年份时写 years: {}）")
        return
    years_key, years_node = top["years"]
    if _is_null(years_node):
        return
    if not isinstance(years_node, yaml.MappingNode):
        problem(years_key, "years 应为按年份分块的映射，如 2027: {source: ..., holidays: [...], workdays: [...]}")
        return
    seen: set[int] = set()
    for key_node, block in years_node.value:
        text = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if not _YEAR_RE.match(str(text)):
            problem(key_node, f"年份应为四位数字，而不是 {text!r}")
        elif int(text) in seen:
            problem(key_node, f"重复的年份 {text}")
        elif int(text) <= PACKAGE_LAST_YEAR:
            seen.add(int(text))
            problem(key_node, f"{text} 年的安排已由 chinese_calendar 提供（收录至 {PACKAGE_LAST_YEAR} 年），"
                              f"不能在此改写；只能补录 {PACKAGE_LAST_YEAR + 1} 年及以后")
        else:
            seen.add(int(text))
            yield key_node, int(text), block


def _scalar(fields: dict, key: str) -> tuple[yaml.Node | None, str]:
    """(key node, stripped text) of an optional scalar field ('' when absent or empty)."""
    if key not in fields:
        return None, ""
    key_node, value = fields[key]
    return key_node, value.value.strip() if isinstance(value, yaml.ScalarNode) and not _is_null(value) else ""


def _block(year_node: yaml.Node, year: int, block: yaml.Node, problem) -> Schedule:
    """One year's schedule, each date checked; problems are reported."""
    if not isinstance(block, yaml.MappingNode):
        problem(year_node, f"{year} 年应写 source、holidays、workdays 三项")
        return Schedule(year, frozenset(), frozenset())
    fields = _pairs(block, _BLOCK_KEYS, problem)
    source_node, source = _scalar(fields, "source")
    if source_node is None:
        problem(year_node, f"{year} 年缺少 source（国务院办公厅通知的文号，如 国办发明电〔{year - 1}〕N号）")
    elif not source:
        problem(source_node, "source 不能为空，应写国务院办公厅通知的文号")
    issued_node, issued_text = _scalar(fields, "issued_on")
    issued = date.fromisoformat(issued_text) if _DATE_RE.match(issued_text) else None
    if issued_node is not None and issued is None:
        problem(issued_node, f"issued_on 应写作 YYYY-MM-DD，而不是 {issued_text!r}")
    holidays = _dates(fields.get("holidays"), year, "holidays", problem)
    workdays = _dates(fields.get("workdays"), year, "workdays", problem)
    for d, node in workdays.items():
        if d in holidays:
            problem(node, f"{d.isoformat()} 同时列在 holidays（第 {holidays[d].start_mark.line + 1} 行）"
                          f"和 workdays 中，只能是其中之一")
        elif d.weekday() < 5:
            problem(node, f"{d.isoformat()} 是{WEEKDAY_NAMES[d.weekday()]}，本来就是工作日；workdays 只写调休上班的周六、周日")
    return Schedule(year, frozenset(holidays), frozenset(set(workdays) - set(holidays)), number=source,
                    title=_scalar(fields, "title")[1], issued_on=issued, origin="file")


def _dates(field_: tuple | None, year: int, name: str, problem) -> dict[date, yaml.Node]:
    """The dates of a holidays/workdays list -> their nodes; bad entries are reported."""
    out: dict[date, yaml.Node] = {}
    if field_ is None or _is_null(field_[1]):
        return out
    key_node, seq = field_
    if not isinstance(seq, yaml.SequenceNode):
        problem(key_node, f"{name} 应为日期列表，如 [{year}-01-01, {year}-01-02]")
        return out
    for node in seq.value:
        d = _date(node)
        if d is None:
            shown = node.value if isinstance(node, yaml.ScalarNode) else "（列表或映射）"
            problem(node, f"{name} 中的 {shown!r} 不是日期（应写作 {year}-01-01）")
        elif d.year != year:
            problem(node, f"{d.isoformat()} 不属于 {year} 年，应写在 {d.year} 年的分块中")
        elif d in out:
            problem(node, f"{name} 中的 {d.isoformat()} 重复")
        else:
            out[d] = node
    return out


def _date(node: yaml.Node) -> date | None:
    """The date a scalar node spells as YYYY-MM-DD, or None."""
    if not isinstance(node, yaml.ScalarNode) or not _DATE_RE.match(node.value):
        return None
    try:
        return date.fromisoformat(node.value)
    except ValueError:
        return None
