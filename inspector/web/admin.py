"""Administration: users (admin) and the audit log (county, city, admin), both scoped to the viewer's region."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.clock import CHINA
from ..runtime import get_db
from ..models import ROLES, Region, User
from ..services import audit as audit_log
from ..services import regions, rights, scope, users
from . import render
from .work import unit_of_work

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

def _int_arg(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _regions_choice() -> list[Region]:
    """The regions of the admin's subtree, in tree order (for pickers and filters)."""
    return sorted(regions.subtree(session=get_db(), region=_my_region()),
                  key=lambda r: [int(x) for x in r.path.strip("/").split("/")])


def _chosen_region(region_id: int | None, mine: Region) -> Region | None:
    """A region of the admin's subtree picked as a filter (None: not narrowed), or 404."""
    if region_id is None:
        return None
    chosen = get_db().get(Region, region_id)
    if chosen is None or not chosen.path.startswith(mine.path):
        abort(404, description="没有这个区划")
    return chosen


@bp.get("/users")
@login_required
def users_list():
    """Users of the admin's region, filtered by role, region and activity, sorted by a column."""
    rights.require(_me(), "manage_users")
    mine = _my_region()
    args = request.args
    role = args.get("role", "") if args.get("role", "") in ROLES else ""
    region_id = _int_arg(args.get("region"))
    active = args.get("active", "") if args.get("active", "") in ("1", "0") else ""
    q = args.get("q", "").strip()[:64]
    sort = args.get("sort", "region") if args.get("sort", "region") in users.SORTS else "region"
    desc = args.get("dir") == "desc"
    page = max(args.get("page", 1, type=int) or 1, 1)
    wanted = users.ListFilters(within=mine, region=_chosen_region(region_id, mine), role=role, active=active, q=q)
    rows, total = users.listing(session=get_db(), filters=wanted, sort=sort, desc=desc, limit=USERS_PER_PAGE,
                                offset=(page - 1) * USERS_PER_PAGE)
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
    form = request.form
    try:
        if form.get("password", "") != form.get("repeat", ""):
            raise users.UserError("两次输入的密码不一致")
        region = _form_region(form.get("region"))
        with unit_of_work() as session:
            row = users.create(session=session, username=form.get("username", ""),
                               display_name=form.get("display_name", ""), role=form.get("role", ""), region=region,
                               password=form.get("password", ""), by=_me())
    except users.UserError as exc:  # the form again, with the reason
        return _new_page(form, str(exc), 422)
    flash(f"已创建用户 {row.username}")
    return redirect(url_for("admin.edit_user", user_id=row.id), code=303)


def _edit_page(row: User, form=None, error: str | None = None, status: int = 200, reset_error: str | None = None):
    session = get_db()
    recent = audit_log.recent(session=get_db(), region=_my_region(), entity="user", entity_id=row.id, limit=10) \
        if rights.can(_me(), "audit_log") else []
    return render_template("admin/user_edit.html", user=row, region_of_user=session.get(Region, row.region_id),
                           form=form, roles=ROLES, region_choices=_regions_choice(), role_levels=users.ROLE_LEVELS,
                           error=error, reset_error=reset_error, recent=recent, min_length=users.MIN_PASSWORD,
                           is_me=row.id == _me().id, actions=audit_log.ACTION_WORDS, entities=audit_log.ENTITY_WORDS,
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
    row = _user_in_scope(user_id)
    form = request.form
    try:
        with unit_of_work() as session:
            changed = users.update(session=session, user=row, by=_me(), display_name=form.get("display_name", ""),
                                   role=form.get("role", ""), region=_form_region(form.get("region")),
                                   active=form.get("active") == "1")
    except users.UserError as exc:  # the form again, with the reason
        return _edit_page(get_db().get(User, user_id), form=form, error=str(exc), status=422)
    flash("已保存" if changed else "没有改动")
    return redirect(url_for("admin.edit_user", user_id=row.id), code=303)


@bp.post("/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int):
    """Set a new password for a user (they should change it after signing in)."""
    rights.require(_me(), "manage_users")
    row = _user_in_scope(user_id)
    form = request.form
    try:
        if form.get("password", "") != form.get("repeat", ""):
            raise users.UserError("两次输入的密码不一致")
        with unit_of_work() as session:
            users.reset_password(session=session, user=row, password=form.get("password", ""), by=_me())
    except users.UserError as exc:  # the form again, with the reason
        return _edit_page(get_db().get(User, user_id), reset_error=str(exc), status=422)
    flash(f"已重置 {row.username} 的密码；该用户在其他设备上的登录已失效")
    return redirect(url_for("admin.edit_user", user_id=row.id), code=303)


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
        rows, total = audit_log.search(session=session, region=region, filters=filters, limit=AUDIT_PER_PAGE,
                                       offset=(page - 1) * AUDIT_PER_PAGE)
    except audit_log.FilterError as exc:
        error = str(exc)
    people = audit_log.people(session=session, region=region)
    return render("admin/audit.html", "admin/_audit.html", rows=rows, total=total, page=page,
                  pages=max((total + AUDIT_PER_PAGE - 1) // AUDIT_PER_PAGE, 1), filters=filters, people=people,
                  actions=audit_log.ACTION_WORDS, entities=audit_log.ENTITY_WORDS, region=region, error=error,
                  query={k: v for k, v in filters.items() if v},
                  can_manage=rights.can(me, "manage_users")), 422 if error else 200
