"""Sign in and out, change one's password (Flask-Login sessions, argon2, throttled guesses)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session, url_for)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import BadRequest

from ..runtime import get_db
from ..models import User
from ..services import throttle, users
from . import errors
from .work import unit_of_work

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.session_protection = "strong"


class SessionUser:
    """The signed-in user as Flask-Login sees it (a thin wrapper over the row and its session token)."""

    def __init__(self, row: User, token: str):
        self.row = row
        self.token = token
        self.id = row.id
        self.is_active = row.active
        self.is_authenticated = True
        self.is_anonymous = False

    def get_id(self) -> str:
        return f"{self.row.id}.{self.token}"

    def __getattr__(self, name):
        return getattr(self.row, name)


@login_manager.user_loader
def _load_user(user_id: str):
    """The session's user, if its server-side session is still open and the account active."""
    claim = users.claim_of(user_id)
    if claim is None:
        return None
    row = users.session_user(session=get_db(), claim=claim, lifetime=lifetime())
    return SessionUser(row, claim.token) if row is not None else None


def session_claim() -> users.Claim | None:
    """What this request's session claims, after Flask-Login's session-protection check (the one its
    user loader runs first), without reading the user: for a view that reads the user with its own
    query and then hands it over with `adopt` (the save)."""
    if login_manager._session_protection_failed():
        return None
    return users.claim_of(session.get("_user_id"))


def adopt(row: User | None, claim: users.Claim) -> bool:
    """Make the user a view read for a claim (users.SESSION_MATCH: None when the session is not
    open or the account inactive) this request's signed-in user; whether someone is signed in."""
    login_manager._update_request_context_with_user(SessionUser(row, claim.token) if row is not None else None)
    return row is not None


def lifetime() -> timedelta:
    """How long a server-side session stays open after sign-in."""
    return current_app.permanent_session_lifetime


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return url_for("main.home")


def _limits() -> throttle.Limits:
    return throttle.Limits.from_config(current_app.config)


def _ip() -> str:
    """The client's address (behind a reverse proxy, configure ProxyFix so this is the real one)."""
    return request.remote_addr or "unknown"


def _start_session(row: User) -> None:
    """A fresh session for the signed-in user (nothing from before survives: no session fixation),
    backed by a server-side row that sign-out ends. Commits."""
    with unit_of_work() as db:
        token = users.open_session(session=db, user=row, ip=_ip())
    session.clear()
    login_user(SessionUser(row, token), remember=False)
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with username and password (throttled per account and per address)."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error, status, wait = None, 200, None
    if request.method == "POST":
        with unit_of_work() as db:  # the attempt is stored whatever its outcome
            result = users.sign_in(session=db, username=request.form.get("username", "").strip()[:64],
                                   password=request.form.get("password", ""), ip=_ip(), limits=_limits(),
                                   keep=timedelta(days=current_app.config.get("LOGIN_ATTEMPTS_KEEP_DAYS", 90)))
        if result.user is not None:
            _start_session(result.user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        error, wait = result.error, result.wait_minutes
        status = 429 if wait is not None else 422
    headers = {"Retry-After": str(wait * 60)} if wait is not None else {}
    return render_template("auth/login.html", error=error), status, headers


@bp.post("/logout")
@login_required
def logout():
    """Sign out: the server-side session ends (a copied cookie stops working too), the cookie is emptied."""
    with unit_of_work() as db:
        users.end_session(session=db, token=current_user.token)
    logout_user()
    session.clear()
    flash("已退出登录")
    return redirect(url_for("auth.login"), code=303)


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Sign out on every device: every open session of this account ends at once."""
    with unit_of_work() as db:
        ended = users.end_all_sessions(session=db, user=db.get(User, current_user.row.id))
    logout_user()
    session.clear()
    flash(f"已在所有设备上退出登录（{ended} 个会话）")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password: the current one, then the new one twice."""
    error, status = None, 200
    if request.method == "POST":
        row = get_db().get(User, current_user.row.id)
        wait = throttle.wait_minutes(session=get_db(), username=row.username, ip=_ip(), limits=_limits())
        if wait is not None:
            error, status = f"登录失败次数过多，请 {wait} 分钟后再试", 429
        else:
            error = _change_password(row, request.form)
            if error is None:
                _start_session(row)  # the old sessions end with the old password; this one goes on
                flash("密码已修改")
                return redirect(url_for("main.home"), code=303)
            status = 422
    return render_template("auth/password.html", error=error, min_length=users.MIN_PASSWORD), status


def _change_password(row: User, form) -> str | None:
    """Change the password (committed), or the reason it was refused; a wrong current password
    counts as a failed sign-in (that attempt is stored, the change is not)."""
    try:
        with unit_of_work() as db:
            users.change_password(session=db, user=row, current=form.get("current", ""),
                                  new=form.get("new", ""), repeat=form.get("repeat", ""))
    except users.UserError as exc:
        if str(exc) == "当前密码不正确":
            with unit_of_work() as db:
                throttle.record(session=db, username=row.username, ip=_ip(), ok=False)
        return str(exc)
    return None


_CSRF_REASONS = {
    "The CSRF token is missing.": "缺少安全令牌（CSRF），请刷新页面后重新提交",
    "The CSRF session token is missing.": "页面已过期（登录状态已变），请刷新页面后重新提交",
    "The CSRF token is invalid.": "安全令牌（CSRF）无效，请刷新页面后重新提交",
    "The CSRF tokens do not match.": "安全令牌（CSRF）与当前会话不符，请刷新页面后重新提交",
    "The CSRF token has expired.": "安全令牌（CSRF）已过期，请刷新页面后重新提交",
    "The referrer header is missing.": "请求缺少来源信息（Referer），已拒绝",
    "The referrer does not match the host.": "请求来源与本站不符，已拒绝",
}


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    """A POST without a valid CSRF token: 400 with the reason in Chinese (a fragment for htmx)."""
    reason = _CSRF_REASONS.get(exc.description, "安全令牌（CSRF）校验失败，请刷新页面后重新提交")
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        return f'<p class="error" role="alert" data-csrf>{escape(reason)}</p>', 400
    return errors.http_error(BadRequest(description=reason))
