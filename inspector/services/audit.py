"""The audit log: every write records who, when, before and after; reading it is scoped by region.

Each audited table says how its rows find their region (`visible_in`), so a view never writes that SQL.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..core import clock, words
from ..core.errors import DomainError
from ..models import (LABELS, ROLE_LABELS, Answer, AuditLog, FundCommitment, FundMember, Inspection, MicroProject,
                      Notice, Objection, Photo, ProgramStep, RectificationTask, RedLandmarkApplication, Region, Report,
                      ReturnReason, SignOff, Site, User)
from . import scope


def record(*, session: Session, user_id: int | None, action: str, entity: str, entity_id: int | None,
           before: Any = None, after: Any = None) -> None:
    """Add an audit row to the session (committed with the change it describes)."""
    session.add(AuditLog(user_id=user_id, action=action, entity=entity, entity_id=entity_id,
                         before=before, after=after))


# ---------------------------------------------------------------- reading the log, scoped by region

ACTION_WORDS = {
    "create": "创建", "update": "修改", "reset_password": "重置密码", "change_password": "修改密码",
    "start": "开始检查", "answer": "填写", "photo": "上传照片", "submit": "提交", "return": "退回",
    "approve": "审核通过", "accept": "验收", "sign": "签字", "follow_up": "整改复查", "close_tasks": "关闭整改",
    "locate": "登记位置", "import": "导入", "issue": "签发报告", "post": "发布公示", "objection": "登记异议",
    "resolve": "处理异议", "open_step": "进入环节", "close_step": "完成环节", "apply": "申请",
    "township_recommend": "乡镇推荐", "county_recommend": "县级推荐", "receive": "市级收件", "start_evaluation": "开始评定",
    "result": "评定结果", "award": "授牌", "refuse": "不予命名", "revoke": "撤销称号", "reject": "不同意",
    "plan_notice": "计划公示", "complete": "完工", "acceptance": "验收", "satisfaction": "满意度测评",
    "archive": "归档", "fund_member": "登记资金持有人", "fund_commit": "认捐资金",
}
ENTITY_WORDS = {
    "site": "站点", "inspection": "检查", "answer": "答案", "photo": "照片", "report": "报告", "user": "用户",
    "notice": "公示", "objection": "异议", "red_landmark": "红色地标申请", "redlandmarkapplication": "红色地标申请",
    "micro_project": "微实事", "microproject": "微实事", "programstep": "流程环节", "returnreason": "退回原因",
    "signoff": "签字", "rectificationtask": "整改任务", "fundmember": "微实事资金持有人",
    "fundcommitment": "微实事认捐",
}
FIELD_WORDS = {
    "username": "用户名", "display_name": "姓名", "role": "角色", "region": "区划", "active": "启用",
    "status": "状态", "score": "得分", "verdict": "结论", "round": "退回次数", "reasons": "退回原因",
    "item": "条目", "value": "值", "note": "备注", "version": "版本", "site": "站点", "checklist": "清单",
    "hash": "清单版本", "purpose": "目的", "tier": "等级", "lat": "纬度", "lon": "经度", "geofence_m": "定位范围（米）",
    "entered": "录入坐标", "name": "名称", "number": "编号", "kind": "类型", "step": "环节", "owner": "办理角色",
    "due": "期限", "outcome": "结果", "resolution": "处理结果", "start": "开始", "end": "结束",
    "working_days": "工作日", "received_on": "收到日期", "subject": "事项",
}
VALUE_WORDS = {"role": ROLE_LABELS, "status": LABELS, "purpose": LABELS, "tier": LABELS,
               "verdict": words.VERDICT_WORDS}


def _under(path: str):
    """Region.path condition: the region lies inside the viewer's subtree."""
    return Region.path.startswith(path)


def visible_in(path: str):
    """SQL condition: the audit row's entity lies in the region subtree `path` (correlated EXISTS).

    inspection, answer, photo, report and the review rows → their inspection's site; site → its region;
    user → the user's region; notice, red-landmark application, micro project, fund member → their site;
    fund commitment → its member's site; objection → its notice's site; program step → its region.
    Rows about anything else (or about a deleted record) are not shown below the top of the tree.
    """
    def exists(model, *joins):
        query = select(literal(1)).select_from(model)
        for target, on in joins:
            query = query.join(target, on)
        return query.where(model.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()

    def via_site(model):
        return exists(model, (Site, Site.id == model.site_id), (Region, Site.region_id == Region.id))

    def via_inspection(model):
        return exists(model, (Inspection, Inspection.id == model.inspection_id), (Site, Site.id == Inspection.site_id),
                      (Region, Site.region_id == Region.id))

    target, own = aliased(User), aliased(Inspection)
    branches = {
        "site": exists(Site, (Region, Site.region_id == Region.id)),
        "inspection": exists(own, (Site, Site.id == own.site_id), (Region, Site.region_id == Region.id)),
        "answer": via_inspection(Answer), "photo": via_inspection(Photo), "report": via_inspection(Report),
        "returnreason": via_inspection(ReturnReason), "signoff": via_inspection(SignOff),
        "rectificationtask": via_inspection(RectificationTask),
        "user": exists(target, (Region, target.region_id == Region.id)),
        "notice": via_site(Notice), "fundmember": via_site(FundMember),
        "fundcommitment": exists(FundCommitment, (FundMember, FundMember.id == FundCommitment.member_id),
                                 (Site, Site.id == FundMember.site_id), (Region, Site.region_id == Region.id)),
        "red_landmark": via_site(RedLandmarkApplication), "redlandmarkapplication": via_site(RedLandmarkApplication),
        "micro_project": via_site(MicroProject), "microproject": via_site(MicroProject),
        "objection": exists(Objection, (Notice, Notice.id == Objection.notice_id), (Site, Site.id == Notice.site_id),
                            (Region, Site.region_id == Region.id)),
        "programstep": exists(ProgramStep, (Region, ProgramStep.region_id == Region.id)),
    }
    return or_(*(and_(AuditLog.entity == name, exists) for name, exists in branches.items()))


class FilterError(DomainError):
    """A filter value that cannot be used (a malformed date): 422."""


def _day_start(value: str, word: str) -> datetime:
    """Midnight in China of a yyyy-mm-dd date, as UTC."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{word}应为日期（年-月-日），而不是 {value!r}") from None
    return clock.day_start(day)


def _conditions(region: Region, filters: dict[str, Any]):
    """The WHERE conditions for the audit rows this region may see, narrowed by the filters."""
    conditions = []
    if region.parent_id is not None:  # the top of the tree sees everything, including rows about nothing
        conditions.append(visible_in(region.path))
    if filters.get("user"):
        conditions.append(AuditLog.user_id == filters["user"])
    if filters.get("action"):
        conditions.append(AuditLog.action == filters["action"])
    if filters.get("entity"):
        conditions.append(AuditLog.entity == filters["entity"])
    if filters.get("entity_id"):
        conditions.append(AuditLog.entity_id == filters["entity_id"])
    if filters.get("from"):
        conditions.append(AuditLog.at >= _day_start(filters["from"], "起始日期"))
    if filters.get("to"):
        conditions.append(AuditLog.at < _day_start(filters["to"], "截止日期") + timedelta(days=1))
    return conditions


def _rows(session: Session, conditions, *, limit: int, offset: int = 0) -> list[dict]:
    """Audit rows newest first, with the actor's name and the changes ready to show."""
    actor = aliased(User)
    stmt = (select(AuditLog, actor.display_name).outerjoin(actor, actor.id == AuditLog.user_id)
            .where(*conditions).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset))
    return [{"row": row, "who": who, "changes": changes(row.before, row.after)}
            for row, who in session.exec(stmt).all()]


def _shown(value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None:
        return "—"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """Before → after as (field, before, after) lines in words; a password (or its hash) is never shown."""
    def clean(key: str, value: Any) -> str:
        if "password" in key.lower():
            return "（已隐藏）"
        words = VALUE_WORDS.get(key)
        return words.get(value, _shown(value)) if words and isinstance(value, str) else _shown(value)

    if isinstance(before, dict) or isinstance(after, dict):
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        keys = list(b) + [k for k in a if k not in b]
        return [(FIELD_WORDS.get(k, k), clean(k, b[k]) if k in b else "", clean(k, a[k]) if k in a else "")
                for k in keys]
    if before is None and after is None:
        return []
    return [("", "" if before is None else _shown(before), "" if after is None else _shown(after))]


def visible_to(*, session: Session, user: User):
    """SQL condition: the audit rows this user's region may see (everything at the top of the tree)."""
    region = scope.region_of(session=session, user=user)
    return true() if region.parent_id is None else visible_in(region.path)


def search(*, session: Session, region: Region, filters: dict[str, Any], limit: int,
           offset: int = 0) -> tuple[list[dict], int]:
    """Audit rows of a region narrowed by filters, newest first, and how many there are; FilterError if bad."""
    conditions = _conditions(region, filters)
    total = session.exec(select(func.count()).select_from(AuditLog).where(*conditions)).one()
    return _rows(session, conditions, limit=limit, offset=offset), total


def recent(*, session: Session, region: Region, entity: str, entity_id: int, limit: int) -> list[dict]:
    """The newest audit rows about one record, as the region may see them."""
    return _rows(session, _conditions(region, {"entity": entity, "entity_id": entity_id}), limit=limit)


def people(*, session: Session, region: Region) -> list[User]:
    """The users of a region's subtree, for the log's "who" filter."""
    return list(session.exec(select(User).join(Region, User.region_id == Region.id)
                             .where(Region.path.startswith(region.path)).order_by(User.display_name)).all())
