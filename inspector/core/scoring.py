"""Scoring: answers in, per-item results, score and verdict out (core.decision adds the money). Pure."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import rules, units
from .checklist import ChecklistSpec, Item

PASS, FAIL, NA, OPEN = "pass", "fail", "na", "open"
RESULT_LABELS = {PASS: "符合", FAIL: "不符合", NA: "不适用", OPEN: "未检查"}

# verdicts, in the order they are decided
INELIGIBLE, REFUSED, VETOED, INCOMPLETE, PASSED, FAILED = (
    "ineligible", "refused", "vetoed", "incomplete", "pass", "fail")
VERDICT_LABELS = {
    INELIGIBLE: "不具备申报条件", REFUSED: "不予验收", VETOED: "一票否决", INCOMPLETE: "尚未检查完",
    PASSED: "合格", FAILED: "不合格",
}

_CHECK_VALUES = {"check": ("pass", "fail"), "document": ("present", "missing")}


WEIGHT_UNITS = 1_000_000  # points are summed as whole millionths of a weight: exact in any order


def weight_units(item: Item) -> int:
    """The item's weight in whole units (weights are decimals of at most six places)."""
    return round(item.weight * WEIGHT_UNITS)


class AnswerError(ValueError):
    """An answer that does not fit its item (wrong shape, negative count, satisfied > respondents)."""


def _number(raw: Any, what: str) -> float:
    """A finite number from a form value or JSON, or AnswerError."""
    if isinstance(raw, bool):
        raise AnswerError(f"{what}应为数字")
    try:
        value = float(str(raw).strip().replace("，", ".").replace(",", "."))
    except (TypeError, ValueError):
        raise AnswerError(f"{what}应为数字，而不是 {raw!r}") from None
    if not math.isfinite(value):
        raise AnswerError(f"{what}应为有限的数字")
    if value < 0:
        raise AnswerError(f"{what}不能为负数")
    return value


def _whole(raw: Any, what: str) -> int:
    """A whole non-negative number, or AnswerError."""
    value = _number(raw, what)
    if not value.is_integer():
        raise AnswerError(f"{what}应为整数")
    return int(value)


def normalize(item: Item, raw: Any) -> Any:
    """Turn a submitted answer into the stored value for this item, or raise AnswerError.

    Every kind accepts "na" (not applicable). None or "" means not answered.
    """
    if raw is None or raw == "" or raw == {}:
        return None
    if raw == "na":
        if item.consequence == "evidence":
            raise AnswerError("验收资料必须收集齐，不能选“不适用”：有就选“有”，没有就选“缺”")
        return "na"
    reader = _READERS.get("check" if item.kind in _CHECK_VALUES else item.kind)
    if reader is None:  # pragma: no cover - kinds are validated at load
        raise AnswerError(f"未知类型 {item.kind}")
    return reader(item, raw)


def _read_check(item: Item, raw: Any) -> str:
    """check / document: one of the kind's two words."""
    if raw not in _CHECK_VALUES[item.kind]:
        raise AnswerError(f"答案应为 {' / '.join(_CHECK_VALUES[item.kind])} 或 na，而不是 {raw!r}")
    return raw


def _read_dimensions(item: Item, raw: Any) -> list | None:
    """Two sizes; one size alone is kept (judged open)."""
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        raise AnswerError("尺寸应填两个数")
    sizes = [None if v in (None, "") else _number(v, label) for v, label in zip(raw, item.dimension_labels)]
    return None if sizes == [None, None] else sizes  # one size alone is kept, judged open


def _read_rate(item: Item, raw: Any) -> dict | None:
    """Respondents and satisfied, whole numbers, satisfied not above respondents."""
    if not isinstance(raw, Mapping):
        raise AnswerError("比例应填调查人数和满意人数")
    r, s = raw.get("respondents"), raw.get("satisfied")
    if r in (None, "") and s in (None, ""):
        return None
    respondents = _whole(r, "调查人数") if r not in (None, "") else None
    satisfied = _whole(s, "满意人数") if s not in (None, "") else None
    if respondents is not None and satisfied is not None and satisfied > respondents:
        raise AnswerError(f"满意人数（{satisfied}）不能多于调查人数（{respondents}）")
    if respondents == 0:
        raise AnswerError("调查人数应大于 0")
    return {"respondents": respondents, "satisfied": satisfied}


def _read_choice(item: Item, raw: Any) -> str:
    """One of the item's option values."""
    values = [o.value for o in item.options or ()]
    if raw not in values:
        raise AnswerError(f"选项应为 {' / '.join(values)} 之一，而不是 {raw!r}")
    return raw


def _read_text(item: Item, raw: Any) -> str | None:
    """Free text of at most 2000 characters."""
    text = str(raw).strip()
    if len(text) > 2000:
        raise AnswerError("文字不能超过 2000 字")
    return text or None


_READERS = {
    "check": _read_check,
    "measure": lambda item, raw: _number(raw, "测量值"),
    "count": lambda item, raw: _whole(raw, "数量"),
    "dimensions": _read_dimensions,
    "rate": _read_rate,
    "choice": _read_choice,
    "text": _read_text,
}


@dataclass(frozen=True)
class Judgement:
    """One item's result, and in words why."""

    item_id: str
    result: str
    detail: str = ""
    shortfall: float | None = None
    rate: float | None = None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


def judge(item: Item, value: Any, *, tier: str | None, site_type: str | None) -> Judgement:
    """The result of one stored value against the item's rule for this tier and site type."""
    if not item.applies(tier, site_type):
        return Judgement(item.id, NA)
    if value == "na" and item.consequence == "evidence":  # stored before the rule: a document is there or not
        return Judgement(item.id, FAIL, "验收资料必须收集齐，“不适用”不能代替")
    if value == "na":
        return Judgement(item.id, NA)
    if value is None:
        return Judgement(item.id, OPEN)
    kind = item.kind
    if kind in _CHECK_VALUES:
        return Judgement(item.id, PASS if value == _CHECK_VALUES[kind][0] else FAIL)
    if kind == "choice":
        option = next((o for o in item.options or () if o.value == value), None)
        if option is None:
            return Judgement(item.id, OPEN)
        return Judgement(item.id, PASS if option.passes else FAIL, f"选择：{option.label}")
    if kind == "text":
        return Judgement(item.id, NA if item.weight == 0 else PASS)
    judge_ruled = _RULED.get(kind)
    if judge_ruled is None:  # pragma: no cover
        raise AssertionError(kind)
    return judge_ruled(item, value, item.rule_for(tier, site_type))


def _judge_compare(item: Item, value: float, rule: rules.Rule) -> Judgement:
    """measure / count against a comparison, with how far it falls short."""
    assert isinstance(rule, rules.Compare)
    unit = units.label(item.unit)
    ok = rule.holds(value)
    detail = f"实测 {_fmt(value)} {unit}，要求 {rule.describe()}".replace("  ", " ")
    gap = rule.shortfall(value)
    if not ok and rule.op != "==":
        detail += f"，差 {_fmt(gap)} {unit}".rstrip()
    return Judgement(item.id, PASS if ok else FAIL, detail, gap if not ok else 0.0)


def _judge_dimensions(item: Item, value: list, rule: rules.Rule) -> Judgement:
    """Two sizes against a width × height rule with its tolerance."""
    assert isinstance(rule, rules.Dimensions)
    a, b = value
    if a is None or b is None:
        return Judgement(item.id, OPEN)
    ok = rule.holds(a, b)
    la, lb = item.dimension_labels
    detail = f"实测 {la}{_fmt(a)} × {lb}{_fmt(b)} {units.label(item.unit)}，要求 {rule.describe()}"
    gap = max(abs(a - rule.first), abs(b - rule.second)) - rule.tolerance
    return Judgement(item.id, PASS if ok else FAIL, detail, max(gap, 0.0) if not ok else 0.0)


def _judge_rate(item: Item, value: dict, rule: rules.Rule) -> Judgement:
    """A satisfaction rate against its minimum percent."""
    assert isinstance(rule, rules.Rate)
    if value.get("respondents") is None or value.get("satisfied") is None:
        return Judgement(item.id, OPEN)
    rate = 100.0 * value["satisfied"] / value["respondents"]
    ok = rule.holds(rate)
    detail = f"{value['satisfied']}/{value['respondents']} = {rate:.1f}%，要求 {rule.describe()}"
    return Judgement(item.id, PASS if ok else FAIL, detail, None if ok else rule.percent - rate, rate)


_RULED = {"measure": _judge_compare, "count": _judge_compare, "dimensions": _judge_dimensions, "rate": _judge_rate}


@dataclass(frozen=True)
class Outcome:
    """What an inspection's answers add up to, for one tier and site type.

    `failed` lists the binding requirements not met (mandatory, gates, evidence, refusals);
    `advisory_failed` the failed requirements the source itself softens, `unexplained` those of
    them still without the inspector's note.
    """

    tier: str | None
    score: float | None
    verdict: str
    judgements: dict[str, Judgement]
    vetoes: tuple[str, ...]
    gates_failed: tuple[str, ...]
    open_items: tuple[str, ...]
    failed: tuple[str, ...]
    answered: int
    applicable: int
    refusals: tuple[str, ...] = ()
    missing_evidence: tuple[str, ...] = ()
    advisory_failed: tuple[str, ...] = ()
    unexplained: tuple[str, ...] = ()
    rule: str = "all"  # "all": every requirement; "score": the checklist's score rule

    @property
    def verdict_label(self) -> str:
        """The verdict in Chinese."""
        return VERDICT_LABELS[self.verdict]


def evaluate(spec: ChecklistSpec, answers: Mapping[str, Any], *, tier: str | None,
             site_type: str | None, notes: Mapping[str, str] | None = None) -> Outcome:
    """Judge the answers against the checklist for one tier and site type.

    Without a score rule (`pass_score`) the verdict passes only when every applicable mandatory
    requirement is met ("逐项落实"); the score is information. `notes` are the inspector's notes,
    which explain a failed advisory requirement.
    """
    notes = notes or {}
    judgements = {}
    t = _Tally()
    for item in spec.items():
        j = judge(item, answers.get(item.id), tier=tier, site_type=site_type)
        judgements[item.id] = j
        if item.applies(tier, site_type):
            t.add(item, j, tier=tier, note=notes.get(item.id))
    score = round(100.0 * t.earned / t.possible, 2) if t.possible else None
    rule = "all" if spec.pass_score is None else "score"
    return Outcome(tier, score, _verdict(t, score, rule, spec.pass_score), judgements, tuple(t.vetoes),
                   tuple(t.gates), tuple(t.open_items), tuple(t.failed), t.answered, t.applicable,
                   tuple(t.refusals), tuple(t.missing), tuple(t.advisory), tuple(t.unexplained), rule)


@dataclass
class _Tally:
    """What the applicable items add up to so far: points, counts and the ids of each kind of failure."""

    earned: int = 0
    possible: int = 0
    answered: int = 0
    applicable: int = 0
    vetoes: list[str] = field(default_factory=list)
    gates: list[str] = field(default_factory=list)
    open_items: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    advisory: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    def add(self, item: Item, j: Judgement, *, tier: str | None, note: str | None) -> None:
        """Count one applicable item's judgement (`note`: the inspector's note on it, explaining an advisory fail)."""
        self.applicable += 1
        force = item.force(tier)
        if j.result != OPEN:
            self.answered += 1
        if j.result == OPEN and force != "optional" and (item.weight > 0 or item.gate or item.is_critical(tier)):
            self.open_items.append(item.id)
        if j.result == FAIL and force == "advisory":
            self.advisory.append(item.id)
            if not (note or "").strip():
                self.unexplained.append(item.id)
        elif j.result == FAIL and force == "mandatory":
            self._fail(item, tier)
        if item.gate or item.kind == "text" or j.result == NA or force == "optional":
            return
        self.possible += weight_units(item)
        if j.result == PASS:
            self.earned += weight_units(item)

    def _fail(self, item: Item, tier: str | None) -> None:
        """A binding requirement not met, filed by what it does to the verdict."""
        self.failed.append(item.id)
        if item.gate:
            self.gates.append(item.id)
        elif item.consequence == "refuse":
            self.refusals.append(item.id)
        elif item.consequence == "evidence":
            self.missing.append(item.id)
        elif item.is_critical(tier):
            self.vetoes.append(item.id)


def _verdict(t: _Tally, score: float | None, rule: str, pass_score: float | None) -> str:
    """The verdict, in the order verdicts are decided."""
    if t.gates:
        return INELIGIBLE
    if t.refusals:
        return REFUSED
    if t.vetoes:
        return VETOED
    if t.open_items or t.unexplained or t.answered == 0 or (rule == "score" and score is None):
        return INCOMPLETE  # nothing judged yet is not a pass
    if t.missing or (rule == "all" and t.failed) or (rule == "score" and score < pass_score):
        return FAILED
    return PASSED


@dataclass(frozen=True)
class Rectification:
    """One item to fix: what the standard requires, what was found, where it is written."""

    item_id: str
    text: str
    requirement: str
    finding: str
    shortfall: float | None
    source: str
    critical: bool


def rectifications(spec: ChecklistSpec, outcome: Outcome, *, site_type: str | None) -> list[Rectification]:
    """The failed items of an outcome, critical first, in checklist order."""
    out = []
    for item_id in outcome.failed:
        item = spec.by_id[item_id]
        j = outcome.judgements[item_id]
        out.append(Rectification(item_id, item.text, item.describe_rule(outcome.tier, site_type),
                                 j.detail or RESULT_LABELS[FAIL], j.shortfall, item.source,
                                 item.is_critical(outcome.tier) or item.gate))
    return sorted(out, key=lambda r: not r.critical)
