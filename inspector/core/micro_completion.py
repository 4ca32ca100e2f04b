"""Micro projects: reading the notice periods, the completion form (000 附件2) and the survey (001 二 7). Pure."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from . import programs
from .micro_money import positive_money
from .micro_terms import SRC_COMPLETION_NOTICE, SRC_EVALUATION, SRC_NOTICE_FORM, Problem, valid_phone

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


def read_notice_start(raw: str, today: date, p: list[Problem], source: str = SRC_COMPLETION_NOTICE) -> date | None:
    """A notice's first day from a form (default today), never before today; None with a problem."""
    raw = (raw or "").strip()
    if not raw:
        return today
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        p.append(Problem("notice_start", f"公示开始日期应为日期（如 2026-05-01），填写的是“{raw}”", source))
        return None
    if start < today:
        p.append(Problem("notice_start", f"公示开始日期 {start} 早于今天 {today}，公示不能补记", source))
    return start


def _people(form: Mapping[str, str], p: list[Problem]) -> tuple[str, str, str]:
    """The village's responsible person, their phone and the supervision phone, as the notice prints them."""
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
    return lead, phone, sup_phone


def read_completion(form: Mapping[str, str], *, before: int, after: int, today: date,
                    notice: programs.Notice) -> tuple[Completion | None, list[Problem]]:
    """The completion form with its before/after photo counts (as the program's notice asks); every problem."""
    p: list[Problem] = []
    spent = positive_money(form, "spent", "实用总资金", SRC_NOTICE_FORM, p)
    details = (form.get("details") or "").strip()
    if not details:
        p.append(Problem("details", "请填写项目完成情况", SRC_COMPLETION_NOTICE))
    elif len(details) > 2000:
        p.append(Problem("details", "项目完成情况不能超过 2000 字", SRC_COMPLETION_NOTICE))
    lead, phone, sup_phone = _people(form, p)
    if "before" in notice.photos and before < 1:
        p.append(Problem("before", "请上传项目实施之前照片（至少 1 张）", notice.source))
    if "after" in notice.photos and after < 1:
        p.append(Problem("after", "请上传项目完成之后照片（至少 1 张）", notice.source))
    start = read_notice_start(form.get("notice_start") or "", today, p)
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

