"""Program files in, validated specs out: every problem as file:line: entry: what, like a checklist. Pure."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


from .. import yamllines
from ..yamllines import Problem
from .spec import ProgramSpec


def _where(data: Any, path: tuple) -> str | None:
    """The id of the entry (step, band, limit, notice, parameter) a path points into."""
    names = {"limits": "限额", "notices": "公示", "steps": "环节", "parameters": "参数", "bands": "分档"}
    found = None
    node = data
    for i, key in enumerate(path):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int) and i > 0 and path[i - 1] in names and isinstance(node, dict):
            found = f"{names[path[i - 1]]} {node.get('id') or f'第{key + 1}项'}"
    return found


def parse_text(text: str, file: str) -> ProgramSpec:
    """Parse and validate one program file; raise ChecklistError with every problem (file:line: item: what)."""
    return yamllines.parse(text, file, ProgramSpec, not_a_mapping="文件应为一个程序定义（YAML 映射），以 id、kind、title 开头",
                           where_of=_where, cross_checks=_cross_checks)


def _id_groups(data: dict) -> list[tuple[tuple, Any]]:
    """(path, entries) of each list whose entries need unique ids: steps, limits, notices, parameters,
    bands, and the steps within each band."""
    groups = [(("limits",), data.get("limits")), (("notices",), data.get("notices")),
              (("steps",), data.get("steps")), (("parameters",), data.get("parameters"))]
    approval = data.get("approval") if isinstance(data.get("approval"), dict) else {}
    groups.append((("approval", "bands"), approval.get("bands")))
    for bi, band in enumerate(approval.get("bands") or [] if isinstance(approval.get("bands"), list) else []):
        if isinstance(band, dict):
            groups.append((("approval", "bands", bi, "steps"), band.get("steps")))
    return groups


def _cross_checks(data: dict, lines: dict, file: str) -> list[Problem]:
    """Unique ids of steps, limits, notices, parameters and bands (and steps within each band)."""
    problems = []
    for at, entries in _id_groups(data):
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                continue
            line = lines.get(at + (i, "id"))
            if entry["id"] in seen:
                problems.append(Problem(file, line, _where(data, at + (i,)),
                                        f"id {entry['id']!r} 重复（第 {seen[entry['id']]} 行已用过）"))
            else:
                seen[entry["id"]] = line or 0
    return problems


@lru_cache(maxsize=64)
def _parse_once(text: str, file: str) -> ProgramSpec:
    return parse_text(text, file)


def load_file(path: str | Path) -> ProgramSpec:
    """Load and validate one program file (parsed once per content)."""
    path = Path(path)
    return _parse_once(path.read_text(encoding="utf-8"), str(path))


def load_dir(folder: str | Path) -> dict[str, ProgramSpec]:
    """Every `*.yaml` program in a folder; ChecklistError listing every problem of every file."""
    return yamllines.load_each(sorted(Path(folder).glob("*.yaml")), load_file, "程序")


def checklist_problems(folder: str | Path, checklists: dict[str, tuple[str, ...]]) -> list[Problem]:
    """Each micro-project scheme's acceptance checklist exists and is a micro-project checklist.

    `checklists` maps each loaded checklist id to its purposes; a problem names the file and line.
    """
    problems = []
    for path in sorted(Path(folder).glob("*.yaml")):
        spec = load_file(path)
        wanted = spec.acceptance.checklist if spec.acceptance else None
        if wanted is None or "micro_project" in checklists.get(wanted, ()):
            continue
        text = path.read_text(encoding="utf-8").splitlines()
        line = next((n for n, t in enumerate(text, 1) if t.strip() == f"checklist: {wanted}"), None)
        why = "不是微实事清单（purposes 不含 micro_project）" if wanted in checklists else "不存在"
        problems.append(Problem(str(path), line, "acceptance.checklist", f"验收清单 {wanted!r} {why}"))
    return problems


def main(argv: list[str]) -> int:
    """Validate program files or folders; print every problem (file:line: entry: what); exit 1 if any."""
    return yamllines.validate(argv or [str(Path("checklists") / "programs")], load_dir, load_file, "程序定义")
