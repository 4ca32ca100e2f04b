"""The seed file of entered years (`checklists/calendar/overrides.yaml`): read with every problem as
`file:line: message`, in line order. Pure."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from ..yamllines import Loader
from .calendar import PACKAGE_LAST_YEAR, WEEKDAY_NAMES, Calendar, Schedule

ROOT = Path(__file__).resolve().parents[3]
OVERRIDES = ROOT / "checklists" / "calendar" / "overrides.yaml"
OVERRIDES_NAME = "checklists/calendar/overrides.yaml"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_RE = re.compile(r"^\d{4}$")
_BLOCK_KEYS = ("source", "title", "issued_on", "holidays", "workdays")


class OverridesError(ValueError):
    """The overrides file is wrong; `problems` lists every problem as `file:line: message`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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
        root = yaml.compose(text, Loader=Loader)
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
