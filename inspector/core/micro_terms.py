"""Micro projects (微实事 / 微小事): the terms every rule shares — seed sources, labels, statuses, a problem. Pure.

Every rule names its source clause in the seed texts of /work/shared/seeds/ (the authority) both in
code and in the message a person reads:

- 000_7a80efa72703d9ff.txt  荷花街道“党员微服务、群众大满意”活动实施方案 (2023)
- 001_ce2f6b89bf5be0ba.txt  “党建+网格+微小事”工作实施方案
- 003_f5bd2b5e7d78f097.txt  区党群服务项目化管理工作方案
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

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


_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def valid_phone(phone: str) -> bool:
    """A mainland mobile (11 digits) or a landline with area code (0516-1234567)."""
    return bool(_PHONE.match(phone))


# ---------------------------------------------------------------- the project's life

def transition_error(action: str, status: str) -> str | None:
    """Why `action` is not possible from `status` (Chinese), or None when it is."""
    allowed = TRANSITIONS[action]
    if status in allowed:
        return None
    need = "或".join(f"“{STATUS_LABELS[s]}”" for s in allowed)
    return f"项目当前状态为“{STATUS_LABELS.get(status, status)}”，不能{ACTION_LABELS[action]}（须为{need}）"
