"""Words a person reads for stored values, said once. Pure.

Result and verdict words are the scoring's (core/scoring.py: 符合 / 不符合 / 不适用 / 未检查);
the county's workbook prints the short form of the same results in its cells (合格 / 不合格 /
不适用 / 未查, CELL_RESULT_WORDS); a site with no inspection at all is 未检查 (NEVER_INSPECTED).
"""
from __future__ import annotations

from . import scoring, units

RESULT_WORDS = scoring.RESULT_LABELS  # an item's result: 符合, 不符合, 不适用, 未检查
VERDICT_WORDS = scoring.VERDICT_LABELS  # an inspection's verdict
CELL_RESULT_WORDS = {scoring.PASS: "合格", scoring.FAIL: "不合格", scoring.NA: "不适用", scoring.OPEN: "未查"}
NEVER_INSPECTED = "未检查"  # a site's status when it has no inspection (under the filters)
NOT_DECIDED = "未评定"  # an inspection without a verdict

ANSWER_WORDS = {"pass": "符合", "fail": "不符合", "present": "有", "missing": "缺", "na": "不适用"}


def answer_words(value, item) -> str:
    """A stored answer in words (for conflicts, summaries and reports)."""
    if value is None:
        return "未填"
    if isinstance(value, str) and value in ANSWER_WORDS and item.kind != "text":
        return ANSWER_WORDS[value]
    unit = units.label(item.unit)
    if item.kind == "dimensions" and isinstance(value, list):
        a, b = value
        return f"{item.dimension_labels[0]}{'' if a is None else f'{a:g}'} × {item.dimension_labels[1]}{'' if b is None else f'{b:g}'} {unit}"
    if item.kind == "rate" and isinstance(value, dict):
        r, s = value.get("respondents"), value.get("satisfied")
        rate = f"（{100 * s / r:.1f}%）" if r and s is not None else ""
        return f"{s if s is not None else '?'}/{r if r is not None else '?'}{rate}"
    if item.kind == "choice":
        return next((o.label for o in item.options or () if o.value == value), str(value))
    if isinstance(value, (int, float)):
        return f"{value:g} {unit}".strip()
    return str(value)


def percent(part: float, whole: float, *, empty: str = "—") -> str:
    """A share as a percentage with one decimal ('90.0%'); `empty` when there is nothing to count."""
    return f"{part * 100 / whole:.1f}%" if whole else empty


def verdict_words(verdict: str | None, empty: str = NOT_DECIDED) -> str:
    """An inspection's verdict in words (`empty` when it has none)."""
    return VERDICT_WORDS.get(verdict or "", empty)
