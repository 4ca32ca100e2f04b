"""Checklist files in, validated specs out: every problem with its file, line and item. Pure."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


from .. import yamllines
from ..yamllines import ChecklistError, Problem
from .crosschecks import cross_checks
from .spec import ChecklistSpec


def _item_at(data: Any, path: tuple) -> str | None:
    """The id of the item (or section) a path points into, if any."""
    if len(path) >= 4 and path[0] == "sections" and path[2] == "items":
        try:
            return str(data["sections"][path[1]]["items"][path[3]].get("id") or f"第{path[3] + 1}项")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    if len(path) >= 2 and path[0] == "sections":
        try:
            return "分组 " + str(data["sections"][path[1]].get("id"))
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    return None


def parse_text(text: str, file: str) -> ChecklistSpec:
    """Parse and validate one checklist's YAML text; raise ChecklistError with every problem."""
    return yamllines.parse(text, file, ChecklistSpec, not_a_mapping="文件应为一个清单（YAML 映射），以 id、title、sections 开头",
                           where_of=_item_at, cross_checks=cross_checks, skip_emptied=True)


def load_file(path: str | Path) -> ChecklistSpec:
    """Load and validate one checklist file.

    The parsed spec is kept per (text, file name): specs are frozen, and every app made in one
    process (each test makes one) then parses each file once; a changed file is parsed anew.
    """
    path = Path(path)
    return _parse_once(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=64)
def _parse_once(text: str, file: str) -> ChecklistSpec:
    return parse_text(text, file)


def load_dir(folder: str | Path) -> dict[str, ChecklistSpec]:
    """Load every `*.yaml` in a folder; raise ChecklistError listing every problem of every file."""
    files = sorted(Path(folder).glob("*.yaml"))
    if not files:
        raise ChecklistError([Problem(str(folder), None, None, "没有找到任何清单文件（*.yaml）")])
    return yamllines.load_each(files, load_file, "清单")


def main(argv: list[str]) -> int:
    """Validate the files or folders given; print every problem; exit 1 if any."""
    return yamllines.validate(argv or ["checklists"], load_dir, load_file, "清单")
