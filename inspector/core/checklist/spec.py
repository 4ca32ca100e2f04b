"""A checklist: sections of items, tiers, signatures, parameters; immutable, identified by its
content hash. Pure."""
from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .. import units
from .cited import Id, Strict, Text, check_source
from .items import Item

PURPOSES = ("self_assessment", "inspection", "completion_acceptance", "red_landmark", "micro_project")
SITE_TYPES = ("village", "community")


class Section(Strict):
    """A group of items, as the source groups them."""

    id: Id
    title: Text
    items: tuple[Item, ...] = Field(min_length=1)


class Tier(Strict):
    """A build tier and the subsidy it earns."""

    id: Id
    name: Text
    subsidy: int = Field(ge=0)
    source: str
    _source = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Party(Strict):
    """A party who must sign; `each` means every member of that group signs."""

    id: Id
    name: Text
    each: bool = False


class Signatures(Strict):
    """Who must sign for the result to stand."""

    rule: Text
    parties: tuple[Party, ...] = Field(min_length=1)
    source: str
    _source = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Parameter(Strict):
    """A named, cited number a program uses (limits, periods)."""

    id: Id
    text: Text
    value: float
    unit: str
    source: str
    note: str | None = None
    _source = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in units.ALL and value != "%":
            raise ValueError(f"未知单位 {value!r}")
        return value


class ChecklistSpec(Strict):
    """One checklist: the standard as data. Immutable; identified by its content hash."""

    id: Id
    title: Text
    title_en: str | None = None
    version: Text
    source: str
    purposes: tuple[Literal[PURPOSES], ...] = Field(min_length=1)  # type: ignore[valid-type]
    site_types: tuple[Literal[SITE_TYPES], ...] = SITE_TYPES  # type: ignore[valid-type]
    pass_score: float | None = Field(None, ge=0, le=100)  # a county's score rule; absent: every requirement
    pass_score_source: str | None = None
    tiers: tuple[Tier, ...] = ()
    signatures: Signatures | None = None
    parameters: tuple[Parameter, ...] = ()
    sections: tuple[Section, ...] = Field(min_length=1)
    _source = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _score_rule_cited(self) -> "ChecklistSpec":
        if self.pass_score is not None and not (self.pass_score_source or "").strip():
            raise ValueError("设了 pass_score（分数规则）就要写 pass_score_source：这条规则出自哪里")
        if self.pass_score is None and self.pass_score_source:
            raise ValueError("pass_score_source 只跟随 pass_score 使用")
        return self

    @property
    def decision_rule(self) -> str:
        """The rule the checklist's verdict follows, in words (printed on every report)."""
        if self.pass_score is None:
            return "逐项落实：每一项适用的必备要求均须符合；原文弱化的要求（如“一般应”）未符合的须有检查人员说明；得分仅供参考"
        return (f"得分不低于 {self.pass_score:g} 分且无一票否决项（{self.pass_score_source}）；"
                "验收资料缺失或擅自变更设计的不予通过")

    def items(self) -> list[Item]:
        """Every item in order."""
        return [item for section in self.sections for item in section.items]

    @cached_property
    def by_id(self) -> dict[str, Item]:
        """Items by id."""
        return {item.id: item for item in self.items()}

    def tier(self, tier_id: str | None) -> Tier | None:
        """A tier by id, or None."""
        return next((t for t in self.tiers if t.id == tier_id), None)

    def parameter(self, parameter_id: str) -> Parameter:
        """A parameter by id (KeyError if absent)."""
        for p in self.parameters:
            if p.id == parameter_id:
                return p
        raise KeyError(parameter_id)

    def snapshot(self) -> dict[str, Any]:
        """The spec as plain JSON data, enough to rebuild it exactly."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the canonical JSON snapshot: same content, same hash."""
        canonical = json.dumps(self.snapshot(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> "ChecklistSpec":
        """Rebuild a spec stored at inspection start."""
        return cls.model_validate(data)
