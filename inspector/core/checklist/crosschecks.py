"""Checks across a checklist's items on the raw YAML data: unique ids, tiers that exist. Pure."""
from __future__ import annotations

from typing import Any

from ..yamllines import Problem
from .spec import SITE_TYPES


def _as_list(value: Any) -> list:
    """A YAML value as a list (a scalar becomes one entry; junk becomes empty)."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, (bool, dict)) else [value]


def cross_checks(data: dict, lines: dict, file: str) -> list[Problem]:
    """Checks across items on the raw data: unique ids, tiers that exist."""
    problems = []
    tier_ids = {t.get("id") for t in _as_list(data.get("tiers")) if isinstance(t, dict)}
    keys_ok = tier_ids | set(SITE_TYPES) | {"default"} | {f"{t}/{s}" for t in tier_ids for s in SITE_TYPES}
    seen_items: dict[str, int] = {}
    seen_sections: set[str] = set()
    for si, section in enumerate(_as_list(data.get("sections"))):
        if not isinstance(section, dict):
            continue
        sid = section.get("id")
        if sid in seen_sections:
            problems.append(Problem(file, lines.get(("sections", si, "id")), f"分组 {sid}", f"分组 id {sid!r} 重复"))
        seen_sections.add(sid)
        for ii, item in enumerate(_as_list(section.get("items"))):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            at = ("sections", si, "items", ii)
            problems += _item_checks(item, at, lines, file, seen_items, tier_ids, keys_ok)
    return problems


def _item_checks(item: dict, at: tuple, lines: dict, file: str, seen_items: dict[str, int],
                 tier_ids: set, keys_ok: set) -> list[Problem]:
    """One item's id not used before, its rule and advisory keys and its tiers known."""
    problems = []
    iid = item["id"]
    if iid in seen_items:
        problems.append(Problem(file, lines.get(at + ("id",)), iid,
                                f"id {iid!r} 重复（第 {seen_items[iid]} 行已用过）"))
    else:
        seen_items[iid] = lines.get(at + ("id",)) or 0
    rule = item.get("rule")
    for key in rule if isinstance(rule, dict) else ():
        if key not in keys_ok:
            known = ", ".join(sorted(str(t) for t in tier_ids)) or "本清单未设等级"
            problems.append(Problem(file, lines.get(at + ("rule", key)), iid,
                                    f"rule 的键 {key!r} 不是本清单的等级或类型（等级：{known}）"))
    advisory = item.get("advisory")
    for key in advisory if isinstance(advisory, dict) else ():
        if key not in keys_ok:
            problems.append(Problem(file, lines.get(at + ("advisory", key)), iid,
                                    f"advisory 的键 {key!r} 不是本清单的等级或类型"))
    for field in ("tiers", "critical"):
        for tier in _as_list(item.get(field)):
            if tier not in tier_ids:
                problems.append(Problem(file, lines.get(at + (field,)), iid,
                                        f"{field}: 等级 {tier!r} 未在 tiers 中定义"))
    return problems
