"""YAML data files read with their line numbers; every problem is `file:line: 条目 …：what`.

Checklists (core/checklist), program definitions (core/programs) and the sources file
(core/sources) are read this way: a bad file is reported whole, each problem with its line,
and a folder is loaded with every problem of every file before one error is raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from pydantic import ValidationError

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a checklist file."""

    file: str
    line: int | None
    item: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f" 条目 {self.item}：" if self.item else " "
        return f"{where}:{what}{self.message}"


class ChecklistError(Exception):
    """A checklist file is wrong; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


PYDANTIC_WORDS = {
    "missing": "缺少字段",
    "extra_forbidden": "未知字段",
    "literal_error": "取值无效",
    "string_type": "应为文字",
    "float_parsing": "应为数字",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "string_pattern_mismatch": "格式无效（只用小写字母、数字、-、.、_）",
    "too_short": "不能为空",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


def compose(text: str, file: str, not_a_mapping: str) -> tuple[yaml.Node, dict]:
    """The YAML tree and data of one file's text; ChecklistError on a syntax error or a non-mapping."""
    try:
        loader = Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ChecklistError([Problem(file, line, None, f"YAML 语法错误：{getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(data, dict):
        raise ChecklistError([Problem(file, 1, None, not_a_mapping)])
    return node, data


def lines_of(node: yaml.Node, path: tuple = (), out: dict | None = None, dups: list | None = None):
    """Map each path in the YAML tree to its line (1-based); note duplicate keys."""
    out = {} if out is None else out
    dups = [] if dups is None else dups
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dups.append((path + (key,), key_node.start_mark.line + 1))
            seen.add(key)
            out[path + (key,)] = key_node.start_mark.line + 1
            lines_of(value_node, path + (key,), out, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            lines_of(child, path + (i,), out, dups)
    return out, dups


def line_for(lines: dict, path: tuple) -> int | None:
    """The line of the deepest known prefix of a path."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def message(err: dict) -> str:
    """A pydantic error in words an editor of the file understands."""
    field = ".".join(str(p) for p in err["loc"][-2:] if not isinstance(p, int)) or "内容"
    if err["type"] == "value_error":
        return f"{field}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"{field}: 取值 {err.get('input')!r} 无效（可选：{allowed}）"
    word = PYDANTIC_WORDS.get(err["type"], err["msg"])
    return f"{field}: {word}"


def duplicate_keys(dups: list, file: str, where: Callable[[tuple], str | None]) -> list[Problem]:
    """A problem for each key written twice in one mapping."""
    return [Problem(file, line, where(path), f"重复的键 {path[-1]!r}") for path, line in dups]


def validation_problems(errors: list[dict], file: str, lines: dict, where: Callable[[tuple], str | None], *,
                        skip_emptied: bool = False) -> list[Problem]:
    """pydantic's errors as problems with their lines. `skip_emptied`: a list reported too short only
    because its entries failed is left out (those entries are reported)."""
    problems = []
    for err in errors:
        path = tuple(err["loc"])
        if skip_emptied and err["type"] == "too_short" and any(
                len(o["loc"]) > len(path) and tuple(o["loc"][:len(path)]) == path for o in errors):
            continue
        problems.append(Problem(file, line_for(lines, path), where(path), message(err)))
    return problems


def parse(text: str, file: str, model, *, not_a_mapping: str, where_of: Callable[[dict, tuple], str | None],
          cross_checks: Callable[[dict, dict, str], list[Problem]], skip_emptied: bool = False):
    """One YAML file validated as `model`: every problem (duplicate keys, the schema, the file's own
    cross-checks) named by file, line and item, raised together as one ChecklistError."""
    node, data = compose(text, file, not_a_mapping)
    lines, dups = lines_of(node)
    where = partial(where_of, data)
    problems = duplicate_keys(dups, file, where)
    spec = None
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc.errors(), file, lines, where, skip_emptied=skip_emptied)
    problems += cross_checks(data, lines, file)
    if problems:
        raise ChecklistError(sorted(problems, key=lambda p: p.line or 0))
    return spec


def load_each(paths: Iterable[Path], load_file: Callable[[Path], Any], noun: str) -> dict[str, Any]:
    """Each file's spec by id; ChecklistError listing every problem of every file (a repeated id too)."""
    specs: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            spec = load_file(path)
        except ChecklistError as exc:
            problems += exc.problems
            continue
        if spec.id in specs:
            problems.append(Problem(str(path), 1, None, f"{noun} id {spec.id!r} 与其他文件重复"))
        specs[spec.id] = spec
    if problems:
        raise ChecklistError(problems)
    return specs


def validate(targets: Iterable[str], load_dir: Callable, load_file: Callable, noun: str) -> int:
    """Validate files or folders; print every problem; 1 if any, else 0 with how many are valid."""
    problems: list[Problem] = []
    count = 0
    for target in targets:
        try:
            count += len(load_dir(target)) if Path(target).is_dir() else bool(load_file(target))
        except ChecklistError as exc:
            problems += exc.problems
    for p in problems:
        print(p)
    if problems:
        print(f"共 {len(problems)} 个问题")
        return 1
    print(f"{count} 个{noun}全部有效")
    return 0
