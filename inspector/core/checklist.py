"""Checklist schema and loader: YAML files in, validated immutable specs out.

A bad file is reported with its file name, line, item id and what is wrong; `load_dir`
collects every problem of every file before it raises, so one run shows them all.
"""
from __future__ import annotations


import hashlib
import json
import re
import sys
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError,
                      ValidationInfo, field_validator, model_validator)

from . import rules, units

CONSEQUENCES = ("unmet", "evidence", "refuse")  # what a failed mandatory item does to the decision
KINDS = ("check", "measure", "dimensions", "count", "rate", "choice", "text", "document")
PURPOSES = ("self_assessment", "inspection", "completion_acceptance", "red_landmark", "micro_project")
SITE_TYPES = ("village", "community")
ID_RE = r"^[a-z0-9][a-z0-9._-]*$"
SOURCE_RE = re.compile(r"^(\d{3}_[0-9a-f]{16}\.txt) › \S.*$")
SEEDS = {  # the Chinese originals every clause is cited from (shared/seeds/)
    "000_7a80efa72703d9ff.txt": "荷花街道“党员微服务、群众大满意”活动实施方案（2023）",
    "001_ce2f6b89bf5be0ba.txt": "“党建+网格+微小事”工作机制",
    "002_a83f9f6db4fc39eb.txt": "党群服务中心建设标准（篇一至篇六）",
    "003_f5bd2b5e7d78f097.txt": "党群服务中心服务项目化管理",
    "004_540c324c00d562d2.txt": "在职党员到社区报到服务",
}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Id = Annotated[str, Field(pattern=ID_RE, max_length=80)]
Text = Annotated[str, Field(min_length=1)]


def _check_source(value: str) -> str:
    """A source names a seed file and a clause: `002_a83f9f6db4fc39eb.txt › 篇五 5.4`."""
    m = SOURCE_RE.match(value)
    if not m:
        raise ValueError(f"source 应形如 \"002_a83f9f6db4fc39eb.txt › 篇五 5.4\"（种子文件名 › 条款），而不是 {value!r}")
    if m.group(1) not in SEEDS:
        raise ValueError(f"source 中的文件 {m.group(1)!r} 不是已知的标准原文（{', '.join(sorted(SEEDS))}）")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Evidence(_Strict):
    """Evidence an item needs: photos, and whether their position is recorded."""

    photos: int = Field(0, ge=0, le=20)
    position: bool = False


class Option(_Strict):
    """One answer of a choice item; `pass` says whether choosing it passes the item."""

    value: Id
    label: Text
    passes: bool = Field(alias="pass")


class Item(_Strict):
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

    _source = field_validator("source")(classmethod(lambda cls, v: _check_source(v)))

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


class Section(_Strict):
    """A group of items, as the source groups them."""

    id: Id
    title: Text
    items: tuple[Item, ...] = Field(min_length=1)


class Tier(_Strict):
    """A build tier and the subsidy it earns."""

    id: Id
    name: Text
    subsidy: int = Field(ge=0)
    source: str
    _source = field_validator("source")(classmethod(lambda cls, v: _check_source(v)))


class Party(_Strict):
    """A party who must sign; `each` means every member of that group signs."""

    id: Id
    name: Text
    each: bool = False


class Signatures(_Strict):
    """Who must sign for the result to stand."""

    rule: Text
    parties: tuple[Party, ...] = Field(min_length=1)
    source: str
    _source = field_validator("source")(classmethod(lambda cls, v: _check_source(v)))


class Parameter(_Strict):
    """A named, cited number a program uses (limits, periods)."""

    id: Id
    text: Text
    value: float
    unit: str
    source: str
    note: str | None = None
    _source = field_validator("source")(classmethod(lambda cls, v: _check_source(v)))

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in units.ALL and value != "%":
            raise ValueError(f"未知单位 {value!r}")
        return value


class ChecklistSpec(_Strict):
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
    _source = field_validator("source")(classmethod(lambda cls, v: _check_source(v)))

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


# ---------------------------------------------------------------- loading with line numbers

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


_PYDANTIC_WORDS = {
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


def _lines(node: yaml.Node, path: tuple = (), out: dict | None = None, dups: list | None = None):
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
            _lines(value_node, path + (key,), out, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _lines(child, path + (i,), out, dups)
    return out, dups


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


def _line_for(lines: dict, path: tuple) -> int | None:
    """The line of the deepest known prefix of a path."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _message(err: dict) -> str:
    """A pydantic error in words an editor of the file understands."""
    field = ".".join(str(p) for p in err["loc"][-2:] if not isinstance(p, int)) or "内容"
    if err["type"] == "value_error":
        return f"{field}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "literal_error":
        allowed = err.get("ctx", {}).get("expected", "")
        return f"{field}: 取值 {err.get('input')!r} 无效（可选：{allowed}）"
    word = _PYDANTIC_WORDS.get(err["type"], err["msg"])
    return f"{field}: {word}"


def parse_text(text: str, file: str) -> ChecklistSpec:
    """Parse and validate one checklist's YAML text; raise ChecklistError with every problem."""
    try:
        loader = _Loader(text)
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
        raise ChecklistError([Problem(file, 1, None, "文件应为一个清单（YAML 映射），以 id、title、sections 开头")])
    lines, dups = _lines(node)
    problems = [Problem(file, line, _item_at(data, path), f"重复的键 {path[-1]!r}") for path, line in dups]
    spec = None
    try:
        spec = ChecklistSpec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        for err in errors:
            path = tuple(err["loc"])
            deeper = any(len(o["loc"]) > len(path) and tuple(o["loc"][:len(path)]) == path for o in errors)
            if err["type"] == "too_short" and deeper:
                continue  # the list is only empty because its entries failed; those are reported
            problems.append(Problem(file, _line_for(lines, path), _item_at(data, path), _message(err)))
    problems += _cross_checks(data, lines, file)
    if problems:
        raise ChecklistError(sorted(problems, key=lambda p: p.line or 0))
    return spec


def _as_list(value: Any) -> list:
    """A YAML value as a list (a scalar becomes one entry; junk becomes empty)."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, (bool, dict)) else [value]


def _cross_checks(data: dict, lines: dict, file: str) -> list[Problem]:
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
    specs: dict[str, ChecklistSpec] = {}
    problems: list[Problem] = []
    files = sorted(Path(folder).glob("*.yaml"))
    if not files:
        raise ChecklistError([Problem(str(folder), None, None, "没有找到任何清单文件（*.yaml）")])
    for path in files:
        try:
            spec = load_file(path)
        except ChecklistError as exc:
            problems += exc.problems
            continue
        if spec.id in specs:
            problems.append(Problem(str(path), 1, None, f"清单 id {spec.id!r} 与其他文件重复"))
        specs[spec.id] = spec
    if problems:
        raise ChecklistError(problems)
    return specs


def main(argv: list[str]) -> int:
    """Validate the files or folders given; print every problem; exit 1 if any."""
    targets = argv or ["checklists"]
    problems: list[Problem] = []
    count = 0
    for target in targets:
        try:
            if Path(target).is_dir():
                count += len(load_dir(target))
            else:
                load_file(target)
                count += 1
        except ChecklistError as exc:
            problems += exc.problems
    for p in problems:
        print(p)
    if problems:
        print(f"共 {len(problems)} 个问题")
        return 1
    print(f"{count} 个清单全部有效")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
