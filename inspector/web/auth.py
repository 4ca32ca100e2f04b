"""Sign in and out (Flask-Login sessions, argon2 passwords)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from .. import get_db
from ..models import User
from ..services import users

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.session_protection = "strong"


class SessionUser:
    """The signed-in user as Flask-Login sees it (a thin wrapper over the row)."""

    def __init__(self, row: User):
        self.row = row
        self.id = row.id
        self.is_active = row.active
        self.is_authenticated = True
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.row.id)

    def __getattr__(self, name):
        return getattr(self.row, name)


@login_manager.user_loader
def _load_user(user_id: str):
    row = get_db().get(User, int(user_id)) if user_id.isdigit() else None
    return SessionUser(row) if row is not None and row.active else None


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        row = users.by_username(session=get_db(), username=request.form.get("username", "").strip())
        if row is not None and row.active and users.check_password(row, request.form.get("password", "")):
            login_user(SessionUser(row), remember=False)
            return redirect(_safe_next(request.args.get("next")), code=303)
        error = "用户名或密码不正确"
    return render_template("auth/login.html", error=error), 422 if error else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    logout_user()
    flash("已退出登录")
    return redirect(url_for("auth.login"), code=303)
