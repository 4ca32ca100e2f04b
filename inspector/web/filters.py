"""Template filters and globals: labels in Chinese."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup

from ..core import clock, sources, units, words
from ..core.words import answer_words
from ..services import rights
from ..models import LABELS, ROLE_LABELS, SITE_TYPE_LABELS


FLOW_LABELS = {"start": "开始填写", "submit": "提交", "return": "退回", "approve": "审核通过", "sign": "签字",
               "accept": "验收", "follow_up": "开始整改复查", "close_tasks": "复查关闭整改项"}


def china_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in China time (naive values are UTC, as stored)."""
    return clock.china_text(value, fmt, empty="—")


def _configured_today():
    """The app's TODAY setting (tests and demos fix it), read by core/clock.today()."""
    from flask import current_app, has_app_context
    return current_app.config.get("TODAY") if has_app_context() else None


# The areas in the second navigation row: (blueprint, endpoint, label, right needed or None).
AREAS = (
    ("dashboard", "dashboard.index", "看板", "dashboard"),
    ("jobs", "jobs.index", "任务", None),  # exports, imports, batch issuing (issue 19)
    ("micro", "micro.index", "微实事", None),
    ("landmark", "landmark.index", "红色地标", None),
    ("landmark.due", "landmark.due", "到期事项", "due_list"),
    ("compare", "compare.index", "自评对比", "compare"),
    ("auth.password", "auth.password", "修改密码", None),
)


def css_string(value) -> Markup:
    """Text safe inside a CSS string literal ("…") in a <style> block: ASCII other than letters,
    digits and space is written as a CSS hex escape, so quotes, backslashes and "</style>" stay text
    (HTML escaping is wrong there: WeasyPrint would print "&lt;" literally)."""
    return Markup("".join(ch if ch.isalnum() or ch == " " or ord(ch) > 127 else f"\\{ord(ch):x} "
                          for ch in str(value)))


CALENDAR_WARN_DAYS = 45  # warn this long before the official holiday data ends


def calendar_notice() -> dict | None:
    """A warning for those with the `calendar_warning` right when the official holiday data ends
    within CALENDAR_WARN_DAYS (or has ended): later working-day deadlines are provisional (or, in
    strict mode, refused) until the next year's schedule is entered. None when there is nothing to say."""
    from flask import current_app, url_for
    from flask_login import current_user

    from ..runtime import get_calendar, today
    if not getattr(current_user, "is_authenticated", False) or not rights.can(current_user.row, "calendar_warning"):
        return None
    cal = get_calendar()
    until = cal.official_until
    left = (until - today()).days
    if left > CALENDAR_WARN_DAYS:
        return None
    year = until.year + 1
    effect = ("将无法计算（本县为严格模式）" if current_app.config["WORKDAYS_STRICT"]
              else "按法定节假日暂定计算（标注“暂定”），录入后自动重新计算")
    ended = f"已于 {until.isoformat()} 结束" if left < 0 else f"只到 {until.isoformat()}（还有 {left} 天）"
    return {"text": f"国务院节假日安排{ended}：{year} 年的安排尚未录入，落在 {year} 年的工作日期限{effect}。",
            "link": url_for("calendar.index"), "link_text": f"录入 {year} 年节假日安排"
            if rights.can(current_user.row, "edit_calendar") else "查看工作日日历"}


def provisional_why(start, end) -> str:
    """Why a date from start to end is provisional: the years without their holiday schedule."""
    from ..runtime import get_calendar
    from ..core import workdays
    years = get_calendar().provisional_years(start, end) if start and end else ()
    return workdays.provisional_reason(years) or "所跨年份的国务院节假日安排尚未录入，按法定节假日推算；录入后自动重新计算"


def due_mark(provisional: bool, start=None, end=None) -> Markup:
    """“暂定” after a date counted over a year without its holiday schedule, with the reason in
    text (visible on a phone, not a tooltip); nothing for an official date."""
    if not provisional:
        return Markup("")
    return Markup('<span class="provisional" data-provisional>暂定</span><span class="provisional-why">{}</span>'
                  ).format(provisional_why(start, end))


def register(app: Flask) -> None:
    """Make the label helpers available in every template; the clock reads the app's TODAY."""
    clock.use_fixed_today(_configured_today)
    app.jinja_env.globals.update(
        LABELS=LABELS, SITE_TYPE_LABELS=SITE_TYPE_LABELS, ROLE_LABELS=ROLE_LABELS,
        RESULT_LABELS=words.RESULT_WORDS, VERDICT_LABELS=words.VERDICT_WORDS, FLOW_LABELS=FLOW_LABELS,
        can=rights.can, AREAS=AREAS, calendar_notice=calendar_notice, due_mark=due_mark,
        provisional_why=provisional_why,
        KIND_LABELS={"check": "检查", "measure": "测量", "dimensions": "尺寸", "count": "计数", "rate": "比例调查",
                     "choice": "选择", "text": "记录", "document": "资料"},
    )
    app.jinja_env.filters["china_time"] = china_time
    app.jinja_env.filters["cite"] = sources.cite  # a seed citation as《title》clause (templates/_cite.html)
    app.jinja_env.filters["cite_words"] = sources.words
    app.jinja_env.filters["scrub_sources"] = sources.scrub  # seed citations inside a text, readable
    app.jinja_env.filters["cn_date"] = sources.cn_date  # 2026年12月2日
    app.jinja_env.filters["css_string"] = css_string
    app.jinja_env.filters["label"] = lambda key: LABELS.get(key, key or "—")
    app.jinja_env.filters["unit"] = units.label
    app.jinja_env.filters["answer"] = answer_words
    app.jinja_env.filters["yuan"] = lambda n: f"{int(n):,} 元" if n is not None else "—"
