"""The working-day calendar: which years are official or provisional, and an admin's page to enter
a year's schedule from the State Council's notice (every open deadline is then recomputed)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..runtime import get_calendar, get_db, today
from ..core import workdays
from ..services import rights, workcalendar
from .work import unit_of_work

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")

YEARS_AHEAD = 2  # how far ahead a schedule may be entered (the notice comes in the autumn before)


@bp.get("/")
@login_required
def index():
    """Recent and coming years with where their schedule comes from, and recent deadline changes."""
    me = current_user.row
    rights.require(me, "view_calendar")
    cal = get_calendar()
    return render_template("calendar/index.html", years=workcalendar.years_overview(cal, today(), YEARS_AHEAD),
                           strict=current_app.config["WORKDAYS_STRICT"], can_edit=rights.can(me, "edit_calendar"),
                           changes=workcalendar.changes_for(session=get_db(), user=me),
                           first_editable=workdays.PACKAGE_LAST_YEAR + 1, official_until=cal.official_until)


def _year_or_404(year: int) -> int:
    """A year whose schedule may be entered: after chinese_calendar's data, at most YEARS_AHEAD on."""
    if not workdays.PACKAGE_LAST_YEAR < year <= today().year + YEARS_AHEAD:
        abort(404, description=f"{year} 年的节假日安排不能在此录入（可录入 {workdays.PACKAGE_LAST_YEAR + 1}–"
                               f"{today().year + YEARS_AHEAD} 年）")
    return year


def _form_page(year: int, form: dict, problems: list[str] | None = None, status: int = 200):
    statutory = workdays.statutory_holidays(year)
    return render_template("calendar/year.html", year=year, form=form, problems=problems or [],
                           statutory=statutory, weekday=workdays.WEEKDAY_NAMES), status


@bp.get("/<int:year>")
@login_required
def year_form(year: int):
    """The form for one year's schedule, filled with what was entered before (if anything)."""
    rights.require(current_user.row, "edit_calendar")
    year = _year_or_404(year)
    row = workcalendar.entered_year(session=get_db(), year=year)
    form = ({"title": row.title, "number": row.number, "issued_on": row.issued_on.isoformat(),
             "holidays": "\n".join(row.holidays), "workdays": "\n".join(row.workdays)} if row else
            {"title": f"国务院办公厅关于{year}年部分节假日安排的通知", "number": "", "issued_on": "",
             "holidays": "", "workdays": ""})
    return _form_page(year, form)


def _issued_on(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


@bp.post("/<int:year>")
@login_required
def enter(year: int):
    """Store the year's schedule, recompute open deadlines, report how many moved."""
    me = current_user.row
    rights.require(me, "edit_calendar")
    year = _year_or_404(year)
    form = {k: request.form.get(k, "")[:20000] for k in ("title", "number", "issued_on", "holidays", "workdays")}
    issued = _issued_on(form["issued_on"])
    try:
        with unit_of_work() as session:
            row, changes = workcalendar.enter_year(
                session=session, year=year, title=form["title"], number=form["number"], issued_on=issued,
                holidays_text=form["holidays"], workdays_text=form["workdays"], by=me, today=today(),
                strict=current_app.config["WORKDAYS_STRICT"])
    except workcalendar.ScheduleInvalid as exc:  # the form again, with each problem
        problems = list(exc.problems)
        if form["issued_on"].strip() and issued is None:
            problems.insert(0, f"通知发布日期“{form['issued_on'][:20]}”应写作 YYYY-MM-DD")
        return _form_page(year, form, problems, 422)
    g.pop("calendar", None)
    moved = sum(c.old_date != c.new_date for c in changes)
    flash(f"已录入 {year} 年节假日安排（{row.number}）：重新计算 {len(changes)} 项期限，其中 {moved} 项日期变动，"
          f"{len(changes) - moved} 项仅取消“暂定”。", "success")
    return redirect(url_for("calendar.index"), 303)
