"""Errors answered as a page (or JSON for API clients), in Chinese."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import HTTPException

from ..services.rights import Forbidden

bp = Blueprint("errors", __name__)

_TITLES = {400: "请求有误", 403: "没有权限", 404: "找不到页面", 405: "不支持的操作", 409: "数据冲突",
           413: "文件过大", 422: "填写有误", 500: "服务器出错"}


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """An HTTP error with its reason."""
    code = exc.code or 500
    reason = exc.description if exc.description and not exc.description.startswith(("The ", "A ")) else ""
    if request.accept_mimetypes.best == "application/json":
        return {"error": _TITLES.get(code, exc.name), "reason": reason}, code
    return render_template("errors/error.html", code=code, title=_TITLES.get(code, exc.name), reason=reason), code


@bp.app_errorhandler(Forbidden)
def forbidden(exc: Forbidden):
    """A role that may not do this: 403 with the reason (which roles may)."""
    return http_error(HTTPForbidden(description=str(exc)))
