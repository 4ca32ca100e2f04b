"""Public notices: read-only pages without login (reached by QR) and printable PDFs.

Everything shown comes from the notice's stored `content` (see services/notices.py), its title and
its posting period: nothing is read live from the site, the project or the people behind it. The
pages touch neither the session nor the CSRF token, so they set no cookie and proxies may cache them.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import segno
from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from ..runtime import ROOT, get_calendar, get_db, today
from . import security
from ..core import photos as photo_core
from ..core.workdays import Calendar, CalendarUnknown
from ..models import Notice
from ..services import notices, reports

bp = Blueprint("notices", __name__, url_prefix='/notice')

PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"
SIZES = ("thumb", "display")
PDF_CACHE_SIZE = 16  # rendered PDFs kept in memory per process (a QR'd notice is opened by many phones)


@dataclass(frozen=True)
class PeriodState:
    """Where today stands in a notice's posting period, in words."""

    key: str  # upcoming / running / ended / withdrawn
    text: str
    remaining: int | None = None


def cn_date(d: date) -> str:
    """2026年5月11日."""
    return f"{d.year}年{d.month}月{d.day}日"


def period_state(notice: Notice, on: date, calendar: Calendar) -> PeriodState:
    """The notice's state on a day: withdrawn, not started, running (working days left), or ended.

    "还剩 N 个工作日" counts the working days from that day to the last day, both included: on the
    last day one is left.
    """
    if notice.status == "withdrawn":
        return PeriodState("withdrawn", "本公示已撤回")
    if on < notice.start_date:
        return PeriodState("upcoming", f"公示将于 {cn_date(notice.start_date)} 开始")
    if on > notice.end_date:
        return PeriodState("ended", "公示已结束")
    try:
        left = calendar.working_days_between(on - timedelta(days=1), notice.end_date)
    except CalendarUnknown:
        return PeriodState("running", f"公示中，至 {cn_date(notice.end_date)} 结束")
    return PeriodState("running", f"公示中，还剩 {left} 个工作日", left)


def _text(value: Any) -> str:
    """A content value as text ('' for anything missing or not a scalar)."""
    return str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def published(content: Any) -> dict[str, Any]:
    """Exactly the contract's fields of a notice's content, cleaned: nothing else is ever shown."""
    content = content if isinstance(content, dict) else {}
    sections = [{"label": _text(s.get("label")), "value": _text(s.get("value"))}
                for s in content.get("sections") or [] if isinstance(s, dict)]
    photos = [{"caption": _text(p.get("caption"))} for p in _photos(content)]
    return {"site": _text(content.get("site")), "region": _text(content.get("region")),
            "sections": [s for s in sections if s["label"] or s["value"]], "body": _text(content.get("body")),
            "photos": photos, "contact": _text(content.get("contact")), "issuer": _text(content.get("issuer"))}


def _photos(content: Any) -> list[dict]:
    """The photo entries listed in the content (dicts only)."""
    listed = content.get("photos") if isinstance(content, dict) else None
    return [p for p in listed if isinstance(p, dict)] if isinstance(listed, list) else []


def _notice(public_id: str, *, withdrawn_ok: bool = False) -> Notice:
    """The notice with this public id, or 404 (also when withdrawn, unless asked to show that)."""
    notice = notices.by_public_id(session=get_db(), public_id=public_id) or abort(404, description="没有这条公示")
    if notice.status == "withdrawn" and not withdrawn_ok:
        abort(404, description="这条公示已撤回")
    return notice


def _public(response):
    """Cacheable by anyone for five minutes, unless the visitor carries cookies (a signed-in user):
    then the app may refresh their session cookie on this response, which a shared cache must never keep."""
    response.headers["Cache-Control"] = PRIVATE_CACHE if request.cookies else PUBLIC_CACHE
    return response


@bp.get("/<public_id>")
def public(public_id: str):
    """The notice as the public sees it: content, posting period and where today stands in it."""
    notice = _notice(public_id, withdrawn_ok=True)
    state = period_state(notice, today(), get_calendar())
    html = render_template("notices/public.html", notice=notice, c=published(notice.content), state=state,
                           cn_date=cn_date)
    return _public(current_app.make_response(html))


@bp.get("/<public_id>/photo/<int:n>/<size>")
def photo(public_id: str, n: int, size: str):
    """The n-th photo (1-based) listed in the notice's content, as thumbnail or display copy; nothing else."""
    if size not in SIZES:
        abort(404, description="没有这种尺寸")
    listed = _photos(_notice(public_id).content)
    if not 1 <= n <= len(listed):
        abort(404, description="没有这张照片")
    path = listed[n - 1].get(size)
    if not isinstance(path, str) or not path:
        abort(404, description="没有这张照片")
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=300)  # safe_join: stays inside
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _public(response)


@bp.get("/<public_id>.pdf")
def pdf(public_id: str):
    """The printable A4 notice: the same content, the posting period and a QR code to the public page."""
    notice = _notice(public_id)
    html = _print_html(notice)
    cache = current_app.extensions.setdefault("notice_pdfs", OrderedDict())
    key = hashlib.sha256(html.encode()).hexdigest()
    data = cache.get(key)
    if data is None:
        media = Path(current_app.config["MEDIA_DIR"])
        data = reports.render_pdf(html, media_root=media, static_root=ROOT / "static")
        cache[key] = data
        while len(cache) > PDF_CACHE_SIZE:
            cache.popitem(last=False)
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=notice.pdf"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not current_app.config.get("PUBLIC_URL"):  # the QR follows the request's host: no shared cache may keep it
        response.headers["Cache-Control"] = PRIVATE_CACHE
        return response
    return _public(response)


def _print_html(notice: Notice) -> str:
    """The print page's HTML: photos as small print copies (a missing file is said, not fatal)."""
    media = Path(current_app.config["MEDIA_DIR"])
    url = security.public_url("notices.public", public_id=notice.public_id)  # PUBLIC_URL, never the Host header
    content = published(notice.content)
    shots = []
    for entry, shown in zip(_photos(notice.content), content["photos"]):
        display = entry.get("display")
        source = (media / display).resolve() if isinstance(display, str) and display else None
        src = None
        if source is not None and source.is_relative_to(media.resolve()) and source.is_file():
            try:
                src = (media.resolve() / photo_core.print_copy(media, display)).as_uri()
            except (OSError, ValueError):  # not a readable image: said on the paper, not a failed page
                src = None
        shots.append({"caption": shown["caption"], "src": src})
    return render_template("notices/print.html", notice=notice, c=content, photos=shots, url=url,
                           qr=segno.make(url, error="m").svg_data_uri(scale=4, border=2), cn_date=cn_date)
