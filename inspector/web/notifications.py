"""In-app notifications: the bell's count in the header, the list, and opening one (marks it read)."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..runtime import get_db
from ..services import notifications
from .work import commits

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# Where a notification or a to-do entry leads: target → (endpoint, argument name).
ENDPOINTS = {
    "inspection": ("inspections.summary", "inspection_id"),
    "review": ("review.review", "inspection_id"),
    "sign": ("review.sign_form", "inspection_id"),
    "walk": ("inspections.walk", "inspection_id"),
    "micro": ("micro.detail", "project_id"),
    "landmark": ("landmark.detail", "application_id"),
    "notice": ("notices.public", "public_id"),
}
KIND_LABELS = {"returned": "退回", "approved": "审核通过", "rejected": "验收不通过", "accepted": "验收生效",
               "sign": "待签字", "tasks": "整改任务", "submitted": "待审核", "step": "待办环节"}


def target_url(target: str, key) -> str:
    """The page a notification or to-do entry leads to."""
    endpoint, arg = ENDPOINTS.get(target, ("main.home", None))
    return url_for(endpoint, **({arg: key} if arg and key is not None else {}))


def unread_notifications() -> int:
    """The signed-in user's unread count, once per request (0 when signed out)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = notifications.unread_count(session=get_db(), user=current_user.row)
    return g.unread_notifications


def register(app: Flask) -> None:
    """The blueprint and the template helpers (the bell in templates/_bell.html)."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(unread_notifications=unread_notifications, target_url=target_url,
                                 NOTIFICATION_KINDS=KIND_LABELS)


@bp.get("/")
@login_required
def index():
    """The user's notifications, unread first."""
    rows = notifications.listing(session=get_db(), user=current_user.row)
    return render_template("notifications/index.html", rows=rows)


@bp.post("/<int:notification_id>/open")
@login_required
@commits
def open_(notification_id: int):
    """Mark one notification read and go to what it is about."""
    session = get_db()
    row = notifications.get(session=session, user=current_user.row, notification_id=notification_id)
    if row is None:
        abort(404, description="没有这条通知")
    notifications.mark_read(session=session, row=row)
    return redirect(target_url(row.target, row.target_id), code=303)


@bp.post("/read")
@login_required
@commits
def read_all():
    """Mark every notification read."""
    notifications.mark_all_read(session=get_db(), user=current_user.row)
    return redirect(url_for("notifications.index"), code=303)
