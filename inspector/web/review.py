"""Review workflow: return with reasons, approve, accept, sign-off, rectification follow-up."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..runtime import get_calendar, get_db, today
from ..core import geo
from ..core.workdays import CalendarUnknown
from ..models import Inspection, SignOff, User
from ..services import evidence, inspections, rectification, rights, signoff, workflow
from .walk import inspection_or_404
from .work import unit_of_work

bp = Blueprint("review", __name__)


def _user() -> User:
    return current_user.row


def flow_context(inspection: Inspection) -> dict:
    """What the summary page shows of the workflow: trail, reasons, signatures, tasks, links."""
    session, user = get_db(), _user()
    spec = inspections.spec_for(session=session, inspection=inspection)
    return dict(trail=workflow.trail(session=session, inspection=inspection),
                parties_names={p.id: p.name for p in (spec.signatures.parties if spec.signatures else ())},
                all_reasons=workflow.reasons_of(session=session, inspection=inspection, latest_only=False),
                signoffs=signoff.signoffs(session=session, inspection=inspection),
                tasks=rectification.tasks_of(session=session, inspection=inspection),
                follow_ups=rectification.follow_ups_of(session=session, inspection=inspection),
                today=today(), signer_name=signoff.signer_name,
                may_review=workflow.may_review(user, inspection), may_accept=workflow.may_accept(user, inspection),
                may_follow_up=rectification.may_follow_up(user, inspection))


def _review_page(inspection, site, spec, *, error=None, status=200, form=None):
    session = get_db()
    rights.require(_user(), "review", inspection.purpose)
    verdict = inspections.decision(session=session, inspection=inspection)
    return render_template("review/review.html", inspection=inspection, site=site, spec=spec, outcome=verdict.outcome,
                           decision=verdict, team_min=_team_min(),
                           answers=inspections.answers_of(session=session, inspection=inspection),
                           photos=evidence.photos_of(session=session, inspection=inspection),
                           parties=(signoff.signature_parties(session=session, inspection=inspection)
                                    if inspection.purpose == "completion_acceptance" else []),
                           error=error, form=form or request.form, me=_user()), status


@bp.get("/inspections/<int:inspection_id>/review")
@login_required
def review(inspection_id: int):
    """The reviewer's page: every item with a reason field, return or approve (with signers)."""
    return _review_page(*inspection_or_404(inspection_id))


@bp.post("/inspections/<int:inspection_id>/return")
@login_required
def return_(inspection_id: int):
    """Return to the author with a reason per item (fields reason-<item id>) and/or overall."""
    inspection, site, spec = inspection_or_404(inspection_id)
    reasons = {key[len("reason-"):]: value for key, value in request.form.items() if key.startswith("reason-")}
    try:
        with unit_of_work() as session:
            workflow.return_for_changes(session=session, inspection=inspection, reasons=reasons,
                                        general=request.form.get("general", ""), by=_user())
    except inspections.InspectionError as exc:  # the form again, with the reason
        return _review_page(inspection, site, spec, error=str(exc), status=422)
    flash("已退回，已通知填写人按原因修改")
    return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)


def _team_min() -> int:
    """The county's minimum size of the acceptance team (config ACCEPTANCE_TEAM_MIN)."""
    return int(current_app.config.get("ACCEPTANCE_TEAM_MIN", signoff.TEAM_MIN_DEFAULT))


def _named_signers(form) -> dict[str, list[tuple[str, str]]]:
    """People without an account, per party: fields named-<party>-name / named-<party>-role, in pairs."""
    out: dict[str, list[tuple[str, str]]] = {}
    for key in form:
        if key.startswith("named-") and key.endswith("-name"):
            party = key[len("named-"):-len("-name")]
            names, roles = form.getlist(key), form.getlist(f"named-{party}-role")
            roles += [""] * (len(names) - len(roles))
            out[party] = list(zip(names, roles))
    return out


@bp.post("/inspections/<int:inspection_id>/approve")
@login_required
def approve(inspection_id: int):
    """Approve; for a completion acceptance with who must sign (signer-<party>: accounts;
    named-<party>-name/-role: people without one, who sign by hand on the inspector's phone)."""
    inspection, site, spec = inspection_or_404(inspection_id)
    signers = {key[len("signer-"):]: [v for v in request.form.getlist(key) if v.isdigit()]
               for key in request.form if key.startswith("signer-")}
    try:
        with unit_of_work() as session:
            tasks = workflow.approve(session=session, inspection=inspection, by=_user(), signers=signers,
                                     named=_named_signers(request.form), team_min=_team_min(),
                                     today=today(), calendar=get_calendar())
    except (inspections.InspectionError, CalendarUnknown) as exc:  # the form again, with the reason
        return _review_page(inspection, site, spec, error=str(exc), status=422)
    flash("审核通过" + (f"，{len(tasks)} 项转为整改任务" if tasks else "")
          + ("，待各方签字" if inspection.purpose == "completion_acceptance" else ""))
    return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)


@bp.post("/inspections/<int:inspection_id>/reject")
@login_required
def reject(inspection_id: int):
    """A completion acceptance that did not pass: 不予拨付, failed items become rectification tasks."""
    inspection, site, spec = inspection_or_404(inspection_id)
    try:
        with unit_of_work() as session:
            tasks = workflow.reject(session=session, inspection=inspection, by=_user(), today=today(),
                                    calendar=get_calendar(), reason=request.form.get("general", ""))
    except (inspections.InspectionError, CalendarUnknown) as exc:  # the form again, with the reason
        return _review_page(inspection, site, spec, error=str(exc), status=422)
    flash(f"已判定验收不通过，不予拨付；{len(tasks)} 项转为整改任务，整改后复查")
    return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)


@bp.post("/inspections/<int:inspection_id>/accept")
@login_required
def accept(inspection_id: int):
    """Accept an approved inspection (not completion acceptance: that needs every signature);
    a refusal is said on the summary page (a flash), where the button was."""
    inspection, _site, _spec = inspection_or_404(inspection_id)
    try:
        with unit_of_work() as session:
            workflow.accept(session=session, inspection=inspection, by=_user())
    except inspections.InspectionError as exc:
        flash(str(exc), "error")
    else:
        flash("已验收")
    return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)


def _sign_page(inspection, site, *, error=None, status=200):
    session = get_db()
    return render_template("review/sign.html", inspection=inspection, site=site, error=error,
                           signoffs=signoff.signoffs(session=session, inspection=inspection),
                           parties=_party_names(inspection),
                           decision=inspections.decision(session=session, inspection=inspection),
                           signer_name=signoff.signer_name,
                           may_collect=rights.can(_user(), "start", inspection.purpose), me=_user()), status


@bp.get("/inspections/<int:inspection_id>/sign")
@login_required
def sign_form(inspection_id: int):
    """The signature page: who must sign, who has, and a password field for the signer."""
    inspection, site, _spec = inspection_or_404(inspection_id)
    return _sign_page(inspection, site)


@bp.post("/inspections/<int:inspection_id>/sign")
@login_required
def sign(inspection_id: int):
    """Sign with one's own account, re-entering the password."""
    inspection, site, _spec = inspection_or_404(inspection_id)
    try:
        with unit_of_work() as session:
            last = signoff.sign(session=session, inspection=inspection, by=_user(),
                                password=request.form.get("password", ""))
    except inspections.InspectionError as exc:  # the page again, with the reason
        return _sign_page(inspection, site, error=str(exc), status=422)
    flash("签字完成，各方均已签字，竣工验收生效" if last else "已签字")
    return redirect(url_for("review.sign_form", inspection_id=inspection.id), code=303)


def _hand_signoff(inspection: Inspection, signoff_id: int) -> SignOff:
    """A signature slot of this acceptance for a person without an account, or 404."""
    row = get_db().get(SignOff, signoff_id)
    if row is None or row.inspection_id != inspection.id or row.user_id is not None:
        abort(404, description="没有这位现场签字人")
    return row


@bp.get("/inspections/<int:inspection_id>/sign/<int:signoff_id>/hand")
@login_required
def hand_form(inspection_id: int, signoff_id: int):
    """The inspector's phone: the signer draws their signature on screen."""
    inspection, site, _spec = inspection_or_404(inspection_id)
    rights.require(_user(), "start", inspection.purpose)
    return _hand_page(inspection, site, _hand_signoff(inspection, signoff_id))


def _party_names(inspection: Inspection) -> dict[str, str]:
    """The checklist's signature parties by id."""
    return {p.id: p.name for p in signoff.signature_parties(session=get_db(), inspection=inspection)}


def _hand_page(inspection, site, row: SignOff, error: str | None = None, status: int = 200):
    return render_template("review/hand_sign.html", inspection=inspection, site=site, row=row,
                           party=_party_names(inspection).get(row.party, row.party), error=error), status


def _position():
    """The phone's position sent with the signature, or ReviewError when malformed."""
    try:
        return geo.parse_position(request.form.get("lat"), request.form.get("lon"), request.form.get("accuracy"))
    except ValueError as exc:
        raise workflow.ReviewError(str(exc)) from None


@bp.post("/inspections/<int:inspection_id>/sign/<int:signoff_id>/hand")
@login_required
def hand_sign(inspection_id: int, signoff_id: int):
    """Store a handwritten signature (PNG upload `signature`) with the phone's position."""
    inspection, site, _spec = inspection_or_404(inspection_id)
    rights.require(_user(), "start", inspection.purpose)
    row = _hand_signoff(inspection, signoff_id)
    upload = request.files.get("signature")
    data = upload.read(signoff.SIGNATURE_MAX_BYTES + 1) if upload else b""
    try:
        with unit_of_work() as session:
            last = signoff.sign_by_hand(session=session, inspection=inspection, signoff_id=row.id, image=data,
                                        by=_user(), media_root=Path(current_app.config["MEDIA_DIR"]),
                                        position=_position())
    except inspections.InspectionError as exc:  # the pad again, with the reason
        return _hand_page(inspection, site, row, str(exc), 422)
    flash(f"{row.signer_name} 已手写签名" + ("，各方均已签字，竣工验收生效" if last else ""))
    target = url_for("review.sign_form", inspection_id=inspection.id)
    if request.headers.get("X-Signature-Pad") == "1":  # the pad's script navigates itself (the flash waits there)
        return jsonify(next=target)
    return redirect(target, code=303)


@bp.post("/inspections/<int:inspection_id>/follow-up")
@login_required
def follow_up(inspection_id: int):
    """Start (or resume) the follow-up that re-checks the open rectification tasks; a refusal is
    said on the summary page (a flash), where the button was."""
    inspection, _site, _spec = inspection_or_404(inspection_id)
    try:
        with unit_of_work() as session:
            new = rectification.start_follow_up(session=session, original=inspection, by=_user())
    except inspections.InspectionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)
    return redirect(url_for("inspections.walk", inspection_id=new.id), code=303)
