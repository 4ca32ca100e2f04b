"""Role rights: what each role may do. Regional scoping (services/scope.py) decides *where*.

One table, read by the service layer; views ask `require(user, action)` and templates ask
`can(user, action)` only to hide buttons that would be refused anyway.
"""
from __future__ import annotations

from ..models import LABELS, ROLE_LABELS, User


class Forbidden(PermissionError):
    """The user's role may not do this (answered 403 with the reason)."""


# Who may start (and fill in, and submit) an inspection of each purpose.
START = {
    "self_assessment": {"village", "township"},
    "inspection": {"inspector"},
    "completion_acceptance": {"inspector"},
    "red_landmark": {"inspector", "city_reviewer"},
    "micro_project": {"inspector", "township"},
}
# Who reviews (returns or approves) a submitted inspection of each purpose.
REVIEW = {
    "self_assessment": {"township", "county_reviewer"},
    "inspection": {"county_reviewer"},
    "completion_acceptance": {"county_reviewer"},
    "red_landmark": {"city_reviewer"},
    "micro_project": {"township", "county_reviewer"},
}
# Who accepts an approved inspection (completion acceptance is accepted by its signatures instead).
ACCEPT = {
    "self_assessment": {"county_reviewer"},
    "inspection": {"county_reviewer"},
    "red_landmark": {"city_reviewer"},
    "micro_project": {"township", "county_reviewer"},
}
# Everything else, by action.
ACTIONS = {
    "dashboard": {"township", "county_reviewer", "city_reviewer", "admin"},
    "export": {"township", "county_reviewer", "city_reviewer", "admin"},
    "import_sites": {"county_reviewer", "admin"},
    "edit_site": {"inspector", "township", "county_reviewer", "admin"},  # the inspector on site records its position
    "set_category": {"county_reviewer"},  # the county approves each village's category in advance (002 篇六 一、三)
    "audit_log": {"county_reviewer", "city_reviewer", "admin"},
    "manage_users": {"admin"},
    "compare": {"township", "county_reviewer", "city_reviewer", "admin"},
    "issue_report": {"inspector", "township", "county_reviewer", "city_reviewer"},
    "rectify": {"inspector"},  # start a follow-up inspection of open rectification tasks
    "due_list": {"township", "county_reviewer", "city_reviewer", "admin"},  # steps due / overdue
    "calendar_warning": {"county_reviewer", "city_reviewer", "admin"},  # holiday data about to run out
    "view_calendar": {"county_reviewer", "city_reviewer", "admin"},  # which years are provisional
    "edit_calendar": {"admin"},  # enter a year's schedule from the State Council's notice
}


def can(user: User, action: str, purpose: str | None = None) -> bool:
    """Whether the user's role allows an action (for a purpose, where the action has one)."""
    table = {"start": START, "review": REVIEW, "accept": ACCEPT}.get(action)
    if table is not None:
        return purpose is not None and user.role in table.get(purpose, set())
    return user.role in ACTIONS.get(action, set())


def require(user: User, action: str, purpose: str | None = None) -> None:
    """Raise Forbidden, naming the roles that may, unless the user's role allows the action."""
    if can(user, action, purpose):
        return
    table = {"start": START, "review": REVIEW, "accept": ACCEPT}.get(action)
    allowed = (table or {}).get(purpose, set()) if table is not None else ACTIONS.get(action, set())
    who = "、".join(ROLE_LABELS[r] for r in sorted(allowed)) or "无"
    what = {"start": "填写", "review": "审核", "accept": "验收"}.get(action, "")
    subject = f"{what}{LABELS.get(purpose, purpose)}" if purpose else ACTION_LABELS.get(action, action)
    raise Forbidden(f"{ROLE_LABELS.get(user.role, user.role)}账号不能{subject}（可由：{who}）")


ACTION_LABELS = {
    "dashboard": "查看统计看板", "export": "导出数据", "import_sites": "导入站点", "edit_site": "修改站点",
    "audit_log": "查看操作日志", "manage_users": "管理用户", "compare": "查看自评与检查对比",
    "issue_report": "签发报告", "rectify": "开展整改复查", "due_list": "查看到期事项",
    "calendar_warning": "查看工作日日历提醒", "view_calendar": "查看工作日日历",
    "edit_calendar": "录入节假日安排",
}


# ---------------------------------------------------------------- ledger (seed 004) and service projects (seed 003)
# The community (村（社区）account) keeps its members' records; the township may too (城关镇 leads, 004 四);
# townships, the county and the city read their region's; the county organization department evaluates
# service projects (003 三（四）). Regional scoping is in services/ledger.py and services/service_projects.py.
ACTIONS.update({
    "ledger_view": {"village", "township", "inspector", "county_reviewer", "city_reviewer", "admin", "unit"},
    "ledger_all": {"village", "township", "inspector", "county_reviewer", "city_reviewer", "admin"},  # every unit's
    "ledger_edit": {"village", "township"},
    "ledger_import": {"village", "township", "county_reviewer"},
    "ledger_summary": {"township", "county_reviewer", "city_reviewer", "admin"},
    "ledger_confirm": {"inspector", "village", "township"},  # whoever fills the ledger inspection (START) confirms or overrides
    "projects_view": {"village", "township", "inspector", "county_reviewer", "city_reviewer", "admin"},
    "projects_edit": {"village", "township"},
    "projects_review": {"township"},  # 由镇街党（工）委联合专业型社会组织进行立项评审
    "projects_evaluate": {"county_reviewer"},  # 区委组织部采取实地考察、民主评议、问卷调查等方式
})
ACTION_LABELS.update({
    "ledger_view": "查看在职党员进社区台账", "ledger_all": "查看社区全部在职党员的台账", "ledger_edit": "登记在职党员及其活动", "ledger_import": "导入在职党员名单",
    "ledger_summary": "查看汇总表", "ledger_confirm": "确认台账计算结果",
    "projects_view": "查看党群服务项目", "projects_edit": "登记党群服务项目",
    "projects_review": "评审党群服务项目", "projects_evaluate": "评选区级优质党群服务项目",
})
