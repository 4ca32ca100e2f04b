"""Role rights: what each role may do. Regional scoping (services/scope.py) decides *where*.

One table, read by the service layer; views ask `require(user, action)` and templates ask
`can(user, action)` only to hide buttons that would be refused anyway.
"""
from __future__ import annotations

from ..core.errors import DomainError
from ..models import LABELS, ROLE_LABELS, User


class Forbidden(DomainError, PermissionError):
    """The user's role may not do this (answered 403 with the reason)."""

    status = 403


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
    # the menu of work areas: every account but the contractor's, which exists only to sign (002 篇六 三)
    "area_menu": set(ROLE_LABELS) - {"contractor"},
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
    "edit_calendar": "录入节假日安排", "area_menu": "使用业务栏目",
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


# ---------------------------------------------------------------- red landmark (002 篇五 7.x) and micro projects
# The red-landmark procedure's steps and their owners are data (checklists/programs/xuzhou-red-landmark.yaml);
# what a role may do is here, like every other action. `services/landmark.py` and `services/micro.py` call
# `require`, the pages ask `can`. Micro-project route steps are owned by the role each band names (data).
LANDMARK = {  # action: (roles, label)
    "landmark_apply": ({"village"}, "申报“红色地标”"),
    "landmark_township_recommend": ({"township"}, "推荐并提交申请报告"),
    "landmark_county_recommend": ({"county_reviewer"}, "核实材料并择优推荐"),
    "landmark_receive": ({"city_reviewer"}, "登记收到县级推荐材料"),
    "landmark_start_evaluation": (START["red_landmark"], "开始“红色地标”评定检查"),
    "landmark_record_result": ({"city_reviewer"}, "记录评审结果"),
    "landmark_meeting": ({"city_reviewer"}, "登记部务会审定结果"),
    "landmark_objection": ({"city_reviewer"}, "登记公示异议"),
    "landmark_resolve_objection": ({"city_reviewer"}, "处理公示异议"),
    "landmark_award": ({"city_reviewer"}, "授予“红色地标”命名"),
    "landmark_refuse": ({"city_reviewer"}, "作出不予命名决定"),
    "landmark_revoke": ({"city_reviewer"}, "取消“红色地标”命名"),
}
MICRO = {
    "micro_apply": ({"village"}, "申报微实事项目"),
    "micro_plan_notice": ({"village"}, "发布立项公示"),
    "micro_start": ({"village"}, "登记开工"),
    "micro_complete": ({"village"}, "发布完工公示"),
    "micro_acceptance": (START["micro_project"], "开始微实事验收"),
    "micro_satisfaction": ({"village", "township"}, "登记满意度测评"),  # 001 二 7: 由镇党委、政府或村(社区)负责组织
    "micro_archive": ({"village", "township"}, "归档项目"),            # 001 三 11: 村(社区)要建立全流程的事项档案
    "micro_fund": ({"village", "township"}, "管理微服务资金"),
    "micro_bind_program": ({"county_reviewer", "admin"}, "指定微实事方案"),  # the county sets each village's scheme
}
for _table in (LANDMARK, MICRO):
    ACTIONS.update({a: roles for a, (roles, _label) in _table.items()})
    ACTION_LABELS.update({a: label for a, (_roles, label) in _table.items()})
