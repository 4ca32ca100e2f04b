"""Party–mass service projects (党群服务项目化管理, seed 003): the lifecycle, the running rule before a
project may be put up for evaluation, the quotas, the summary report and the promotion rota.
Pure Python: no Flask, no database."""
from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from .errors import DomainError
from .words import percent

SEED = "003_f5bd2b5e7d78f097.txt"
SRC_SURVEY = f"{SEED} › 三、主要措施（一）"
SRC_DESIGN = f"{SEED} › 三、主要措施（二）"
SRC_RUNNING = f"{SEED} › 三、主要措施（三）"
SRC_EVALUATION = f"{SEED} › 三、主要措施（四）"
SRC_LIBRARY = f"{SEED} › 三、主要措施（五）"
SRC_QUOTA = f"{SEED} › 四、组织保障（一）"

NOTICE_KIND = "service_plan"
NOTICE_TITLE = "党群服务项目计划公示"
NOTICE_MIN_DAYS = 5  # 公示时间不少于5个工作日 (三（二）)
MIN_MONTHS_AT_CENTER = 4  # 依托党群服务中心的服务项目要常态化开展4个月以上 (三（三）)
MIN_ACTIVITIES_NO_PLACE = 4  # 无固定场所的服务活动达到4次以上 (三（三）)
COMMUNITY_QUOTA = (1, 2)  # 每个社区新培育申报1—2个党群服务项目 (四（一）)
TOWNSHIP_MIN = 1  # 至少培育申报1个镇街级党群服务项目 (四（一）)

LEVELS = {"community": "社区", "township": "镇街级"}
SURVEY_WAYS = ("线上征集意见", "网格员入户走访", "召开党员居民会议", "“我为群众办实事”实践活动", "领导干部领办实事项目")

STATUS_LABELS = {
    "surveyed": "需求调研", "designed": "待立项评审", "approved": "评审通过", "rejected": "评审未通过",
    "noticed": "计划公示", "running": "实施中", "summarized": "已总结", "applied": "已申报评选",
    "selected": "区级优质项目", "not_selected": "未入选",
}
# action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    "design": (("surveyed", "designed", "rejected"), "designed"),
    "review": (("designed",), None),  # approved or rejected
    "notice": (("approved",), "noticed"),
    "activity": (("noticed", "running", "summarized"), "running"),
    "summarize": (("running", "summarized"), "summarized"),
    "apply": (("summarized",), "applied"),
    "evaluate": (("applied",), None),  # selected or not_selected
}


class TransitionError(DomainError):
    """An action the project's status does not allow now (answered 409 with the reason)."""

    status = 409


def check_transition(action: str, status: str) -> None:
    """Raise TransitionError (in Chinese) unless the action may follow the status."""
    starts, _to = TRANSITIONS[action]
    if status not in starts:
        words = "、".join(STATUS_LABELS[s] for s in starts)
        raise TransitionError(f"项目目前处于“{STATUS_LABELS.get(status, status)}”，此操作只能在“{words}”时进行")


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Running:
    """The running rule checked before a project is put up for evaluation (三（三）)."""

    met: bool
    words: str
    source: str = SRC_RUNNING


def running_rule(*, fixed_place: bool, activity_dates: Sequence[date], as_of: date) -> Running:
    """≥ 4 months of regular running at a center (from its first activity), or ≥ 4 activities without a fixed place."""
    dates = sorted(d for d in activity_dates if d <= as_of)
    if not fixed_place:
        n = len(dates)
        if n >= MIN_ACTIVITIES_NO_PLACE:
            return Running(True, f"无固定场所的服务活动已开展 {n} 次（应达到 {MIN_ACTIVITIES_NO_PLACE} 次以上）")
        return Running(False, f"无固定场所的服务活动已开展 {n} 次，还差 {MIN_ACTIVITIES_NO_PLACE - n} 次"
                              f"（应达到 {MIN_ACTIVITIES_NO_PLACE} 次以上）")
    if not dates:
        return Running(False, f"依托党群服务中心的项目尚未开展活动（应常态化开展 {MIN_MONTHS_AT_CENTER} 个月以上）")
    ready = add_months(dates[0], MIN_MONTHS_AT_CENTER)
    if as_of >= ready:
        return Running(True, f"自 {dates[0].isoformat()} 起已开展 {len(dates)} 次，满 {MIN_MONTHS_AT_CENTER} 个月"
                             f"（{ready.isoformat()}）")
    return Running(False, f"自 {dates[0].isoformat()} 起开展，{ready.isoformat()} 才满 {MIN_MONTHS_AT_CENTER} 个月"
                          f"（依托党群服务中心的项目应常态化开展 {MIN_MONTHS_AT_CENTER} 个月以上）")


def summary_report(*, name: str, level: str, place: str, survey_source: str, survey_summary: str, design: str,
                   activities: Iterable[Mapping], overview: str, results: str) -> dict:
    """The summary report (三（四）: 项目名称、整体概况、实施情况、成果经验), the implementation part
    generated from the activity records."""
    rows = sorted(activities, key=lambda a: a["on"])
    people = sum(int(a.get("participants") or 0) for a in rows)
    places = sorted({a["place"] for a in rows if a.get("place")})
    lines = [f"{a['on']} {a['place']}：{a.get('note') or '开展服务活动'}（参与 {a.get('participants') or 0} 人）"
             for a in rows]
    implementation = (f"共开展活动 {len(rows)} 次，参与 {people} 人次"
                      + (f"，时间 {rows[0]['on']} 至 {rows[-1]['on']}" if rows else "")
                      + (f"，地点：{'、'.join(places)}" if places else "") + "。")
    return {"name": name, "level": LEVELS.get(level, level), "place": place,
            "overview": overview.strip() or f"需求来源：{survey_source}。{survey_summary}\n项目设计：{design}",
            "implementation": implementation, "activities": lines, "results": results.strip(),
            "source": SRC_EVALUATION}


@dataclass(frozen=True)
class Quota:
    """A township's projects in a year against the quotas (四（一）)."""

    township: str
    communities: list[tuple[str, int]]  # (community, projects applied)
    township_projects: int

    @property
    def problems(self) -> list[str]:
        """What the quotas miss, each in words."""
        low, high = COMMUNITY_QUOTA
        out = [f"{name}：已申报 {n} 个（每个社区新培育申报{low}—{high}个）"
               for name, n in self.communities if not low <= n <= high]
        if self.township_projects < TOWNSHIP_MIN:
            out.append(f"{self.township}：镇街级项目 {self.township_projects} 个（至少培育申报{TOWNSHIP_MIN}个）")
        return out


def appraisal(votes_for: int, votes_against: int, abstain: int) -> str:
    """The democratic appraisal in words: votes cast and the share in favour."""
    cast = votes_for + votes_against + abstain
    return f"民主评议：赞成 {votes_for}、反对 {votes_against}、弃权 {abstain}，共 {cast} 票，赞成率 {percent(votes_for, cast)}"


def satisfaction(respondents: int, satisfied: int) -> str:
    """The questionnaire's satisfaction rate in words."""
    return f"问卷调查：发放回收 {respondents} 份，满意 {satisfied} 份，满意率 {percent(satisfied, respondents)}"


def next_months(start: str, n: int) -> list[str]:
    """n months from 'YYYY-MM' on."""
    year, month = (int(x) for x in start.split("-"))
    out = []
    for i in range(n):
        m = month - 1 + i
        out.append(f"{year + m // 12:04d}-{m % 12 + 1:02d}")
    return out


def plan_rota(*, months: Sequence[str], townships: Sequence[tuple[int, Sequence[int]]],
              taken: Mapping[str, tuple[int, int]], used: Iterable[int] = ()) -> dict[str, tuple[int, int]]:
    """Fill free months with (township, project), townships taking turns (镇街轮值), each promoting its
    library projects not promoted yet first; months already set stay as they are."""
    plan: dict[str, tuple[int, int]] = {}
    queue = [(t, list(projects)) for t, projects in townships if projects]
    if not queue:
        return plan
    promoted = set(used) | {p for _t, p in taken.values()}
    turn = 0
    for month in months:
        if month in taken:
            continue
        town, projects = queue[turn % len(queue)]
        fresh = [p for p in projects if p not in promoted] or projects
        project = fresh[0]
        promoted.add(project)
        plan[month] = (town, project)
        projects.remove(project)
        projects.append(project)
        turn += 1
    return plan
