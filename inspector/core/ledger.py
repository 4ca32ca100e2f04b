"""In-service Party members in their residential community (seed 004): the rules per member and year,
the import rows, the roll-up tables. Pure Python: no Flask, no database.

Every rule names its clause in 凤组发〔2014〕42号 (`004_540c324c00d562d2.txt`) and keeps the source's force:
"原则上" (as a rule) is a soft rule — a shortfall is listed as a warning, not as falling short.
"""
from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .errors import DomainError

SEED = "004_540c324c00d562d2.txt"

KINDS = {  # activity types of the 写实登记卡
    "post_service": "岗位服务",
    "suggestion": "意见建议",
    "public_welfare": "公益活动",
    "pairing_visit": "结对走访",
    "volunteer_day": "志愿服务日",
}
# Which activities are "服务居民群众活动" for the 2-times-or-8-hours rule (二（一）1). The source does not
# say; suggestions (二（一）2) and pairing visits (二（一）4) have rules of their own, so they are not
# counted here — otherwise the monthly visits alone would always meet it.
SERVICE_KINDS = ("post_service", "public_welfare", "volunteer_day")
PAIR_KINDS = ("贫困户", "困难党员", "残疾人", "贫困学生", "孤寡老人")  # 二（一）4

MIN_SERVICE_TIMES = 2
MIN_SERVICE_MINUTES = 8 * 60
MIN_SUGGESTIONS = 1
MIN_PUBLIC_WELFARE = 1
DEFAULT_DEADLINE = (5, 15)  # 三、工作措施 1：5月15日前完成在职党员到居住社区报到相关工作
SUMMARY_DUE = (11, 30)  # 四：每年11月底前上报

QUARTER_NAMES = {0: "年度", 1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


class Invalid(DomainError):
    """A form or file with problems (answered 422 with every problem); nothing was stored.

    The ledger's and the service projects' forms list every problem at once, so the page can show them all."""

    status = 422

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("；".join(self.problems))


@dataclass(frozen=True)
class Rule:
    """One rule a member is measured against each year, with its clause and its force."""

    id: str
    text: str
    source: str
    soft: bool = False  # "原则上": a shortfall is a warning


RULES = (
    Rule("service", "每年至少参加2次以上或不少于8小时的服务居民群众活动", f"{SEED} › 二、主要任务（一）1"),
    Rule("suggestion", "原则上每名在职党员每年至少向社区或社区主管部门提出1条以上有价值的意见、建议",
         f"{SEED} › 二、主要任务（一）2", soft=True),
    Rule("public_welfare", "每名在职党员每年应参加一次社区公益活动、社区文化活动、社区环境整治或社区治安管理活动",
         f"{SEED} › 二、主要任务（一）3"),
    Rule("pairing", "结对帮扶一户……坚持每月至少深入居民家中一次", f"{SEED} › 二、主要任务（一）4"),
    Rule("reported", "5月15日前完成在职党员到居住社区报到相关工作", f"{SEED} › 三、工作措施 1"),
)
RULES_BY_ID = {r.id: r for r in RULES}


@dataclass(frozen=True)
class Activity:
    """An activity as the rules see it."""

    on: date
    minutes: int
    kind: str


@dataclass
class Check:
    """One rule applied to one member: met or not, the figures, and what is missing."""

    rule: Rule
    met: bool
    figures: str
    missing: str = ""
    pending: bool = False  # the year is not over and the rule can still be met


@dataclass
class Tally:
    """A member's year against every rule."""

    year: int
    times: int
    minutes: int
    suggestions: int
    public_welfare: int
    visits_by_month: dict[int, int]
    checks: list[Check] = field(default_factory=list)

    @property
    def hours(self) -> str:
        """Hours as a decimal text (minutes / 60, up to 2 places)."""
        return format_hours(self.minutes)

    @property
    def service_met(self) -> bool:
        """Whether the 2-times-or-8-hours rule is met."""
        return self.check("service").met

    @property
    def falls_short(self) -> list[Check]:
        """Hard rules not met (soft "原则上" rules are warnings, see `warnings`)."""
        return [c for c in self.checks if not c.met and not c.rule.soft]

    @property
    def warnings(self) -> list[Check]:
        """Soft rules not met."""
        return [c for c in self.checks if not c.met and c.rule.soft]

    def check(self, rule_id: str) -> Check:
        """The check of one rule."""
        return next(c for c in self.checks if c.rule.id == rule_id)


def format_hours(minutes: int) -> str:
    """Minutes as hours: 180 → '3', 90 → '1.5', 100 → '1.67'."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    text = f"{value:f}".rstrip("0").rstrip(".")
    return text or "0"


def parse_hours(raw: str) -> int:
    """Hours typed by a person ('3', '1.5', '0.5') as minutes; ValueError in Chinese when wrong."""
    text = (raw or "").strip().replace("小时", "")
    if not text:
        raise ValueError("请填写时长（小时）")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"时长应为数字（小时），而不是 {raw!r}") from None
    if value < 0 or value > 24:
        raise ValueError(f"一次活动的时长应在 0–24 小时之间，填写的是 {text}")
    minutes = value * 60
    if minutes != minutes.to_integral_value():
        raise ValueError(f"时长最多精确到分钟，填写的是 {text} 小时")
    return int(minutes)


def months_due(year: int, since: date | None, as_of: date) -> list[int]:
    """Months of `year` whose pairing visit is due by `as_of`: from the month the member reported (or
    January) to the last month that has ended; the month in progress is not yet due."""
    if as_of.year < year:
        return []
    first = since.month if since is not None and since.year == year else 1
    if since is not None and since.year > year:
        return []
    if as_of.year > year:
        last = 12
    else:
        month_end = _calendar.monthrange(year, as_of.month)[1]
        last = as_of.month if as_of.day == month_end else as_of.month - 1
    return list(range(first, last + 1))


def tally(*, year: int, activities: Iterable[Activity], reported_on: date | None, paired: bool,
          deadline: date, as_of: date) -> Tally:
    """A member's year: the counts, and each rule of 004 met or not with what is missing."""
    rows = [a for a in activities if a.on.year == year]
    service = [a for a in rows if a.kind in SERVICE_KINDS]
    t = Tally(year=year, times=len(service), minutes=sum(a.minutes for a in service),
              suggestions=sum(1 for a in rows if a.kind == "suggestion"),
              public_welfare=sum(1 for a in rows if a.kind == "public_welfare"),
              visits_by_month={})
    for a in rows:
        if a.kind == "pairing_visit":
            t.visits_by_month[a.on.month] = t.visits_by_month.get(a.on.month, 0) + 1
    open_year = as_of < date(year, 12, 31)
    met = t.times >= MIN_SERVICE_TIMES or t.minutes >= MIN_SERVICE_MINUTES
    t.checks.append(Check(RULES_BY_ID["service"], met, f"{t.times} 次 / {t.hours} 小时",
                          "" if met else f"还差 {MIN_SERVICE_TIMES - t.times} 次或 "
                                         f"{format_hours(MIN_SERVICE_MINUTES - t.minutes)} 小时",
                          pending=open_year and not met))
    met = t.suggestions >= MIN_SUGGESTIONS
    t.checks.append(Check(RULES_BY_ID["suggestion"], met, f"{t.suggestions} 条",
                          "" if met else "尚无意见、建议（原则上每年至少 1 条）", pending=open_year and not met))
    met = t.public_welfare >= MIN_PUBLIC_WELFARE
    t.checks.append(Check(RULES_BY_ID["public_welfare"], met, f"{t.public_welfare} 次",
                          "" if met else "尚未参加公益活动", pending=open_year and not met))
    due = months_due(year, reported_on, as_of)
    missed = [m for m in due if not t.visits_by_month.get(m)]
    visited = sum(1 for m in due if t.visits_by_month.get(m))
    if not paired:
        t.checks.append(Check(RULES_BY_ID["pairing"], False, "未结对", "尚未结对帮扶一户困难家庭"))
    else:
        t.checks.append(Check(RULES_BY_ID["pairing"], not missed, f"应走访 {len(due)} 个月，已走访 {visited} 个月",
                              "" if not missed else "未走访：" + "、".join(f"{m}月" for m in missed)))
    if reported_on is None:
        t.checks.append(Check(RULES_BY_ID["reported"], False, "未报到", f"尚未报到（应于 {deadline:%m月%d日}前）"))
    else:
        met = reported_on <= deadline
        t.checks.append(Check(RULES_BY_ID["reported"], met, f"{reported_on.isoformat()} 报到",
                              "" if met else f"逾期报到（应于 {deadline.isoformat()} 前）"))
    return t


def deadline_of(year: int, month_day: tuple[int, int] = DEFAULT_DEADLINE) -> date:
    """The reporting deadline of a year (5月15日 in the source; a program parameter)."""
    return date(year, month_day[0], month_day[1])


def quarters_due(year: int, as_of: date) -> list[int]:
    """Quarters of `year` that have ended by `as_of` (their feedback letter is due)."""
    if as_of.year > year:
        return [1, 2, 3, 4]
    if as_of.year < year:
        return []
    ended = []
    for q in (1, 2, 3, 4):
        end = date(year, 3 * q, _calendar.monthrange(year, 3 * q)[1])
        if as_of >= end:
            ended.append(q)
    return ended


def quarter_of(day: date) -> int:
    """The quarter (1–4) a date falls in."""
    return (day.month - 1) // 3 + 1


# ---------------------------------------------------------------- import rows

COLUMNS = {
    "姓名": "name", "name": "name",
    "单位": "unit", "工作单位": "unit", "unit": "unit",
    "单位党组织": "party_org", "party_org": "party_org",
    "主管部门党组织": "supervisor_org", "supervisor_org": "supervisor_org",
    "县级部门": "county_department", "county_department": "county_department",
    "居住社区": "community", "社区": "community", "community": "community",
    "联系电话": "phone", "电话": "phone", "phone": "phone",
    "报到日期": "reported_on", "reported_on": "reported_on",
    "证明信编号": "letter_number", "letter_number": "letter_number",
    "服务岗位": "service_post", "认领岗位": "service_post", "service_post": "service_post",
    "服务承诺": "pledge", "pledge": "pledge",
    "特长": "skills", "skills": "skills",
    "结对对象": "pair_name", "pair_name": "pair_name",
    "对象类别": "pair_kind", "pair_kind": "pair_kind",
    "对象住址": "pair_address", "pair_address": "pair_address",
}
REQUIRED = ("name", "unit", "phone")
YES = {"是", "y", "yes", "true", "1", "√"}
NO = {"", "否", "n", "no", "false", "0"}
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def parse_date(raw: str | date | datetime | None, label: str) -> date | None:
    """A date cell: 2026-05-10, 2026/5/10, 2026年5月10日, or an Excel date; None when blank."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2} 00:00:00$", text):
        text = text[:10]
    m = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", text)
    if not m:
        raise ValueError(f"{label}应为日期（如 2026-05-10），而不是 {text!r}")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"{label} {text} 不是有效日期") from None


def parse_member(row: Mapping[str, str]) -> dict:
    """One import row (or form) as member fields; ValueError naming what is wrong."""
    labels = {"name": "姓名", "unit": "单位", "phone": "联系电话"}
    for key in REQUIRED:
        if not (row.get(key) or "").strip():
            raise ValueError(f"“{labels[key]}”不能为空")
    phone = re.sub(r"\s", "", row["phone"])
    if not PHONE_RE.match(phone):
        raise ValueError(f"联系电话应为 11 位手机号或带区号的固定电话，而不是 {row['phone']!r}")
    pair_kind = (row.get("pair_kind") or "").strip()
    if pair_kind and pair_kind not in PAIR_KINDS:
        raise ValueError(f"对象类别应为 {'、'.join(PAIR_KINDS)} 之一或留空，而不是 {pair_kind!r}")
    dept = (row.get("county_department") or "").strip().lower()
    if dept not in YES | NO:
        raise ValueError(f"“县级部门”应填 是 或 否，而不是 {row.get('county_department')!r}")
    out = {"name": row["name"].strip()[:64], "unit": row["unit"].strip()[:100], "phone": phone,
           "party_org": (row.get("party_org") or "").strip()[:100],
           "supervisor_org": (row.get("supervisor_org") or "").strip()[:100],
           "county_department": dept in YES, "community": (row.get("community") or "").strip(),
           "reported_on": parse_date(row.get("reported_on"), "报到日期"),
           "pair_kind": pair_kind}
    for key, size in (("letter_number", 64), ("service_post", 200), ("pledge", 2000), ("skills", 200),
                      ("pair_name", 64), ("pair_address", 200)):
        out[key] = (row.get(key) or "").strip()[:size]
    if out["pair_kind"] and not out["pair_name"]:
        raise ValueError("填写了对象类别，请同时填写结对对象")
    return out


# ---------------------------------------------------------------- roll-up tables

SERVICE_COLUMNS = (  # 《在职党员进社区服务群众情况汇总表》
    ("members", "在职党员数"), ("reported", "已报到"), ("posts", "认领岗位"), ("times", "服务次数"),
    ("minutes", "服务时长（小时）"), ("service_met", "达到2次或8小时"), ("suggestions", "意见建议（条）"),
    ("public_welfare", "公益活动（次）"), ("paired", "结对帮扶户数"), ("visits", "结对走访（次）"),
    ("feedback", "季度反馈（份）"),
)
REPORT_COLUMNS = (  # 《在职党员进社区报到情况汇总表》
    ("units", "单位数"), ("members", "应报到"), ("reported", "已报到"), ("on_time", "按期报到"),
    ("dept_members", "县级部门应报到"), ("dept_reported", "县级部门已报到"),
)


def rate(part: int, whole: int) -> str:
    """A percentage with one decimal ('100%', '66.7%'), '—' when there is nothing to count."""
    if not whole:
        return "—"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
    return f"{value:f}".rstrip("0").rstrip(".") + "%"


@dataclass
class RollRow:
    """One row of a roll-up table: a community, a township subtotal or the county total."""

    level: str  # community / township / county
    name: str
    counts: dict[str, int]


def add_counts(rows: Iterable[Mapping[str, int]], keys: Iterable[str]) -> dict[str, int]:
    """Column sums."""
    keys = tuple(keys)
    total = dict.fromkeys(keys, 0)
    for row in rows:
        for k in keys:
            total[k] += row.get(k, 0)
    return total


def roll_up(communities: Iterable[tuple[str, str, Mapping[str, int]]], keys: Iterable[str],
            county: str) -> list[RollRow]:
    """Communities (township, name, counts) → rows by township with a subtotal each, then the county.

    Townships and communities keep the order given (the caller orders them by region code or name)."""
    keys = tuple(keys)
    by_town: dict[str, list[tuple[str, Mapping[str, int]]]] = {}
    for town, name, counts in communities:
        by_town.setdefault(town, []).append((name, counts))
    out: list[RollRow] = []
    for town, rows in by_town.items():
        out += [RollRow("community", name, dict(counts)) for name, counts in rows]
        out.append(RollRow("township", f"{town} 小计", add_counts((c for _n, c in rows), keys)))
    out.append(RollRow("county", f"{county} 合计",
                       add_counts((r.counts for r in out if r.level == "township"), keys)))
    return out
