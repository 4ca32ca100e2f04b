"""Administration: users (admin) and the audit log (county, city, admin), both scoped to the viewer's region."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import select

from .. import CHINA, get_db
from ..core import scoring
from ..models import (LABELS, ROLE_LABELS, ROLES, Answer, AuditLog, FundCommitment, FundMember, Inspection,
                      MicroProject, Notice, Objection, Photo, ProgramStep, RectificationTask, RedLandmarkApplication,
                      Region, Report, ReturnReason, SignOff, Site, User)
from ..services import regions, rights, scope, users
from . import render

bp = Blueprint("admin", __name__, url_prefix="/admin")

USERS_PER_PAGE = 50
AUDIT_PER_PAGE = 50


@bp.app_template_filter("admin_time")
def admin_time(moment: datetime | None, seconds: bool = False) -> str:
    """A stored moment as China time (stored as UTC; a naive value is UTC)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _me() -> User:
    return current_user.row


def _my_region() -> Region:
    return scope.region_of(session=get_db(), user=_me())


@bp.get("/")
@login_required
def index():
    """What this account may administer: users, the audit log."""
    me = _me()
    if not (rights.can(me, "manage_users") or rights.can(me, "audit_log")):
        rights.require(me, "audit_log")
    return render_template("admin/index.html", region=_my_region(), can_manage=rights.can(me, "manage_users"),
                           can_audit=rights.can(me, "audit_log"))


# ---------------------------------------------------------------- users

SORTS = {"username": User.username, "name": User.display_name, "role": User.role, "region": Region.path,
         "created": User.created_at, "active": User.active}


def _int_arg(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _regions_choice() -> list[Region]:
    """The regions of the admin's subtree, in tree order (for pickers and filters)."""
    return sorted(regions.subtree(session=get_db(), region=_my_region()),
                  key=lambda r: [int(x) for x in r.path.strip("/").split("/")])


@bp.get("/users")
@login_required
def users_list():
    """Users of the admin's region, filtered by role, region and activity, sorted by a column."""
    rights.require(_me(), "manage_users")
    session = get_db()
    mine = _my_region()
    args = request.args
    role = args.get("role", "") if args.get("role", "") in ROLES else ""
    region_id = _int_arg(args.get("region"))
    active = args.get("active", "") if args.get("active", "") in ("1", "0") else ""
    q = args.get("q", "").strip()[:64]
    sort = args.get("sort", "region") if args.get("sort", "region") in SORTS else "region"
    desc = args.get("dir") == "desc"
    page = max(args.get("page", 1, type=int) or 1, 1)

    stmt = select(User, Region).join(Region, User.region_id == Region.id).where(Region.path.startswith(mine.path))
    if role:
        stmt = stmt.where(User.role == role)
    if region_id is not None:
        chosen = session.get(Region, region_id)
        if chosen is None or not chosen.path.startswith(mine.path):
            abort(404, description="没有这个区划")
        stmt = stmt.where(Region.path.startswith(chosen.path))
    if active:
        stmt = stmt.where(User.active.is_(active == "1"))
    if q:
        stmt = stmt.where(or_(User.username.contains(q, autoescape=True),
                              User.display_name.contains(q, autoescape=True)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    column = SORTS[sort]
    order = [column.desc() if desc else column.asc(), User.username.asc()]
    rows = session.exec(stmt.order_by(*order).limit(USERS_PER_PAGE).offset((page - 1) * USERS_PER_PAGE)).all()
    filters = {"role": role, "region": region_id or "", "active": active, "q": q}
    return render("admin/users.html", "admin/_users.html", rows=rows, total=total, page=page,
                  query={k: v for k, v in filters.items() if v},
                  pages=max((total + USERS_PER_PAGE - 1) // USERS_PER_PAGE, 1), sort=sort, desc=desc,
                  filters=filters, roles=ROLES, region_choices=_regions_choice(), region=mine)


def _form_region(value: str | None) -> Region:
    """The region picked in a form: 422 when none, 404 when outside the admin's subtree."""
    region_id = _int_arg(value)
    if region_id is None:
        raise users.UserError("请选择所属区划")
    region = get_db().get(Region, region_id)
    if region is None or not region.path.startswith(_my_region().path):
        abort(404, description="没有这个区划")
    return region


def _user_in_scope(user_id: int) -> User:
    """A user of the admin's region, or 404."""
    session = get_db()
    row = session.get(User, user_id)
    if row is None or not scope.covers(session=session, user=_me(), region_id=row.region_id):
        abort(404, description="没有这个用户")
    return row


def _new_page(form, error: str | None = None, status: int = 200):
    return render_template("admin/user_new.html", form=form, roles=ROLES, region_choices=_regions_choice(),
                           role_levels=users.ROLE_LEVELS, error=error, min_length=users.MIN_PASSWORD), status


@bp.get("/users/new")
@login_required
def new_user():
    """The form for a new user."""
    rights.require(_me(), "manage_users")
    return _new_page({})


@bp.post("/users")
@login_required
def create_user():
    """Create a user in the admin's region (role bound to a region of its level)."""
    rights.require(_me(), "manage_users")
    session = get_db()
    form = request.form
    try:
        if form.get("password", "") != form.get("repeat", ""):
            raise users.UserError("两次输入的密码不一致")
        region = _form_region(form.get("region"))
        row = users.create(session=session, username=form.get("username", ""),
                           display_name=form.get("display_name", ""), role=form.get("role", ""), region=region,
                           password=form.get("password", ""), by=_me())
        session.commit()
    except users.UserError as exc:
        session.rollback()
        return _new_page(form, str(exc), 422)
    flash(f"已创建用户 {row.username}")
    return redirect(url_for("admin.edit_user", user_id=row.id), code=303)


def _edit_page(row: User, form=None, error: str | None = None, status: int = 200, reset_error: str | None = None):
    session = get_db()
    recent = _audit_rows(_audit_query(_my_region(), {"entity": "user", "entity_id": row.id}), limit=10) \
        if rights.can(_me(), "audit_log") else []
    return render_template("admin/user_edit.html", user=row, region_of_user=session.get(Region, row.region_id),
                           form=form, roles=ROLES, region_choices=_regions_choice(), role_levels=users.ROLE_LEVELS,
                           error=error, reset_error=reset_error, recent=recent, min_length=users.MIN_PASSWORD,
                           is_me=row.id == _me().id, actions=ACTION_WORDS, entities=ENTITY_WORDS,
                           can_manage=True), status


@bp.get("/users/<int:user_id>")
@login_required
def edit_user(user_id: int):
    """One user: change name, role, region, activity; reset the password."""
    rights.require(_me(), "manage_users")
    return _edit_page(_user_in_scope(user_id))


@bp.post("/users/<int:user_id>")
@login_required
def update_user(user_id: int):
    """Save a user's name, role, region and activity (audited)."""
    rights.require(_me(), "manage_users")
    session = get_db()
    row = _user_in_scope(user_id)
    form = request.form
    try:
        changed = users.update(session=session, user=row, by=_me(), display_name=form.get("display_name", ""),
                               role=form.get("role", ""), region=_form_region(form.get("region")),
                               active=form.get("active") == "1")
        session.commit()
    except users.UserError as exc:
        session.rollback()
        return _edit_page(session.get(User, user_id), form=form, error=str(exc), status=422)
    flash("已保存" if changed else "没有改动")
    return redirect(url_for("admin.edit_user", user_id=row.id), code=303)


@bp.post("/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int):
    """Set a new password for a user (they should change it after signing in)."""
    rights.require(_me(), "manage_users")
    session = get_db()
    row = _user_in_scope(user_id)
    form = request.form
    try:
        if form.get("password", "") != form.get("repeat", ""):
            raise users.UserError("两次输入的密码不一致")
        users.reset_password(session=session, user=row, password=form.get("password", ""), by=_me())
        session.commit()
    except users.UserError as exc:
        session.rollback()
        return _edit_page(session.get(User, user_id), reset_error=str(exc), status=422)
    flash(f"已重置 {row.username} 的密码；该用户在其他设备上的登录已失效")
    return redirect(url_for("admin.edit_user", user_id=row.id), code=303)


# ---------------------------------------------------------------- audit log

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
               "verdict": scoring.VERDICT_LABELS}


def _under(path: str):
    """Region.path condition: the region lies inside the viewer's subtree."""
    return Region.path.startswith(path)


def _visibility(path: str):
    """SQL condition: the audit row's entity lies in the region subtree `path` (correlated EXISTS).

    inspection, answer, photo, report and the review rows → their inspection's site; site → its region;
    user → the user's region; notice, red-landmark application, micro project, fund member → their site;
    fund commitment → its member's site; objection → its notice's site; program step → its region.
    Rows about anything else (or about a deleted record) are not shown below the top of the tree.
    """
    def via_inspection(model):
        return (select(literal(1)).select_from(model).join(Inspection, Inspection.id == model.inspection_id)
                .join(Site, Site.id == Inspection.site_id).join(Region, Site.region_id == Region.id)
                .where(model.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists())

    def via_site(model):
        return (select(literal(1)).select_from(model).join(Site, Site.id == model.site_id)
                .join(Region, Site.region_id == Region.id)
                .where(model.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists())

    target = aliased(User)
    inspection_alias = aliased(Inspection)
    branches = {
        "site": (select(literal(1)).select_from(Site).join(Region, Site.region_id == Region.id)
                 .where(Site.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()),
        "inspection": (select(literal(1)).select_from(inspection_alias)
                       .join(Site, Site.id == inspection_alias.site_id).join(Region, Site.region_id == Region.id)
                       .where(inspection_alias.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()),
        "answer": via_inspection(Answer), "photo": via_inspection(Photo), "report": via_inspection(Report),
        "returnreason": via_inspection(ReturnReason), "signoff": via_inspection(SignOff),
        "rectificationtask": via_inspection(RectificationTask),
        "user": (select(literal(1)).select_from(target).join(Region, target.region_id == Region.id)
                 .where(target.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()),
        "notice": via_site(Notice), "fundmember": via_site(FundMember),
        "fundcommitment": (select(literal(1)).select_from(FundCommitment)
                           .join(FundMember, FundMember.id == FundCommitment.member_id)
                           .join(Site, Site.id == FundMember.site_id).join(Region, Site.region_id == Region.id)
                           .where(FundCommitment.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()),
        "red_landmark": via_site(RedLandmarkApplication), "redlandmarkapplication": via_site(RedLandmarkApplication),
        "micro_project": via_site(MicroProject), "microproject": via_site(MicroProject),
        "objection": (select(literal(1)).select_from(Objection).join(Notice, Notice.id == Objection.notice_id)
                      .join(Site, Site.id == Notice.site_id).join(Region, Site.region_id == Region.id)
                      .where(Objection.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()),
        "programstep": (select(literal(1)).select_from(ProgramStep).join(Region, ProgramStep.region_id == Region.id)
                        .where(ProgramStep.id == AuditLog.entity_id, _under(path)).correlate(AuditLog).exists()),
    }
    return or_(*(and_(AuditLog.entity == name, exists) for name, exists in branches.items()))


class FilterError(ValueError):
    """A filter value that cannot be used (a malformed date)."""


def _day_start(value: str, word: str) -> datetime:
    """Midnight in China of a yyyy-mm-dd date, as UTC."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{word}应为日期（年-月-日），而不是 {value!r}") from None
    return datetime.combine(day, time(0), CHINA).astimezone(timezone.utc)


def _audit_query(region: Region, filters: dict[str, Any]):
    """The WHERE conditions for the audit rows this region may see, narrowed by the filters."""
    conditions = []
    if region.parent_id is not None:  # the top of the tree sees everything, including rows about nothing
        conditions.append(_visibility(region.path))
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


def _audit_rows(conditions, *, limit: int, offset: int = 0) -> list[dict]:
    """Audit rows newest first, with the actor's name and the changes ready to show."""
    actor = aliased(User)
    stmt = (select(AuditLog, actor.display_name).outerjoin(actor, actor.id == AuditLog.user_id)
            .where(*conditions).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset))
    return [{"row": row, "who": who, "changes": changes(row.before, row.after)}
            for row, who in get_db().exec(stmt).all()]


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


@bp.get("/audit")
@login_required
def audit():
    """The audit log of the viewer's region: who, when, what, before → after; filtered and paginated."""
    me = _me()
    rights.require(me, "audit_log")
    session = get_db()
    region = _my_region()
    args = request.args
    filters = {"user": _int_arg(args.get("user")), "action": args.get("action", "").strip()[:40],
               "entity": args.get("entity", "").strip()[:40], "entity_id": _int_arg(args.get("entity_id")),
               "from": args.get("from", "").strip(), "to": args.get("to", "").strip()}
    page = max(args.get("page", 1, type=int) or 1, 1)
    error, rows, total = None, [], 0
    try:
        conditions = _audit_query(region, filters)
        total = session.exec(select(func.count()).select_from(AuditLog).where(*conditions)).one()
        rows = _audit_rows(conditions, limit=AUDIT_PER_PAGE, offset=(page - 1) * AUDIT_PER_PAGE)
    except FilterError as exc:
        error = str(exc)
    people = session.exec(select(User).join(Region, User.region_id == Region.id)
                          .where(Region.path.startswith(region.path)).order_by(User.display_name)).all()
    return render("admin/audit.html", "admin/_audit.html", rows=rows, total=total, page=page,
                  pages=max((total + AUDIT_PER_PAGE - 1) // AUDIT_PER_PAGE, 1), filters=filters, people=people,
                  actions=ACTION_WORDS, entities=ENTITY_WORDS, region=region, error=error,
                  query={k: v for k, v in filters.items() if v},
                  can_manage=rights.can(me, "manage_users")), 422 if error else 200
