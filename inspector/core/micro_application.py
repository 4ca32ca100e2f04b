"""Micro projects: reading the application form (000 附件1) — members, households, spending. Pure."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .micro_money import MoneyError, format_money, parse_money, positive_money
from .micro_terms import CATEGORIES, MIN_HOUSEHOLDS, SIZES, SRC_FORM, SRC_QUOTA, SRC_SPENDING, Problem, valid_phone

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


def _size(form: Mapping[str, str], p: list[Problem]) -> str | None:
    """The item's size (“1” or one of the “N”), or None with a problem."""
    size = (form.get("size") or "").strip()
    if size not in SIZES:
        p.append(Problem("size", "请选择事项类别：相对较大事项（“1”）或微小事项（“N”）", SRC_QUOTA))
        return None
    return size


def _lead_phone(form: Mapping[str, str], p: list[Problem]) -> str:
    """The lead's phone, with a problem when blank or malformed."""
    lead_phone = (form.get("lead_phone") or "").strip()
    if not lead_phone:
        p.append(Problem("lead_phone", "请填写牵头人的“联系电话”", SRC_FORM))
    elif not valid_phone(lead_phone):
        p.append(Problem("lead_phone", f"牵头人的联系电话“{lead_phone}”格式不对（手机 11 位，或 0516-1234567）", SRC_FORM))
    return lead_phone


def _lists(form: Mapping[str, str], budget: int | None, p: list[Problem]):
    """Members, households and spending lines; the spending adds up to the budget."""
    members, mp = read_members(form.get("members") or "")
    households, hp = read_households(form.get("households") or "")
    spending, sp = read_spending(form.get("spending") or "")
    p += mp + hp + sp
    if budget is not None and spending and not sp:
        total = sum(s.amount_fen for s in spending)
        if total != budget:
            p.append(Problem("spending", f"经费预算明细合计 {format_money(total)}，与经费预算 {format_money(budget)} 不一致",
                             SRC_FORM))
    return tuple(members), tuple(households), tuple(spending)


def read_application(form: Mapping[str, str]) -> Reading:
    """Read and check a whole application form; every problem is reported at once."""
    p: list[Problem] = []
    texts = {name: _text(form, name, p) for name in ("name", "lead_name", "description", "scale",
                                                      "expected_effect", "fund_source")}
    size, lead_phone = _size(form, p), _lead_phone(form, p)
    budget = positive_money(form, "budget", "经费预算", SRC_FORM, p)
    start, finish = _date(form, "start_date", p), _date(form, "finish_date", p)
    if start and finish and finish < start:
        p.append(Problem("finish_date", f"完成时间 {finish} 早于实施时间 {start}", SRC_FORM))
    members, households, spending = _lists(form, budget, p)
    emergency = (form.get("emergency") or "") in ("1", "on", "true", "yes")
    application = None if p else Application(
        **texts, size=size, lead_phone=lead_phone, budget_fen=budget, start_date=start, finish_date=finish,
        members=members, households=households, spending=spending, emergency=emergency)
    return Reading(application, p, size, budget, start)
