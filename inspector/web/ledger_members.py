"""A member's ledger pages: registering and editing the card, the activities recorded from a phone with a
photo, the reporting date, the activity photos and the printed cards (004 附件1–4、8)."""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required

from ..runtime import get_db, today
from ..core import ledger as core
from ..core import photos
from ..models import LedgerMember, LedgerUnit, Site
from ..services import ledger, ledger_activities, ledger_tallies, rights
from .ledger_common import CARDS, asked_year, bp, deadline_md, member_or_404, pdf_response, site_or_404
from .work import unit_of_work


@bp.route("/sites/<int:site_id>/members/new", methods=["GET", "POST"])
@login_required
def new_member(site_id: int):
    """Register a member (基本情况信息卡's fields); 422 with the reason, nothing lost."""
    site = site_or_404(site_id, "ledger_edit")
    if request.method == "GET":
        return render_template("ledger/member_new.html", site=site, form={}, problems=[])
    try:
        with unit_of_work() as session:
            row = ledger.add_member(session=session, site=site, form=request.form, by=current_user.row, today=today())
    except ledger.Invalid as exc:
        return render_template("ledger/member_new.html", site=site, form=request.form, problems=exc.problems), 422
    return redirect(url_for("ledger.member", member_id=row.id), code=303)


def _year_of(member: LedgerMember) -> tuple[int, list, core.Tally, LedgerUnit]:
    """The year asked, the member's activities in it, their tally and their unit."""
    session = get_db()
    year = asked_year()
    acts = ledger_activities.activities_of(session=session, member_ids=[member.id], year=year)
    tally = ledger_tallies.tally_of(member, acts, year=year, as_of=today(),
                                    deadline=core.deadline_of(year, deadline_md()))
    return year, acts, tally, ledger.units_of(session=session, ids=[member.unit_id])[member.unit_id]


def _member_page(member: LedgerMember, site: Site, *, problems=(), form=None, status: int = 200):
    """A member's page: the year's rules with what is missing, the activity form, the record, the cards."""
    year, acts, tally, unit = _year_of(member)
    return render_template("ledger/member.html", member=member, site=site, unit=unit, tally=tally,
                           activities=list(reversed(acts)), year=year, today=today(), problems=list(problems),
                           form=form or {}), status


@bp.get("/members/<int:member_id>")
@login_required
def member(member_id: int):
    """One member's ledger page."""
    return _member_page(*member_or_404(member_id))


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(member_id: int):
    """Change a member's card, or mark them moved away (no longer counted); 422 with the reason."""
    found, site = member_or_404(member_id, "ledger_edit")
    session = get_db()
    unit = ledger.units_of(session=session, ids=[found.unit_id])[found.unit_id]
    if request.method == "GET":
        form = {k: (getattr(found, k) or "") for k in ("name", "phone", "letter_number", "service_post", "pledge",
                                                       "skills", "pair_name", "pair_kind", "pair_address")}
        form.update(unit=unit.name, party_org=unit.party_org, supervisor_org=unit.supervisor_org,
                    county_department="是" if unit.county_department else "",
                    reported_on=found.reported_on.isoformat() if found.reported_on else "")
        return render_template("ledger/member_new.html", site=site, form=form, problems=[], member=found)
    try:
        with unit_of_work():
            ledger.update_member(session=session, member=found, form=request.form, by=current_user.row, today=today())
    except ledger.Invalid as exc:
        return render_template("ledger/member_new.html", site=site, form=request.form, problems=exc.problems,
                               member=found), 422
    return redirect(url_for("ledger.member", member_id=found.id), code=303)


@bp.post("/members/<int:member_id>/activities")
@login_required
def add_activity(member_id: int):
    """Record an activity (with an optional photo) from the phone; 422 with every problem."""
    found, site = member_or_404(member_id, "ledger_edit")
    limit = current_app.config["PHOTO_MAX_BYTES"]
    upload = request.files.get("photo")
    photo = (ledger_activities.Upload(upload.filename or "", upload.read(limit + 1))
             if upload and upload.filename else None)
    root = Path(current_app.config["MEDIA_DIR"])
    created: tuple[str, ...] = ()
    try:
        with unit_of_work() as session:
            _row, created = ledger_activities.record_activity(
                session=session, member=found, form=request.form, photo=photo, by=current_user.row, today=today(),
                media_root=root, max_bytes=limit)
    except ledger.Invalid as exc:
        return _member_page(found, site, problems=exc.problems, form=request.form, status=422)
    except Exception:
        photos.remove(root, created)  # the commit failed: the photo's files go too
        raise
    return redirect(url_for("ledger.member", member_id=found.id, year=asked_year()) + "#tally", code=303)


@bp.post("/members/<int:member_id>/report")
@login_required
def report(member_id: int):
    """Record the member's reporting date and letter number."""
    found, site = member_or_404(member_id, "ledger_edit")
    try:
        with unit_of_work() as session:
            ledger.mark_reported(session=session, member=found, on=request.form.get("on", ""),
                                 letter_number=request.form.get("letter_number", ""), by=current_user.row,
                                 today=today())
    except ledger.Invalid as exc:
        return _member_page(found, site, problems=exc.problems, form=request.form, status=422)
    return redirect(url_for("ledger.member", member_id=found.id), code=303)


@bp.get("/activities/<int:activity_id>/photo/<size>")
@login_required
def activity_photo(activity_id: int, size: str):
    """An activity's photo (thumb or display) for the user's region."""
    row = ledger.activity(session=get_db(), user=current_user.row, activity_id=activity_id) or abort(
        404, description="没有这条活动记录")
    rights.require(current_user.row, "ledger_view")
    path = ledger_activities.photo_path(row, size) or abort(404, description="没有这张照片")
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/members/<int:member_id>/cards/<card>.pdf")
@login_required
def card_pdf(member_id: int, card: str):
    """One of the member's cards (证明信、信息卡、回执、写实登记卡、承诺卡、联系对象档案卡), filled from the records."""
    found, site = member_or_404(member_id)
    if card not in CARDS:
        abort(404, description="没有这种卡片")
    year, acts, tally, unit = _year_of(found)
    return pdf_response("reports/ledger_cards.html", f"{card}-{found.id}.pdf", card=card, title=CARDS[card][0],
                        attachment=CARDS[card][1], m=found, site=site, unit=unit, activities=acts, tally=tally,
                        year=year, township=ledger.township_name(session=get_db(), site=site), printed=today())
