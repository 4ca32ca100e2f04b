"""Working-day calendar (工作日): weekends and PRC statutory holidays off, make-up days (调休上班) on.

The State Council's schedules come from `chinese_calendar` (used as is); years it does not
know yet are added by an admin in `checklists/calendar/overrides.yaml`, one block per year.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "checklists" / "calendar" / "overrides.yaml"
OVERRIDES_NAME = "checklists/calendar/overrides.yaml"

PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year
PACKAGE_LAST_DAY = date(PACKAGE_LAST_YEAR, 12, 31)

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_RE = re.compile(r"^\d{4}$")
_BLOCK_KEYS = ("source", "holidays", "workdays")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ONE_DAY = timedelta(days=1)


class CalendarUnknown(ValueError):
    """A date the calendar has no holiday schedule for; `year` names its year."""

    def __init__(self, day: date, known_until: date):
        self.year, self.day, self.known_until = day.year, day, known_until
        if day.year < PACKAGE_FIRST_YEAR:
            message = (f"{day.year} 年的法定节假日安排未收录（节假日数据从 {PACKAGE_FIRST_YEAR} 年起），"
                       f"无法按工作日计算 {day.isoformat()}")
        else:
            message = (f"{day.year} 年的法定节假日安排尚未录入（已知至 {known_until.isoformat()}），"
                       f"无法按工作日计算 {day.isoformat()}。请在 {OVERRIDES_NAME} 中按国务院办公厅"
                       f"《关于{day.year}年部分节假日安排的通知》补录 {day.year} 年的放假和调休上班日期")
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


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: chinese_calendar's data plus an admin's extra years."""

    holidays: frozenset[date] = frozenset()   # extra days off (beyond chinese_calendar)
    workdays: frozenset[date] = frozenset()   # extra make-up working days
    known_until: date = PACKAGE_LAST_DAY      # last date the calendar knows
    weekends_only_after: bool = False         # beyond known_until, count Mon–Fri (with a warning)

    def knows(self, d: date) -> bool:
        """Whether the holiday schedule of this date is known."""
        d = _day(d)
        return PACKAGE_FIRST_YEAR <= d.year and d <= self.known_until

    def is_working_day(self, d: date) -> bool:
        """Whether `d` is a working day; CalendarUnknown when its schedule is unknown."""
        d = _day(d)
        if not self.knows(d):
            if self.weekends_only_after and d > self.known_until:
                return d.weekday() < 5
            raise CalendarUnknown(d, self.known_until)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        if d.year <= PACKAGE_LAST_YEAR:
            return chinese_calendar.is_workday(d)
        return d.weekday() < 5

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

    def warnings_for(self, *dates: date) -> list[str]:
        """Warnings for dates beyond the known schedule that are counted Mon–Fri only."""
        if not self.weekends_only_after:
            return []
        years = sorted({d.year for d in map(_day, dates) if d > self.known_until})
        return [f"{year} 年的法定节假日安排尚未录入，按周一至周五计算" for year in years]


# ---------------------------------------------------------------- the overrides file

def load(path: Path | None = None, *, weekends_only_after: bool = False) -> Calendar:
    """The calendar: chinese_calendar plus the years in the overrides file (default: the shipped one)."""
    path = Path(path) if path is not None else OVERRIDES
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverridesError([f"{path}: 找不到节假日补录文件"]) from None
    except UnicodeDecodeError:
        raise OverridesError([f"{path}: 文件应为 UTF-8 编码"]) from None
    years = parse_text(text, str(path))
    holidays = frozenset(d for block in years.values() for d in block[0])
    workdays = frozenset(d for block in years.values() for d in block[1])
    known_until = date(max(years), 12, 31) if years else PACKAGE_LAST_DAY
    return Calendar(holidays, workdays, known_until, weekends_only_after)


def parse_text(text: str, file: str) -> dict[int, tuple[set[date], set[date]]]:
    """Year -> (holidays, workdays) from the overrides YAML; OverridesError lists every problem."""
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
    years: dict[int, tuple[set[date], set[date]]] = {}
    year_nodes: dict[int, yaml.Node] = {}
    for year_node, year, block in _year_blocks(root, problem):
        years[year], year_nodes[year] = _block(year_node, year, block, problem), year_node
    _check_contiguous(year_nodes, problem)
    if problems:
        raise OverridesError([message for _, message in sorted(problems, key=lambda p: p[0])])
    return years


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


def _block(year_node: yaml.Node, year: int, block: yaml.Node, problem) -> tuple[set[date], set[date]]:
    """One year's holidays and workdays, each date checked; problems are reported."""
    if not isinstance(block, yaml.MappingNode):
        problem(year_node, f"{year} 年应写 source、holidays、workdays 三项")
        return set(), set()
    fields = _pairs(block, _BLOCK_KEYS, problem)
    source = fields.get("source")
    if source is None:
        problem(year_node, f"{year} 年缺少 source（国务院办公厅通知的文号，如 国办发明电〔{year - 1}〕N号）")
    elif _is_null(source[1]) or not isinstance(source[1], yaml.ScalarNode) or not source[1].value.strip():
        problem(source[0], "source 不能为空，应写国务院办公厅通知的文号")
    holidays = _dates(fields.get("holidays"), year, "holidays", problem)
    workdays = _dates(fields.get("workdays"), year, "workdays", problem)
    for d, node in workdays.items():
        if d in holidays:
            problem(node, f"{d.isoformat()} 同时列在 holidays（第 {holidays[d].start_mark.line + 1} 行）"
                          f"和 workdays 中，只能是其中之一")
        elif d.weekday() < 5:
            problem(node, f"{d.isoformat()} 是{WEEKDAY_NAMES[d.weekday()]}，本来就是工作日；workdays 只写调休上班的周六、周日")
    return set(holidays), set(workdays) - set(holidays)


def _dates(field: tuple | None, year: int, name: str, problem) -> dict[date, yaml.Node]:
    """The dates of a holidays/workdays list -> their nodes; bad entries are reported."""
    out: dict[date, yaml.Node] = {}
    if field is None or _is_null(field[1]):
        return out
    key_node, seq = field
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


def _check_contiguous(nodes: dict[int, yaml.Node], problem) -> None:
    """The added years must follow chinese_calendar's last year without a gap."""
    expected = PACKAGE_LAST_YEAR + 1
    for year in sorted(nodes):
        if year != expected:
            missing = f"{expected} 年" if year == expected + 1 else f"{expected}–{year - 1} 年"
            problem(nodes[year], f"年份不连续：补录 {year} 年之前须先补录 {missing}"
                                 f"（chinese_calendar 收录至 {PACKAGE_LAST_YEAR} 年）")
            return
        expected += 1
