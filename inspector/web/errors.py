"""Errors answered as a page (or JSON for API clients), in Chinese. Every handler first rolls the
request's database session back, so rendering the page never meets a failed transaction."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, render_template, request
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge, SecurityError

from ..core.errors import DomainError
from ..services.rights import Forbidden

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

_TITLES = {400: "请求有误", 403: "没有权限", 404: "找不到页面", 405: "不支持的操作", 409: "数据冲突",
           413: "文件过大", 415: "格式不支持", 422: "填写有误", 428: "缺少版本信息", 429: "请求过多",
           500: "服务器出错", 503: "暂时无法服务"}
_DEFAULT_REASONS = {404: "网址有误，或这条记录不存在", 405: "这个网址不支持这种请求方式",
                    500: "服务器处理请求时出错，已记录；请稍后再试", 503: "数据库暂时无法连接，请稍后再试"}


def rollback() -> None:
    """Roll the request's session back (if it has one and it can be)."""
    session = g.get("db")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - a dead connection: drop the session, render anyway
            g.pop("db", None)


def _size(n: int) -> str:
    """A byte count for people: MB from 1 MB up, else KB."""
    return f"{n / 1048576:.1f}".removesuffix(".0") + " MB" if n >= 1048576 else f"{max(1, round(n / 1024))} KB"


def _reason(exc: HTTPException) -> str:
    """The exception's Chinese reason (werkzeug's English defaults are not shown)."""
    code = exc.code or 500
    if code == 413 and exc.description == RequestEntityTooLarge.description:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        size = request.content_length
        got = f"（本次 {_size(size)}）" if size else ""
        return f"请求内容过大{got}，上限是 {_size(limit)}；请分批上传，未保存任何内容"
    text = exc.description or ""
    if not text or text.startswith(("The ", "A ", "Host ", "Request ", "You ", "This ", "Unable ")) \
            or text.isascii():
        return _DEFAULT_REASONS.get(code, "")
    return text


def render_error(code: int, reason: str, title: str | None = None):
    """The error page (or JSON) for a status and a reason; never touches the database itself."""
    title = title or _TITLES.get(code, "出错了")
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "reason": reason}, code
    try:
        return render_template("errors/error.html", code=code, title=title, reason=reason), code
    except Exception:  # noqa: BLE001 - the page itself failed (e.g. no database for the menu): plain text
        log.exception("error page failed")
        return f"{title}：{reason}", code, {"Content-Type": "text/plain; charset=utf-8"}


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """An HTTP error with its reason."""
    rollback()
    return render_error(exc.code or 500, _reason(exc), _TITLES.get(exc.code or 500, exc.name))


@bp.app_errorhandler(SecurityError)
def untrusted_host(_exc: SecurityError):
    """A Host header the app does not serve (TRUSTED_HOSTS): refused, nothing is built from it."""
    return render_error(400, "请求的主机名不在本站受信任的主机列表中，已拒绝")


@bp.app_errorhandler(Forbidden)
def forbidden(exc: Forbidden):
    """A role that may not do this: 403 with the reason (which roles may)."""
    return http_error(HTTPForbidden(description=str(exc)))


@bp.app_errorhandler(DomainError)
def domain_error(exc: DomainError):
    """A refusal from a service: rolled back, then its status with its Chinese reason."""
    rollback()
    return render_error(exc.status, exc.message)


def _database_down(exc: Exception) -> bool:
    """Whether the error says the database cannot be reached or has no schema (not a bad statement)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, (OperationalError, InterfaceError)) and not isinstance(exc, DataError) and any(
        s in text for s in ("connect", "no such table", "does not exist", "unable to open", "server closed",
                            "terminating connection", "connection refused", "database is locked")) \
        or isinstance(exc, ProgrammingError) and ("does not exist" in text or "undefinedtable" in text)


@bp.app_errorhandler(Exception)
def unexpected(exc: Exception):
    """Anything else: rolled back first, then 503 for a missing database, 422/409 for a value the
    database refuses, 500 otherwise — always a Chinese page, never a bare one."""
    rollback()
    if isinstance(exc, (OperationalError, InterfaceError, ProgrammingError)) and _database_down(exc):
        log.error("database unavailable: %s", exc)
        text = str(getattr(exc, "orig", exc)).lower()
        reason = ("数据库尚未建立数据表（请运行 flask db upgrade）" if "no such table" in text or "undefinedtable" in text
                  or "relation" in text else "无法连接数据库（数据库不存在或未启动），请稍后再试或联系管理员")
        return render_error(503, reason)
    if isinstance(exc, DataError):
        return render_error(422, "输入的值超出数据库允许的范围（过长或过大），未保存")
    if isinstance(exc, IntegrityError):
        log.warning("integrity error: %s", exc)
        return render_error(409, "与已有记录冲突（可能是重复提交或他人刚刚做了同样的操作），未保存；请刷新页面后查看")
    log.exception("unexpected error", exc_info=exc)
    return render_error(500, _DEFAULT_REASONS[500], _TITLES[500])


__all__ = ["bp", "http_error", "render_error", "rollback", "InternalServerError"]
