"""A checklist item: what an inspector checks, measures or counts, its rule per tier and site type,
and how binding it is (mandatory, advisory in the source's own words, optional). Pure."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from .. import rules, units
from .cited import Id, Strict, Text, check_source

CONSEQUENCES = ("unmet", "evidence", "refuse")  # what a failed mandatory item does to the decision
KINDS = ("check", "measure", "dimensions", "count", "rate", "choice", "text", "document")


class Evidence(Strict):
    """Evidence an item needs: photos, and whether their position is recorded."""

    photos: int = Field(0, ge=0, le=20)
    position: bool = False


class Option(Strict):
    """One answer of a choice item; `pass` says whether choosing it passes the item."""

    value: Id
    label: Text
    passes: bool = Field(alias="pass")


class Item(Strict):
    """One thing an inspector checks, measures or counts."""

    id: Id
    text: Text
    text_en: str | None = None
    kind: Literal[KINDS]  # type: ignore[valid-type]
    unit: str | None = None
    options: tuple[Option, ...] | None = None
    dimension_labels: tuple[str, str] = ("宽", "高")
    rule: str | dict[str, str] | None = None
    weight: float = Field(1.0, ge=0, le=100)
    critical: bool | tuple[str, ...] = False
    gate: bool = False
    evidence: Evidence = Evidence()
    applies_to: Literal["village", "community", "both"] = "both"
    tiers: tuple[str, ...] | None = None
    advisory: str | dict[str, str] | None = None
    # None when absent, so the snapshots stored before these fields existed keep their content hash
    optional: bool | None = None
    consequence: Literal[CONSEQUENCES] | None = None  # type: ignore[valid-type]  # None: "unmet"
    source: str
    # who set the band of a `… about N ± t` rule where the source says only “左右”
    tolerance_source: str | None = None
    note: str | None = None
    _rules: dict[str, rules.Rule] = PrivateAttr(default_factory=dict)

    _source = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @field_validator("unit")
    @classmethod
    def _unit_fits_kind(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if value is not None and value not in units.ALL:
            raise ValueError(f"未知单位 {value!r}（可用：{', '.join(sorted(units.ALL))}）")
        if kind == "measure" and value not in units.MEASURE:
            raise ValueError(f"measure 条目需要测量单位（面积、长度、金额、时间），而不是 {value!r}")
        if kind == "dimensions" and value not in units.LENGTH:
            raise ValueError(f"dimensions 条目需要长度单位（m、cm、mm），而不是 {value!r}")
        if kind == "count" and value is not None and value not in units.COUNT:
            raise ValueError(f"count 条目的单位应为计数单位（如 households、rooms），而不是 {value!r}")
        if kind in ("check", "document", "choice", "text", "rate") and value is not None:
            raise ValueError(f"{kind} 条目不设单位")
        return value

    @field_validator("options")
    @classmethod
    def _options_fit_kind(cls, value, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind == "choice":
            if not value or len(value) < 2:
                raise ValueError("choice 条目至少需要两个 options")
            if not any(o.passes for o in value):
                raise ValueError("choice 条目至少要有一个 pass: true 的选项")
            if len({o.value for o in value}) != len(value):
                raise ValueError("options 的 value 有重复")
        elif value is not None:
            raise ValueError(f"{kind} 条目不设 options")
        return value

    @field_validator("rule")
    @classmethod
    def _rule_parses(cls, value, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind is None or ("unit" not in info.data and kind in ("measure", "dimensions", "count")):
            return value  # kind or unit already reported
        needs_rule = kind in ("measure", "dimensions", "count", "rate")
        if not needs_rule:
            if value is not None:
                raise ValueError(f"{kind} 条目不设 rule")
            return value
        if value is None:
            raise ValueError(f"{kind} 条目需要 rule")
        texts = value if isinstance(value, dict) else {"default": value}
        if not texts:
            raise ValueError("rule 不能为空")
        for key, text in texts.items():
            _check_rule_key(key)
            try:
                rules.parse(text, kind=kind, unit=info.data.get("unit"))
            except rules.RuleError as exc:
                prefix = "" if key == "default" else f"[{key}] "
                raise ValueError(prefix + str(exc)) from None
        return value

    @model_validator(mode="after")
    def _parse_rules(self) -> "Item":
        if self.kind == "text" and self.weight != 0:
            raise ValueError("text 条目只记录不计分，weight 应为 0")
        if self.gate and self.critical:
            raise ValueError("gate 条目不再设 critical（前置条件不满足即不具备资格）")
        self._check_force()
        if self.rule is not None:
            texts = self.rule if isinstance(self.rule, dict) else {"default": self.rule}
            self._rules = {k: rules.parse(t, kind=self.kind, unit=self.unit) for k, t in texts.items()}
        self._bind_tolerance_source()
        return self

    def _bind_tolerance_source(self) -> None:
        """A “左右” rule says who set its band (`tolerance_source`), and only such a rule does."""
        abouts = [k for k, r in self._rules.items() if isinstance(r, rules.About)]
        source = (self.tolerance_source or "").strip()
        if abouts and not source:
            raise ValueError("“左右”规则（about）须写 tolerance_source：允许偏差由谁设定、依据什么")
        if source and not abouts:
            raise ValueError("tolerance_source 只用于“左右”规则（about）")
        for key in abouts:
            self._rules[key] = replace(self._rules[key], tolerance_by=source)

    def _check_force(self) -> None:
        """Advisory wording is the source's own; optional and advisory items decide nothing alone."""
        if self.advisory is not None:
            words = self.advisory if isinstance(self.advisory, dict) else {"default": self.advisory}
            if not words or any(not str(w).strip() for w in words.values()):
                raise ValueError("advisory 应写出原文的弱化措辞（如“一般应”）")
            if isinstance(self.advisory, str) and self.advisory not in self.text:
                raise ValueError(f"advisory 措辞 {self.advisory!r} 不在条目原文 text 中（弱化须出自原文）")
            if self.gate or self.optional:
                raise ValueError("gate / optional 条目不再设 advisory")
            for key in words:
                _check_rule_key(key)
                if key != "default" and self.is_critical(key) or key == "default" and self.critical:
                    raise ValueError(f"条目对 {key} 既是 advisory 又是 critical")
        if self.optional and (self.critical or self.gate):
            raise ValueError("optional（选设，只记录）条目不设 critical 或 gate")
        if self.consequence not in (None, "unmet") and (self.optional or self.advisory is not None):
            raise ValueError(f"consequence: {self.consequence} 的条目必须是必备要求（不能 advisory / optional）")

    def force(self, tier: str | None) -> str:
        """`mandatory`, `advisory` (the source softens it) or `optional` (recorded only) at a tier."""
        if self.optional:
            return "optional"
        return "advisory" if self.softened_by(tier) else "mandatory"

    def softened_by(self, tier: str | None) -> str | None:
        """The source's softening words for this tier ("一般应"), or None when binding."""
        if self.advisory is None:
            return None
        if isinstance(self.advisory, str):
            return self.advisory
        return self.advisory.get(tier or "") or self.advisory.get("default")

    def rule_for(self, tier: str | None, site_type: str | None) -> rules.Rule | None:
        """The rule that applies to a tier and site type (most specific key wins)."""
        if not self._rules:
            return None
        for key in (f"{tier}/{site_type}", tier, site_type, "default"):
            if key and key in self._rules:
                return self._rules[key]
        return None

    def rule_keys(self) -> tuple[str, ...]:
        """The tier / site-type keys the rule is given for."""
        return tuple(self._rules)

    def applies(self, tier: str | None, site_type: str | None) -> bool:
        """Whether the item is part of an inspection of this tier and site type."""
        if site_type and self.applies_to not in ("both", site_type):
            return False
        if tier and self.tiers is not None and tier not in self.tiers:
            return False
        if self._rules and self.rule_for(tier, site_type) is None:
            return False
        return True

    def is_critical(self, tier: str | None) -> bool:
        """Whether a fail of this item vetoes the verdict at this tier."""
        if isinstance(self.critical, bool):
            return self.critical
        return tier in self.critical

    def describe_rule(self, tier: str | None = None, site_type: str | None = None) -> str:
        """The rule in plain words for a tier and site type; the check's wording otherwise."""
        rule = self.rule_for(tier, site_type)
        if rule is not None:
            return rule.describe()
        if self.kind == "choice":
            return "应为：" + "、".join(o.label for o in self.options or () if o.passes)
        return {"check": "应符合", "document": "资料应齐全", "text": "记录"}.get(self.kind, "")


def _check_rule_key(key: str) -> None:
    """A rule key is a tier, a site type, `tier/type` or `default`."""
    if not re.match(r"^[a-z0-9_-]+(/(village|community))?$", key):
        raise ValueError(f"rule 的键 {key!r} 无效，应为等级、village、community、\"等级/类型\" 或 default")
