"""Request hardening in one place: bounded integer ids in URLs, one input layer (no NUL, no
over-long text, no dates outside 1900–2100), trusted hosts, the canonical public URL for printed
links, and the security and caching headers of every response."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # PostgreSQL `integer`: larger ids cannot exist, so they are not found (404)

# Longest text accepted per field; fields not named here take FIELD_MAX (form) or QUERY_MAX (query).
FIELD_LIMITS = {"client_id": 64, "device_id": 64, "username": 64, "base_version": 12, "csrf_token": 200}
FIELD_MAX = 20_000  # a long note or a reason; stored columns are shorter and say so themselves
QUERY_MAX = 500
DATE = re.compile(r"^\s*(\d{4,})-(\d{1,2})-(\d{1,2})")
YEARS = (1900, 2100)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


class IdConverter(IntegerConverter):
    """An integer id in a URL: 1–10 digits and at most 2³¹−1, anything else is no match (404)."""

    regex = r"\d{1,10}"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


class InputRefused(BadRequest):
    """A request field the app refuses before any view reads it (400, the reason in Chinese)."""


def _check_value(where: str, name: str, value: str, limit: int) -> None:
    """Raise InputRefused for NUL, over-long text or an ISO date outside YEARS."""
    label = f"{where}“{name[:40]}”"
    if "\x00" in value or "\x00" in name:
        raise InputRefused(description=f"{label}含有空字符（NUL），已拒绝")
    if len(value) > limit:
        raise InputRefused(description=f"{label}过长（{len(value)} 个字符，上限 {limit}），已拒绝")
    match = DATE.match(value)
    if match and not YEARS[0] <= int(match.group(1)[:6]) <= YEARS[1]:
        raise InputRefused(description=f"{label}的日期超出范围（应在 {YEARS[0]}–{YEARS[1]} 年之间）")


def check_input() -> None:
    """Refuse NUL, over-long text and out-of-range dates in the path, the query and the form."""
    if "\x00" in request.path:
        raise InputRefused(description="网址中含有空字符（NUL），已拒绝")
    for name, value in request.args.items(multi=True):
        _check_value("查询参数", name, value, FIELD_LIMITS.get(name, QUERY_MAX))
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            _check_value("表单字段", name, value, FIELD_LIMITS.get(name, FIELD_MAX))
        for name, upload in request.files.items(multi=True):
            if "\x00" in name or "\x00" in (upload.filename or ""):
                raise InputRefused(description="上传文件名中含有空字符（NUL），已拒绝")


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for a printed document: PUBLIC_URL when configured (never the request's Host)."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def trusted_hosts(config) -> list[str] | None:
    """The hosts the app answers: PUBLIC_URL's, TRUSTED_HOSTS from the environment, and local names."""
    hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
    if config.get("PUBLIC_URL"):
        hosts.append(urlsplit(config["PUBLIC_URL"]).hostname or "")
    hosts += [h.strip() for h in (config.get("EXTRA_TRUSTED_HOSTS") or "").split(",") if h.strip()]
    return [h for h in dict.fromkeys(hosts) if h]


def _signed_in() -> bool:
    """Whether this request carries a signed-in session (without loading anything new)."""
    from flask_login import current_user
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - a broken database: the error page must still get its headers
        return False


_FIXED = (("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
          ("X-Content-Type-Options", "nosniff"), ("Cross-Origin-Opener-Policy", "same-origin"))
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _headers(response):
    """Security headers on every response (unless the view set its own); private (and for pages,
    unstored) caching behind a login."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}  # one pass, not a scan per header
    for name, value in _FIXED + ((_HSTS,) if current_app.config.get("INSPECTOR_HTTPS") else ()):
        if name.lower() not in present:
            headers.add(name, value)
    endpoint = request.endpoint
    if endpoint in PUBLIC_FILES or not (_signed_in() or endpoint in PRIVATE_ENDPOINTS):
        return response
    cache = response.cache_control  # parsed from the header on each access: once here
    if not cache.private and not cache.no_store:
        if response.mimetype == "text/html" or not cache.max_age:
            headers["Cache-Control"] = "private, no-store"
        else:
            headers["Cache-Control"] = f"private, max-age={cache.max_age}"
        response.vary.add("Cookie")
    return response


# The app's own static files and script bundles: the same for everyone, cached as they say.
PUBLIC_FILES = {"static", "bundle"}
# Login-only endpoints: private even on their answer to a signed-out request (a redirect to login).
PRIVATE_ENDPOINTS = {"media.file", "reports.download", "micro.photo"}


class _KeyOnceSigner(TimestampSigner):
    """itsdangerous's signer, deriving each signing key once per process instead of on every cookie
    (an HMAC of the secret key: the same bytes every time for the same key, salt and digest)."""

    _derived: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = (secret_key if secret_key is not None else self.secret_keys[-1], self.salt, self.key_derivation,
               self.digest_method)
        found = self._derived.get(key)
        if found is None:
            if len(self._derived) > 64:  # keys rotated many times over: start again
                self._derived.clear()
            found = self._derived[key] = super().derive_key(secret_key)
        return found


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its serializer built once per set of secret keys rather
    than on every request (docs/saves.md), and the signing key derived once (_KeyOnceSigner)."""

    signer = _KeyOnceSigner
    _built: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built = self._built
        if built is None or built[0] != keys:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                serializer.signer = self.signer
            built = self._built = (keys, serializer)
        return built[1]


def register(app: Flask) -> None:
    """Install the converter, the input layer, trusted hosts and the headers on an app."""
    app.url_map.converters["int"] = IdConverter  # every <int:…> route, present and future
    app.url_map.converters["id"] = IdConverter
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.session_interface = SessionCookies()
    app.before_request(check_input)
    app.after_request(_headers)
    # The session cookie is written when it changes (sign-in, a new CSRF token), not signed and sent
    # again with every response: its 12-hour life runs from sign-in, as the server-side session's
    # does (services/users.py session_user), so refreshing it bought nothing (docs/saves.md).
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def require_form(*, required: str | None = None) -> None:
    """Refuse a body that is not a parseable form (400, nothing read from it), and a form without
    the `required` field (428: e.g. a save without the version it was based on)."""
    if request.mimetype not in FORM_TYPES:
        raise BadRequest(description=f"请求格式应为表单（{' 或 '.join(FORM_TYPES)}），"
                                     f"收到的是“{request.mimetype or '无类型'}”；未保存任何内容")
    if not request.form and not request.files and (request.content_length or 0) > 0:
        raise BadRequest(description="请求内容无法解析为表单（格式损坏或被截断）；未保存任何内容")
    if required and not request.form.get(required):
        from werkzeug.exceptions import PreconditionRequired
        raise PreconditionRequired(description=f"请求缺少“{required}”（所依据的版本），"
                                               "为免覆盖他人的修改，未保存；请刷新页面后再试")
