"""Micro projects (微实事 / 微小事): the rules of application, routing, spending, notice and fund. Pure.

No Flask, no database. Every rule names its source clause in the seed texts of
/work/shared/seeds/ (the authority) both here and in the message a person reads:

- 000_7a80efa72703d9ff.txt  荷花街道“党员微服务、群众大满意”活动实施方案 (2023)
- 001_ce2f6b89bf5be0ba.txt  “党建+网格+微小事”工作实施方案
- 003_f5bd2b5e7d78f097.txt  区党群服务项目化管理工作方案

Money is integer fen (1/100 CNY) everywhere; amounts typed in forms are read exactly (Decimal).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from . import programs
from .errors import DomainError

SEED_000 = "000_7a80efa72703d9ff.txt"
SEED_001 = "001_ce2f6b89bf5be0ba.txt"
SEED_003 = "003_f5bd2b5e7d78f097.txt"
SRC_FUND = f"{SEED_000} › 二、活动步骤 1"            # 每名党员、村（居）民代表……200元额度
SRC_FORM = f"{SEED_000} › 附件1"                     # 项目申报表
SRC_COMPLETION_NOTICE = f"{SEED_000} › 二、活动步骤 4"  # 不少于5个工作日的公示
SRC_NOTICE_FORM = f"{SEED_000} › 附件2"              # 项目完成情况公示
SRC_SPENDING = f"{SEED_000} › 三、活动要求 3"          # 专项经费只能用于……购买原材料
SRC_QUOTA = f"{SEED_001} › 二、实施内容 5"             # “1+N”
SRC_ROUTING = f"{SEED_001} › 二、实施内容 7"           # 分级确定、即报即审
SRC_EVALUATION = f"{SEED_001} › 二、实施内容 7"        # 先验收、后评价；公众满意度测评
SRC_PLAN_NOTICE = f"{SEED_003} › 三、主要措施 (二)"     # 项目计划公示不少于5个工作日


def yuan(amount: int) -> int:
    """Fen in a whole number of yuan."""
    return amount * 100


MIN_HOUSEHOLDS = 5                        # 000 附件1: 服务项目关联群众户签名（不少于5户群众）
# Fund per member, approval bands, yearly limits, notices and their periods are each program's
# data (checklists/programs/*.yaml, core/programs.py), not constants here.

SIZES = {"small": "微小事项（“N”）", "large": "相对较大事项（“1”）"}
MEMBER_KINDS = {"party_member": "党员", "representative": "村（居）民代表"}
CATEGORIES = {"materials": "材料", "wages": "劳务工资", "allowances": "补贴补助", "travel": "差旅考察"}

STATUS_LABELS = {
    "applied": "审批中", "rejected": "未通过", "approved": "已批准", "started": "实施中",
    "noticed": "完工公示中", "accepting": "验收中", "evaluated": "已评价", "archived": "已归档",
}
ACTION_LABELS = {
    "decide": "审批", "plan_notice": "发布立项公示", "start": "开工", "complete": "完工公示",
    "acceptance": "开始验收", "satisfaction": "登记满意度测评", "archive": "归档",
}
# Which status each action starts from.
TRANSITIONS = {
    "decide": ("applied",), "plan_notice": ("approved",), "start": ("approved",), "complete": ("started",),
    "acceptance": ("noticed", "accepting"), "satisfaction": ("accepting",), "archive": ("evaluated", "accepting"),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the form field it concerns, the rule in Chinese, the seed clause it comes from."""

    field: str
    rule: str
    source: str

    def __str__(self) -> str:
        return f"{self.rule}（依据：{self.source}）"

    def as_dict(self) -> dict[str, str]:
        """{field, rule, source}."""
        return asdict(self)


class MoneyError(DomainError):
    """An amount that is not a plain CNY amount with at most two decimals (a refusal read as typed: 422)."""

    status = 422


# ---------------------------------------------------------------- money

_MONEY = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")


def parse_money(text: str) -> int:
    """Fen from “12,345.67”, “12345”, “12345.6” (a trailing 元 is allowed); MoneyError otherwise."""
    s = (text or "").strip().replace("，", ",").replace("．", ".")
    s = s.removesuffix("元").strip()
    if not s:
        raise MoneyError("请填写金额")
    if not _MONEY.match(s):
        raise MoneyError(f"金额“{text.strip()}”格式不对，应写作 12345 或 12,345.67（元，最多两位小数）")
    try:
        return int(Decimal(s.replace(",", "")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise MoneyError(f"金额“{text.strip()}”格式不对") from None


def format_money(fen: int | None) -> str:
    """“12,345.67 元” from fen (two decimals always)."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d} 元"


# ---------------------------------------------------------------- routing (the program's approval chain)

@dataclass(frozen=True)
class Step:
    """One step of a route: its id, the role that owns it, what it is called, its period in working days."""

    id: str
    owner_role: str
    label: str
    working_days: int | None = None
    period_words: str = ""
    sets_amount: bool = False


@dataclass(frozen=True)
class Route:
    """Who decides a project of this amount, as ordered steps (a band of the program's approval chain)."""

    id: str
    label: str
    steps: tuple[Step, ...]
    source: str = SRC_ROUTING

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)

    def after(self, step_id: str) -> Step | None:
        """The step that follows `step_id`, or None when it is the last."""
        ids = [s.id for s in self.steps]
        i = ids.index(step_id)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None

    def snapshot(self) -> dict[str, Any]:
        """The route as stored with a project (a later change of the program file does not move it)."""
        return {"id": self.id, "label": self.label, "source": self.source, "steps": [asdict(s) for s in self.steps]}

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> "Route":
        """A stored route."""
        return cls(data["id"], data["label"], tuple(Step(**s) for s in data["steps"]), data.get("source", ""))


OVERRIDE_STEP = "township_override"


def route_of_band(band: programs.Band) -> Route:
    """A band of a program's approval chain as a route."""
    return Route(band.id, band.label, tuple(
        Step(s.id, s.role, s.label, s.period.days if s.period and s.period.unit == "working_days" else None,
             s.period.words() if s.period else "", s.sets_amount) for s in band.steps), band.source)


def route_for(budget_fen: int, program: programs.ProgramSpec) -> Route:
    """The approval route of a project by its budget, from the program's bands."""
    return route_of_band(program.band_for(budget_fen))


def with_override(route: Route, breaches: list["LimitBreach"]) -> Route:
    """The route with the override step first when a limit written “原则上” is exceeded."""
    if not breaches:
        return route
    b = breaches[0]
    step = Step(OVERRIDE_STEP, b.override_role, f"{b.override_label}：超出“原则上”限额，须说明统筹调剂理由",
                None, "")
    return Route(route.id, route.label, (step, *route.steps), route.source)


# ---------------------------------------------------------------- yearly limits (the program's, with their force)

@dataclass(frozen=True)
class YearItem:
    """A project already counted against the village's year."""

    name: str
    size: str
    budget_fen: int


@dataclass(frozen=True)
class LimitBreach:
    """A limit written “原则上” that an application exceeds: a warning a named role may override."""

    limit_id: str
    rule: str
    source: str
    override_role: str
    override_label: str
    override_wording: str
    override_source: str

    def as_dict(self) -> dict[str, str]:
        """Plain data (stored with the project)."""
        return asdict(self)


def check_quota(*, program: programs.ProgramSpec, size: str, budget_fen: int,
                others: Iterable[YearItem]) -> tuple[list[Problem], list[LimitBreach]]:
    """The program's limits: hard ones refuse (problems), “原则上” ones warn (breaches to override)."""
    refusals, warnings = [], []
    found = programs.check_limits(program, size=size, budget_fen=budget_fen,
                                  others=[(o.name, o.size, o.budget_fen) for o in others])
    for limit, words in found:
        field_ = "size" if limit.measure == "year_count" else "budget"
        if limit.force == "hard":
            refusals.append(Problem(field_, words, limit.source))
        else:
            o = limit.override
            warnings.append(LimitBreach(limit.id, words, limit.source, o.role, o.label, o.wording, o.source))
    return refusals, warnings


# ---------------------------------------------------------------- the application form (000 附件1)

@dataclass(frozen=True)
class Member:
    """A participating Party member or residents' representative."""

    name: str
    phone: str
    kind: str


@dataclass(frozen=True)
class Household:
    """A benefiting household and whether it signed the form."""

    name: str
    phone: str
    signed: bool


@dataclass(frozen=True)
class SpendingLine:
    """One line of the budget: what is bought, its category, how much."""

    item: str
    category: str
    amount_fen: int


@dataclass(frozen=True)
class Application:
    """A complete, valid application (every rule of the form already checked)."""

    name: str
    size: str
    lead_name: str
    lead_phone: str
    description: str
    scale: str
    expected_effect: str
    budget_fen: int
    fund_source: str
    start_date: date
    finish_date: date
    members: tuple[Member, ...]
    households: tuple[Household, ...]
    spending: tuple[SpendingLine, ...]
    emergency: bool = False


@dataclass
class Reading:
    """What a form said: the application when every rule holds, and every problem found."""

    application: Application | None
    problems: list[Problem] = field(default_factory=list)
    size: str | None = None
    budget_fen: int | None = None
    start_date: date | None = None


_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_SPACES = re.compile(r"[\s\u3000]+")
_SIGNED = {"已签": True, "已签名": True, "签": True, "未签": False, "未签名": False}
_KINDS = {"党员": "party_member", "代表": "representative", "村民代表": "representative",
          "居民代表": "representative", "村（居）民代表": "representative", "村(居)民代表": "representative"}
_CATEGORY_WORDS = {"材料": "materials", "原材料": "materials", "劳务": "wages", "工资": "wages", "劳务费": "wages",
                   "劳务工资": "wages", "人工费": "wages", "补贴": "allowances", "补助": "allowances",
                   "慰问": "allowances", "补贴补助": "allowances", "差旅": "travel", "考察": "travel",
                   "差旅考察": "travel", "外出学习": "travel"}
# 000 三 3: “劳务工资不在其中列支，……更不得用于发放补助慰问、组织外出学习等”
_REFUSED = {
    "wages": "原则上用工应组织党员群众无偿服务，劳务工资不在其中列支",
    "allowances": "更不得用于发放补助慰问",
    "travel": "更不得用于……组织外出学习等",
}
_REFUSED_WORDS = (("劳务", "wages"), ("工资", "wages"), ("工钱", "wages"), ("人工费", "wages"), ("误工", "wages"),
                  ("补贴", "allowances"), ("补助", "allowances"), ("慰问", "allowances"),
                  ("差旅", "travel"), ("考察", "travel"), ("外出学习", "travel"), ("旅游", "travel"))
LIMITS = {"name": 200, "lead_name": 64, "description": 4000, "scale": 400, "expected_effect": 1000,
          "fund_source": 200}
LABELS = {"name": "项目名称", "lead_name": "牵头党员（村居民代表）", "lead_phone": "联系电话",
          "description": "项目简介", "scale": "规模数量", "expected_effect": "预期效果", "budget": "经费预算",
          "fund_source": "经费来源", "start_date": "实施时间", "finish_date": "完成时间", "size": "事项类别",
          "members": "党员、村（居）民代表签名及电话", "households": "服务项目关联群众户签名",
          "spending": "经费预算明细"}


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines of a textarea as (line number, whitespace-separated tokens)."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        tokens = [t for t in _SPACES.split(line.strip()) if t]
        if tokens:
            out.append((n, tokens))
    return out


def valid_phone(phone: str) -> bool:
    """A mainland mobile (11 digits) or a landline with area code (0516-1234567)."""
    return bool(_PHONE.match(phone))


def _text(form: Mapping[str, str], name: str, problems: list[Problem], *, required: bool = True) -> str:
    """A trimmed text field; a problem when required and blank or when too long."""
    value = (form.get(name) or "").strip()
    if required and not value:
        problems.append(Problem(name, f"请填写“{LABELS[name]}”", SRC_FORM))
    elif len(value) > LIMITS.get(name, 10_000):
        problems.append(Problem(name, f"“{LABELS[name]}”不能超过 {LIMITS[name]} 字", SRC_FORM))
    return value


def _date(form: Mapping[str, str], name: str, problems: list[Problem]) -> date | None:
    """A date field (YYYY-MM-DD), or None with a problem."""
    raw = (form.get(name) or "").strip()
    if not raw:
        problems.append(Problem(name, f"请填写“{LABELS[name]}”", SRC_FORM))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(Problem(name, f"“{LABELS[name]}”应为日期（如 2026-05-01），填写的是“{raw}”", SRC_FORM))
        return None


def read_members(text: str) -> tuple[list[Member], list[Problem]]:
    """“姓名 电话 党员|村（居）民代表” per line (000 附件1: 党员、村（居）民代表签名及电话)."""
    members, problems, seen = [], [], {}
    for n, tokens in _rows(text):
        if len(tokens) < 3:
            problems.append(Problem("members", f"参与党员第 {n} 行应写作“姓名 电话 党员/村民代表”", SRC_FORM))
            continue
        name, phone, kind_word = " ".join(tokens[:-2]), tokens[-2], tokens[-1]
        kind = _KINDS.get(kind_word)
        if not valid_phone(phone):
            problems.append(Problem("members", f"参与党员第 {n} 行“{name}”的电话“{phone}”格式不对", SRC_FORM))
        if kind is None:
            problems.append(Problem("members", f"参与党员第 {n} 行“{name}”的身份“{kind_word}”应为“党员”或“村民代表”",
                                    SRC_FORM))
        if (name, phone) in seen:
            problems.append(Problem("members", f"参与党员第 {n} 行与第 {seen[(name, phone)]} 行重复", SRC_FORM))
        seen.setdefault((name, phone), n)
        if kind is not None and valid_phone(phone):
            members.append(Member(name[:64], phone, kind))
    if not members and not problems:
        problems.append(Problem("members", "请填写参与项目的党员、村（居）民代表姓名及电话", SRC_FORM))
    return members, problems


def read_households(text: str) -> tuple[list[Household], list[Problem]]:
    """“姓名 电话 已签|未签” per line; at least 5 households, each signed (000 附件1)."""
    households, problems, seen = [], [], {}
    for n, tokens in _rows(text):
        if len(tokens) < 3 or tokens[-1] not in _SIGNED:
            problems.append(Problem("households", f"群众户第 {n} 行应写作“户主姓名 电话 已签/未签”", SRC_FORM))
            continue
        name, phone, signed = " ".join(tokens[:-2]), tokens[-2], _SIGNED[tokens[-1]]
        ok = True
        if not valid_phone(phone):
            problems.append(Problem("households", f"群众户第 {n} 行“{name}”的电话“{phone}”格式不对", SRC_FORM))
            ok = False
        if not signed:
            problems.append(Problem("households", f"群众户第 {n} 行“{name}”未签名：关联群众户须本人签名", SRC_FORM))
            ok = False
        if (name, phone) in seen:
            problems.append(Problem("households", f"群众户第 {n} 行与第 {seen[(name, phone)]} 行重复", SRC_FORM))
            ok = False
        seen.setdefault((name, phone), n)
        if ok:
            households.append(Household(name[:64], phone, True))
    if len(households) < MIN_HOUSEHOLDS:
        problems.append(Problem("households", (f"服务项目关联群众户签名不少于{MIN_HOUSEHOLDS}户，"
                                               f"现有签名 {len(households)} 户"), SRC_FORM))
    return households, problems


def spending_problem(n: int, item: str, category: str, word: str | None = None) -> Problem:
    """The refusal of one spending line that pays for wages, allowances or trips (000 三 3)."""
    what = f"写有“{word}”" if word else f"类别为“{CATEGORIES[category]}”"
    return Problem("spending", (f"经费明细第 {n} 行“{item}”{what}：专项经费只能用于实事项目购买原材料等必要开支，"
                                f"{_REFUSED[category]}"), SRC_SPENDING)


def read_spending(text: str) -> tuple[list[SpendingLine], list[Problem]]:
    """“品名 类别 金额” per line; only materials may be paid from the fund (000 三 3)."""
    lines, problems = [], []
    for n, tokens in _rows(text):
        if len(tokens) < 3:
            problems.append(Problem("spending", f"经费明细第 {n} 行应写作“品名 类别 金额”，如“水泥 材料 1,200.00”",
                                    SRC_FORM))
            continue
        item, word, amount_text = " ".join(tokens[:-2]), tokens[-2], tokens[-1]
        category = _CATEGORY_WORDS.get(word)
        try:
            amount = parse_money(amount_text)
        except MoneyError as exc:
            problems.append(Problem("spending", f"经费明细第 {n} 行：{exc}", SRC_FORM))
            amount = None
        if category is None:
            problems.append(Problem("spending", f"经费明细第 {n} 行“{item}”的类别“{word}”不认识：专项经费只能用于购买原材料，类别写“材料”",
                                    SRC_SPENDING))
            continue
        if category != "materials":
            problems.append(spending_problem(n, item, category))
            continue
        found = next(((w, c) for w, c in _REFUSED_WORDS if w in item), None)
        if found:
            problems.append(spending_problem(n, item, found[1], found[0]))
            continue
        if amount is not None:
            if amount <= 0:
                problems.append(Problem("spending", f"经费明细第 {n} 行“{item}”的金额应大于 0", SRC_FORM))
            else:
                lines.append(SpendingLine(item[:200], category, amount))
    if not lines and not problems:
        problems.append(Problem("spending", "请填写经费预算明细（品名 类别 金额，每行一项）", SRC_FORM))
    return lines, problems


def read_application(form: Mapping[str, str]) -> Reading:
    """Read and check a whole application form; every problem is reported at once."""
    p: list[Problem] = []
    name = _text(form, "name", p)
    size = (form.get("size") or "").strip()
    if size not in SIZES:
        p.append(Problem("size", "请选择事项类别：相对较大事项（“1”）或微小事项（“N”）", SRC_QUOTA))
        size = None
    lead_name = _text(form, "lead_name", p)
    lead_phone = (form.get("lead_phone") or "").strip()
    if not lead_phone:
        p.append(Problem("lead_phone", "请填写牵头人的“联系电话”", SRC_FORM))
    elif not valid_phone(lead_phone):
        p.append(Problem("lead_phone", f"牵头人的联系电话“{lead_phone}”格式不对（手机 11 位，或 0516-1234567）", SRC_FORM))
    description = _text(form, "description", p)
    scale = _text(form, "scale", p)
    effect = _text(form, "expected_effect", p)
    fund_source = _text(form, "fund_source", p)
    budget = None
    try:
        budget = parse_money(form.get("budget") or "")
        if budget <= 0:
            p.append(Problem("budget", "经费预算应大于 0", SRC_FORM))
            budget = None
    except MoneyError as exc:
        p.append(Problem("budget", f"经费预算：{exc}", SRC_FORM))
    start, finish = _date(form, "start_date", p), _date(form, "finish_date", p)
    if start and finish and finish < start:
        p.append(Problem("finish_date", f"完成时间 {finish} 早于实施时间 {start}", SRC_FORM))
    members, mp = read_members(form.get("members") or "")
    households, hp = read_households(form.get("households") or "")
    spending, sp = read_spending(form.get("spending") or "")
    p += mp + hp + sp
    if budget is not None and spending and not sp:
        total = sum(s.amount_fen for s in spending)
        if total != budget:
            p.append(Problem("spending", f"经费预算明细合计 {format_money(total)}，与经费预算 {format_money(budget)} 不一致",
                             SRC_FORM))
    emergency = (form.get("emergency") or "") in ("1", "on", "true", "yes")
    application = None if p else Application(
        name=name, size=size, lead_name=lead_name, lead_phone=lead_phone, description=description, scale=scale,
        expected_effect=effect, budget_fen=budget, fund_source=fund_source, start_date=start, finish_date=finish,
        members=tuple(members), households=tuple(households), spending=tuple(spending), emergency=emergency)
    return Reading(application, p, size, budget, start)


# ---------------------------------------------------------------- notices (the program's periods)

def check_notice_days(notice: programs.Notice, working_days: int) -> list[Problem]:
    """A notice is posted at least its program's period (when the period is a minimum or fixed)."""
    least = notice.period.days
    if working_days < least:
        who = "（期限为县级设定，原文未规定）" if notice.period.setting else ""
        return [Problem("working_days", f"{notice.label}不少于{least}个工作日，填写的是 {working_days} 个工作日{who}",
                        notice.period.source or notice.source)]
    return []


def read_working_days(raw: str, notice: programs.Notice) -> tuple[int | None, list[Problem]]:
    """The posting period in working days from a form (default: the program's period)."""
    raw = (raw or "").strip()
    source = notice.period.source or notice.source
    if not raw:
        return notice.period.days, []
    if not raw.isdigit() or not 0 < int(raw) <= 60:
        return None, [Problem("working_days", f"公示天数应为 1–60 之间的整数（工作日），填写的是“{raw}”", source)]
    days = int(raw)
    return days, check_notice_days(notice, days)


@dataclass(frozen=True)
class Completion:
    """What the village reports at completion (000 附件2) and how long the notice is posted."""

    spent_fen: int
    details: str
    village_lead: str
    village_phone: str
    notice_start: date
    working_days: int
    supervisor: str = ""
    supervisor_phone: str = ""
    issuer: str = ""


def read_completion(form: Mapping[str, str], *, before: int, after: int, today: date,
                    notice: programs.Notice) -> tuple[Completion | None, list[Problem]]:
    """The completion form with its before/after photo counts (as the program's notice asks); every problem."""
    p: list[Problem] = []
    spent = None
    try:
        spent = parse_money(form.get("spent") or "")
        if spent <= 0:
            p.append(Problem("spent", "实用总资金应大于 0", SRC_NOTICE_FORM))
    except MoneyError as exc:
        p.append(Problem("spent", f"实用总资金：{exc}", SRC_NOTICE_FORM))
    details = (form.get("details") or "").strip()
    if not details:
        p.append(Problem("details", "请填写项目完成情况", SRC_COMPLETION_NOTICE))
    elif len(details) > 2000:
        p.append(Problem("details", "项目完成情况不能超过 2000 字", SRC_COMPLETION_NOTICE))
    lead = (form.get("village_lead") or "").strip()[:64]
    phone = (form.get("village_phone") or "").strip()
    if not lead:
        p.append(Problem("village_lead", "请填写村（社区）负责人", SRC_NOTICE_FORM))
    if not valid_phone(phone):
        p.append(Problem("village_phone", f"村（社区）负责人联系电话“{phone}”格式不对" if phone
                         else "请填写村（社区）负责人联系电话", SRC_NOTICE_FORM))
    sup_phone = (form.get("supervisor_phone") or "").strip()
    if sup_phone and not valid_phone(sup_phone):
        p.append(Problem("supervisor_phone", f"监督电话“{sup_phone}”格式不对", SRC_NOTICE_FORM))
    if "before" in notice.photos and before < 1:
        p.append(Problem("before", "请上传项目实施之前照片（至少 1 张）", notice.source))
    if "after" in notice.photos and after < 1:
        p.append(Problem("after", "请上传项目完成之后照片（至少 1 张）", notice.source))
    start = today
    raw_start = (form.get("notice_start") or "").strip()
    if raw_start:
        try:
            start = date.fromisoformat(raw_start)
        except ValueError:
            p.append(Problem("notice_start", f"公示开始日期应为日期（如 2026-05-01），填写的是“{raw_start}”",
                             SRC_COMPLETION_NOTICE))
            start = None
    if start is not None and start < today:
        p.append(Problem("notice_start", f"公示开始日期 {start} 早于今天 {today}，公示不能补记", SRC_COMPLETION_NOTICE))
    days, dp = read_working_days(form.get("working_days") or "", notice)
    p += dp
    if p:
        return None, p
    return Completion(spent_fen=spent, details=details, village_lead=lead, village_phone=phone, notice_start=start,
                      working_days=days, supervisor=(form.get("supervisor") or "").strip()[:100],
                      supervisor_phone=sup_phone, issuer=(form.get("issuer") or "").strip()[:100]), []


# ---------------------------------------------------------------- satisfaction (001 二 7)

@dataclass(frozen=True)
class Satisfaction:
    """A public satisfaction survey: how many answered, how many were satisfied; the rate is computed."""

    respondents: int
    satisfied: int

    @property
    def rate(self) -> float:
        """Satisfied share in percent, one decimal."""
        return round(100 * self.satisfied / self.respondents, 1)

    def words(self) -> str:
        """“44/50 = 88.0%”."""
        return f"{self.satisfied}/{self.respondents} = {self.rate:.1f}%"


def read_satisfaction(respondents: str, satisfied: str) -> tuple[Satisfaction | None, list[Problem]]:
    """Respondents ≥ 1 and 0 ≤ satisfied ≤ respondents, both whole numbers."""
    p: list[Problem] = []
    values = []
    for name, raw, label in (("respondents", respondents, "参与测评人数"), ("satisfied", satisfied, "满意人数")):
        raw = (raw or "").strip()
        if not raw.isdigit():
            p.append(Problem(name, f"{label}应为整数，填写的是“{raw}”" if raw else f"请填写{label}", SRC_EVALUATION))
            values.append(None)
        else:
            values.append(int(raw))
    r, s = values
    if r is not None and r < 1:
        p.append(Problem("respondents", "参与测评人数至少为 1", SRC_EVALUATION))
    if r is not None and s is not None and s > r:
        p.append(Problem("satisfied", f"满意人数 {s} 不能多于参与测评人数 {r}", SRC_EVALUATION))
    return (None, p) if p else (Satisfaction(r, s), [])


# ---------------------------------------------------------------- the fund (000 二 1)

def remaining(allocation_fen: int, committed_fen: int) -> int:
    """What a member may still commit this year."""
    return allocation_fen - committed_fen


def check_commitment(amount_fen: int, remaining_fen: int, *, member: str = "", allocation_fen: int = 20000,
                     source: str = SRC_FUND) -> list[Problem]:
    """A member commits a positive amount no larger than what remains of their allocation (000: 200 CNY)."""
    if amount_fen <= 0:
        return [Problem("amount", "出资金额应大于 0", source)]
    whole = f"{allocation_fen // 100:,}" if allocation_fen % 100 == 0 else f"{allocation_fen / 100:,.2f}"
    if amount_fen > remaining_fen:
        return [Problem("amount", (f"每名党员、村（居）民代表的微服务资金支配额度为 {whole} 元，{member}本年度剩余 "
                                   f"{format_money(remaining_fen)}，不能支配 {format_money(amount_fen)}"), source)]
    return []


# ---------------------------------------------------------------- the project's life

def transition_error(action: str, status: str) -> str | None:
    """Why `action` is not possible from `status` (Chinese), or None when it is."""
    allowed = TRANSITIONS[action]
    if status in allowed:
        return None
    need = "或".join(f"“{STATUS_LABELS[s]}”" for s in allowed)
    return f"项目当前状态为“{STATUS_LABELS.get(status, status)}”，不能{ACTION_LABELS[action]}（须为{need}）"
