"""A program definition as data: steps, approval bands, limits, notices, fund, stages, parameters. Pure."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..checklist.cited import Id, Strict, Text, check_source

KINDS = ("micro_project", "red_landmark", "build_acceptance")
ROLES = ("village", "township", "county_reviewer", "city_reviewer", "inspector", "contractor")
SIZES = ("large", "small", "any")
MEASURES = ("item_budget", "year_total", "year_count")
NOTICE_KINDS = ("micro_plan", "micro_item", "micro_completion", "red_landmark_result")
SETTING = "county_setting"  # a period the source does not give: a county setting, said so on screen


def _cited(value: str | None) -> str | None:
    """A seed citation (or None)."""
    return None if value is None else check_source(value)


class Period(Strict):
    """How long a step or notice runs: days, in working or calendar days, from what; who set the number."""

    days: int = Field(ge=1, le=365)
    unit: Literal["working_days", "calendar_days"]
    starts: Text
    at_least: bool = False                   # “不少于”: a minimum, a longer period is allowed
    source: str | None = None                # the clause giving the number; None = a county setting
    setting: bool = False                    # True: the source gives no number (county setting)
    _src = field_validator("source")(classmethod(lambda cls, v: _cited(v)))

    @model_validator(mode="after")
    def _sourced_or_setting(self) -> "Period":
        if (self.source is None) == (not self.setting):
            raise ValueError("period 要么写 source（原文给出的天数），要么写 setting: true（原文未给出，由县级设定）")
        return self

    def words(self) -> str:
        """“不少于5个工作日（自…起）”."""
        unit = "个工作日" if self.unit == "working_days" else "天"
        least = "不少于" if self.at_least else ""
        who = "（县级设定，原文未规定期限）" if self.setting else ""
        return f"{least}{self.days}{unit}，自{self.starts}起{who}"


class Step(Strict):
    """One step: its id, the role that owns it, its name in the source's words, optional period."""

    id: Id
    role: Literal[ROLES]  # type: ignore[valid-type]
    label: Text
    source: str
    period: Period | None = None
    sets_amount: bool = False        # the step sets the approved funds (000 二 2: 按标准核定项目经费)
    note: str | None = None
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Band(Strict):
    """An amount band of the approval chain: [from_yuan, below_yuan) and its ordered steps."""

    id: Id
    label: Text
    from_yuan: Decimal = Field(Decimal(0), ge=0)
    below_yuan: Decimal | None = None
    steps: tuple[Step, ...] = Field(min_length=1)
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    def holds(self, fen: int) -> bool:
        """Whether an amount in fen falls in this band."""
        low = int(self.from_yuan * 100)
        return fen >= low and (self.below_yuan is None or fen < int(self.below_yuan * 100))

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)


class Approval(Strict):
    """Who approves a project: bands by amount (one band with no bounds when the scheme has one chain)."""

    bands: tuple[Band, ...] = Field(min_length=1)
    edges: str | None = None    # how the source's band edges are read, when it is ambiguous
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _cover(self) -> "Approval":
        bands = sorted(self.bands, key=lambda b: b.from_yuan)
        if bands[0].from_yuan != 0:
            raise ValueError("审批分档应从 0 元起")
        for a, b in zip(bands, bands[1:]):
            if a.below_yuan != b.from_yuan:
                raise ValueError(f"审批分档 {a.id} 与 {b.id} 不衔接（{a.below_yuan} ≠ {b.from_yuan}）")
        if bands[-1].below_yuan is not None:
            raise ValueError(f"最高一档 {bands[-1].id} 不应设 below_yuan（不设上限）")
        return self


class Override(Strict):
    """Who may override a limit written “原则上”, in what words; a reason is always recorded."""

    role: Literal[ROLES]  # type: ignore[valid-type]
    label: Text
    wording: Text
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Limit(Strict):
    """A yearly or per-item limit of a village, with the source's force."""

    id: Id
    label: Text
    size: Literal[SIZES]  # type: ignore[valid-type]
    measure: Literal[MEASURES]  # type: ignore[valid-type]
    max: Decimal = Field(ge=0)            # yuan for amounts, a count for year_count
    force: Literal["hard", "as_a_rule"]
    wording: Text                          # the source's own words
    override: Override | None = None
    source: str
    note: str | None = None
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _override_fits_force(self) -> "Limit":
        if self.force == "as_a_rule" and self.override is None:
            raise ValueError("“原则上”的限额（force: as_a_rule）需写明 override：由谁、依据什么统筹调剂")
        if self.force == "hard" and self.override is not None:
            raise ValueError("硬性限额（force: hard）不设 override")
        return self


class Notice(Strict):
    """A public notice the scheme asks for: when, for how long, with what, and what waits for it."""

    id: Id
    kind: Literal[NOTICE_KINDS]  # type: ignore[valid-type]
    label: Text
    when: Text                                # the source's words: “事项确定后”, “项目完成后”
    period: Period
    contents: tuple[Text, ...] = ()
    photos: tuple[Literal["before", "after"], ...] = ()
    gates: Literal["start", "acceptance"]     # what cannot happen before the notice (and its end)
    wait_for_end: bool = True                 # the gated action waits for the period's end
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Fund(Strict):
    """The micro-service fund each member controls (000 二 1)."""

    per_member_yuan: Decimal = Field(gt=0)
    holders: tuple[Literal["party_member", "representative"], ...] = Field(min_length=1)
    wording: Text
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Stage(Strict):
    """Acceptance or evaluation: who leads it, in the source's words, and whether it is required."""

    required: bool = True
    led_by: Text
    wording: Text
    source: str
    checklist: Id | None = None   # acceptance: the checklist its inspection is walked on (micro projects)
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


class Plaque(Strict):
    """The project plaque: size, material, wordings, issuer."""

    width_cm: Decimal = Field(gt=0)
    height_cm: Decimal = Field(gt=0)
    material: Text
    wordings: tuple[Text, ...] = Field(min_length=1)
    issuer: Text
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


FORM_IDS = ("application", "notice", "acceptance", "plaque")  # the print forms the app can fill (web/reports)


class Form(Strict):
    """A form the scheme attaches (附件), as it prints: its heading line (the scheme's name) and title."""

    heading: Text
    title: Text
    source: str
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))


_ABOUT = ("about", "at_least_about")  # a source's “左右”, kept with its tolerance


class Parameter(Strict):
    """A cited number a program uses; `tolerance` keeps a source's “左右” (about) explicit."""

    id: Id
    value: Decimal
    unit: Text
    wording: Text
    compare: Literal["at_least", "at_most", "about", "at_least_about", "top_share"]
    tolerance: Decimal | None = None           # for `about`: ± this much, a county setting
    tolerance_setting: bool = False
    source: str
    note: str | None = None
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _about_has_tolerance(self) -> "Parameter":
        if self.compare in _ABOUT and (self.tolerance is None or not self.tolerance_setting):
            raise ValueError("“左右”（compare: about）需写明 tolerance（允许偏差）并标明 tolerance_setting: true"
                             "（原文未给出偏差，由县级设定）")
        if self.compare not in _ABOUT and self.tolerance is not None:
            raise ValueError("只有 compare: about 才设 tolerance")
        return self

    def holds(self, value: float) -> bool:
        """Whether a value meets this parameter (about: within ± tolerance; top_share: rank share)."""
        v, target = Decimal(str(value)), self.value
        if self.compare == "at_least":
            return v >= target
        if self.compare == "at_most":
            return v <= target
        if self.compare == "about":
            return abs(v - target) <= self.tolerance
        if self.compare == "at_least_about":  # “能满足 100 名左右…需求”: more meets it, less by ≤ tolerance
            return v >= target - self.tolerance
        raise ValueError("top_share 用 top_share_holds(rank, total)")

    def top_share_holds(self, rank: int, total: int) -> bool:
        """Rank r of n is within the top `value` percent: r ≤ n × value / 100 (exact)."""
        return total > 0 and 1 <= rank <= total and Decimal(rank) * 100 <= self.value * total

    def words(self) -> str:
        """The rule in words, with the source's wording."""
        return f"“{self.wording}”"


class ProgramSpec(Strict):
    """One program definition file."""

    id: Id
    kind: Literal[KINDS]  # type: ignore[valid-type]
    title: Text
    locality: Text
    version: Text
    source: str
    fund: Fund | None = None
    approval: Approval | None = None
    limits: tuple[Limit, ...] = ()
    notices: tuple[Notice, ...] = ()
    steps: tuple[Step, ...] = ()
    documents: tuple[Text, ...] = ()
    acceptance: Stage | None = None
    evaluation: Stage | None = None
    plaque: Plaque | None = None
    forms: dict[Literal[FORM_IDS], Form] = {}  # type: ignore[valid-type]  # only the forms the scheme attaches
    parameters: tuple[Parameter, ...] = ()
    emergency: str | None = None
    note: str | None = None
    _src = field_validator("source")(classmethod(lambda cls, v: check_source(v)))

    @model_validator(mode="after")
    def _fits_kind(self) -> "ProgramSpec":
        if self.kind == "micro_project":
            missing = [n for n in ("approval", "acceptance") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"微实事方案需要 {', '.join(missing)}")
            if self.steps:
                raise ValueError("微实事方案的审批环节写在 approval.bands 里，不设 steps")
            if self.acceptance.checklist is None:
                raise ValueError("微实事方案的 acceptance 需写 checklist：验收检查所用的清单 id")
        else:
            if not self.steps:
                raise ValueError(f"{self.kind} 程序需要 steps（环节、办理角色、期限）")
            if self.approval is not None or self.limits or self.fund is not None:
                raise ValueError(f"{self.kind} 程序不设 approval、limits、fund")
        return self

    # ------------------------------------------------------------ reading a micro-project scheme

    def band_for(self, budget_fen: int) -> Band:
        """The approval band of an amount."""
        return next(b for b in self.approval.bands if b.holds(budget_fen))

    def band(self, band_id: str) -> Band | None:
        """The band with this id, or None."""
        return next((b for b in self.approval.bands if b.id == band_id), None) if self.approval else None

    def notice(self, notice_id: str) -> Notice | None:
        """The notice with this id, or None."""
        return next((n for n in self.notices if n.id == notice_id), None)

    def notice_gating(self, action: str) -> Notice | None:
        """The notice that must come before an action (start / acceptance), if the scheme has one."""
        return next((n for n in self.notices if n.gates == action), None)

    def step(self, step_id: str) -> Step | None:
        """A procedure step (red landmark, build acceptance) by id."""
        return next((s for s in self.steps if s.id == step_id), None)

    def parameter(self, parameter_id: str) -> Parameter | None:
        """A parameter by id."""
        return next((p for p in self.parameters if p.id == parameter_id), None)

    @property
    def fund_per_member_fen(self) -> int | None:
        """The fund per member in fen (None: the scheme gives members no fund)."""
        return int(self.fund.per_member_yuan * 100) if self.fund else None
