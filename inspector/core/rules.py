"""Machine-checkable rules: parse the text form, judge a value, say it in plain words."""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import units

_NUM = r"(-?\d+(?:\.\d+)?)"
_COMPARE = re.compile(rf"^\s*(>=|<=|==|>|<)\s*{_NUM}\s*([A-Za-z_][A-Za-z_0-9]*|m2)?\s*$")
_DIMS = re.compile(rf"^\s*{_NUM}\s*[xX×]\s*{_NUM}\s*([A-Za-z_][A-Za-z_0-9]*)\s*(?:(?:±|\+-|\+/-)\s*{_NUM})?\s*$")
_RATE = re.compile(rf"^\s*rate\s*(>=|>|==)\s*{_NUM}\s*%\s*$")
# `>= about 100 seats ± 10` (a source's “100 名左右” that is a need to meet) or `about 100 seats ± 10`
_ABOUT = re.compile(rf"^\s*(>=\s*|<=\s*)?about\s+{_NUM}\s*([A-Za-z_][A-Za-z_0-9]*|m2)?\s*(?:±|\+-|\+/-)\s*{_NUM}\s*$")

_OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}
_OP_WORDS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


class RuleError(ValueError):
    """A rule's text does not parse, or does not fit its item."""


def _fmt(x: float) -> str:
    """A number without a trailing .0."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Compare:
    """`>= 400 m2`: the value compared with a threshold."""

    op: str
    threshold: float
    unit: str | None

    def holds(self, value: float) -> bool:
        """Whether the value meets the rule."""
        return _OPS[self.op](value, self.threshold)

    def shortfall(self, value: float) -> float:
        """How far the value is from meeting the rule (0 when met)."""
        if self.holds(value):
            return 0.0
        return abs(self.threshold - value)

    def describe(self) -> str:
        """The rule in plain words."""
        return f"{_OP_WORDS[self.op]} {_fmt(self.threshold)} {units.label(self.unit)}".strip()


@dataclass(frozen=True)
class Dimensions:
    """`35 x 24 cm ± 0.5`: two sizes, each within a tolerance."""

    first: float
    second: float
    unit: str
    tolerance: float

    def holds(self, a: float, b: float) -> bool:
        """Whether both measured sizes lie within the tolerance."""
        eps = 1e-9
        return (abs(a - self.first) <= self.tolerance + eps
                and abs(b - self.second) <= self.tolerance + eps)

    def describe(self) -> str:
        """The rule in plain words."""
        tol = f"（允许偏差 ±{_fmt(self.tolerance)} {units.label(self.unit)}）" if self.tolerance else ""
        return f"{_fmt(self.first)} × {_fmt(self.second)} {units.label(self.unit)}{tol}"


@dataclass(frozen=True)
class Rate:
    """`rate >= 90%`: satisfied / respondents, computed, never typed."""

    op: str
    percent: float

    def holds(self, rate_percent: float) -> bool:
        """Whether the computed rate meets the rule."""
        return _OPS[self.op](round(rate_percent, 6), self.percent)

    def describe(self) -> str:
        """The rule in plain words."""
        return f"比例 {_OP_WORDS[self.op]} {_fmt(self.percent)}%"


@dataclass(frozen=True)
class About(Compare):
    """`>= about 100 seats ± 10`: a source's “左右” (about) kept with its tolerance.

    `op` is `>=` or `<=` when the number is a need to meet (a room that seats more than “100 名左右”
    meets it; the tolerance lets it be up to `tolerance` short), `≈` when both sides count. It is a
    `Compare`, so every place that judges or explains a comparison treats it alike.
    """

    tolerance: float = 0.0
    tolerance_by: str | None = None  # who set the band, from the item's `tolerance_source`

    def holds(self, value: float) -> bool:
        """Whether the value is “about” the number, within the tolerance on the side that matters."""
        eps = 1e-9
        if self.op == ">=":
            return value >= self.threshold - self.tolerance - eps
        if self.op == "<=":
            return value <= self.threshold + self.tolerance + eps
        return abs(value - self.threshold) <= self.tolerance + eps

    def shortfall(self, value: float) -> float:
        """How far the value lies outside the tolerated band (0 when met)."""
        if self.holds(value):
            return 0.0
        return abs(value - self.threshold) - self.tolerance

    def describe(self) -> str:
        """The rule in plain words, with the source's “左右” and the band it allows."""
        unit = units.label(self.unit)
        lo, hi = _fmt(self.threshold - self.tolerance), _fmt(self.threshold + self.tolerance)
        band = {">=": f"不少于 {lo} {unit}", "<=": f"不多于 {hi} {unit}"}.get(self.op, f" {lo}–{hi} {unit}")
        by = f"；{self.tolerance_by}" if self.tolerance_by else ""
        return f"{_fmt(self.threshold)} {unit}左右（允许偏差 ±{_fmt(self.tolerance)}，即{band}{by}）".replace(" （", "（")


Rule = Compare | Dimensions | Rate


def parse(text: str, *, kind: str, unit: str | None) -> Rule:
    """Parse a rule for an item of this kind and unit, or raise RuleError saying why."""
    if not isinstance(text, str):
        raise RuleError(f"规则应为文字，例如 \">= 400 m2\"，而不是 {text!r}")
    if kind == "rate":
        m = _RATE.match(text)
        if not m:
            raise RuleError(f"无法解析比例规则 {text!r}，应形如 \"rate >= 90%\"")
        percent = float(m.group(2))
        if not 0 <= percent <= 100:
            raise RuleError(f"比例规则 {text!r} 超出 0–100%")
        return Rate(m.group(1), percent)
    if kind == "dimensions":
        m = _DIMS.match(text)
        if not m:
            raise RuleError(f"无法解析尺寸规则 {text!r}，应形如 \"35 x 24 cm ± 0.5\"")
        rule_unit = m.group(3)
        if rule_unit not in units.LENGTH:
            raise RuleError(f"尺寸规则 {text!r} 的单位 {rule_unit!r} 不是长度单位（m、cm、mm）")
        if rule_unit != unit:
            raise RuleError(f"规则 {text!r} 的单位 {rule_unit!r} 与条目单位 {unit!r} 不一致")
        return Dimensions(float(m.group(1)), float(m.group(2)), rule_unit, float(m.group(4) or 0))
    if kind in ("measure", "count") and "about" in text:
        return _parse_about(text, kind=kind, unit=unit)
    if kind in ("measure", "count"):
        m = _COMPARE.match(text)
        if not m:
            raise RuleError(f"无法解析规则 {text!r}，应形如 \">= 400 m2\"")
        _check_unit(text, m.group(3), kind=kind, unit=unit)
        threshold = float(m.group(2))
        if kind == "count" and not threshold.is_integer():
            raise RuleError(f"计数规则 {text!r} 的阈值应为整数")
        return Compare(m.group(1), threshold, unit)
    raise RuleError(f"{kind} 类条目不设 rule")


def _check_unit(text: str, rule_unit: str | None, *, kind: str, unit: str | None) -> None:
    """The unit written in a comparison exists, is given for a measure, and is the item's."""
    if rule_unit is not None and rule_unit not in units.ALL:
        raise RuleError(f"规则 {text!r} 的单位 {rule_unit!r} 未知")
    if kind == "measure" and rule_unit is None:
        raise RuleError(f"测量规则 {text!r} 缺少单位（条目单位为 {unit!r}）")
    if rule_unit is not None and rule_unit != unit:
        raise RuleError(f"规则 {text!r} 的单位 {rule_unit!r} 与条目单位 {unit!r} 不一致")


def _parse_about(text: str, *, kind: str, unit: str | None) -> About:
    """`>= about 100 seats ± 10`: the tolerance is required, since “左右” alone sets no band."""
    m = _ABOUT.match(text)
    if not m:
        raise RuleError(f"无法解析“左右”规则 {text!r}，应形如 \">= about 100 seats ± 10\"（须写明允许偏差）")
    _check_unit(text, m.group(3), kind=kind, unit=unit)
    threshold, tolerance = float(m.group(2)), float(m.group(4))
    if tolerance <= 0 or tolerance >= abs(threshold):
        raise RuleError(f"“左右”规则 {text!r} 的允许偏差应大于 0 且小于数值本身")
    op = (m.group(1) or "").strip() or "≈"
    return About(op, threshold, unit, tolerance)
