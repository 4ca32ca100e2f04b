"""Constants, labels and the clock shared by every table module."""
from __future__ import annotations

from datetime import datetime, timezone

REGION_LEVELS = ("city", "county", "township", "village")
SITE_TYPES = ("village", "community")
ROLES = ("village", "township", "inspector", "county_reviewer", "city_reviewer", "admin", "contractor")
PURPOSES = ("self_assessment", "inspection", "completion_acceptance", "red_landmark", "micro_project")
STATUSES = ("draft", "submitted", "returned", "resubmitted", "approved", "accepted", "rejected")

LABELS = {
    "city": "市", "county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）",
    "community": "社区",
    "self_assessment": "自评", "inspection": "检查", "completion_acceptance": "竣工验收",
    "red_landmark": "红色地标评定", "micro_project": "微实事验收",
    "draft": "填写中", "submitted": "已提交", "returned": "已退回", "resubmitted": "已重新提交",
    "approved": "已审核", "accepted": "已验收", "rejected": "未通过（待整改）",
    "township_role": "乡镇", "inspector": "检查员", "county_reviewer": "县委组织部审核",
    "city_reviewer": "市级评审", "admin": "管理员",
    "demo": "示范村", "standard": "达标村", "upgrade": "改扩建",
}
SITE_TYPE_LABELS = {"village": "村", "community": "社区"}
ROLE_LABELS = {"village": "村（社区）", "township": "乡镇（街道）", "inspector": "检查员",
               "county_reviewer": "县委组织部", "city_reviewer": "市级评审", "admin": "管理员",
               "contractor": "施工方"}


def utcnow() -> datetime:
    """Now, timezone-aware UTC (SQLModel stores it as UTC on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc)


# A department (unit) account sees only its own members' ledger records (issue 17): a new role, scoped by unit.
ROLES = (*ROLES, "unit")
ROLE_LABELS["unit"] = "党员所在单位"
LABELS.setdefault("unit", "党员所在单位")
