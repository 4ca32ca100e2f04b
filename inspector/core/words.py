"""Words a person reads for stored values, said once. Pure."""
from __future__ import annotations

from . import units

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
