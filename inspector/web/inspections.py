"""Field inspection: start, walk the checklist with autosave, photos with position, finish and submit."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, url_for)
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from .. import get_db
from ..core import geo, photos, scoring
from ..core.checklist import ChecklistSpec, Item
from ..models import PURPOSES, Inspection, Site, User
from ..services import evidence, inspections, rights, scope, tally, workflow
from . import security

bp = Blueprint("inspections", __name__)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _user() -> User:
    return current_user.row


def inspection_or_404(inspection_id: int) -> tuple[Inspection, Site, ChecklistSpec]:
    """The inspection, its site and checklist, or 404."""
    session = get_db()
    inspection = scope.inspection(session=session, user=_user(), inspection_id=inspection_id)
    if inspection is None:
        abort(404, description="没有这次检查")
    return inspection, session.get(Site, inspection.site_id), inspections.spec_for(session=session,
                                                                                  inspection=inspection)


def _inspection_item(inspection_id: int, item_id: str) -> tuple[Inspection, Site, ChecklistSpec, Item]:
    """The inspection, its site and checklist, and one of its items, or 404."""
    inspection, site, spec = inspection_or_404(inspection_id)
    item = spec.by_id.get(item_id) or abort(404, description="清单中没有这个条目")
    return inspection, site, spec, item


def _device() -> geo.Position | None:
    """The device position sent with a form (lat, lon, accuracy), or None; 400 when malformed."""
    try:
        return geo.parse_position(request.form.get("lat"), request.form.get("lon"), request.form.get("accuracy"))
    except ValueError as exc:
        abort(400, description=str(exc))


def _specs_for(site: Site, purpose: str | None = None) -> list[ChecklistSpec]:
    """Checklists usable at this site (and for this purpose)."""
    return [s for s in current_app.extensions["checklists"].values()
            if site.site_type in s.site_types and (purpose is None or purpose in s.purposes)]


def _purposes() -> list[str]:
    """The purposes the user's role may start."""
    return [p for p in PURPOSES if rights.can(_user(), "start", p)]


@bp.get("/sites/<int:site_id>/inspections/new")
@login_required
def new(site_id: int):
    """Choose purpose, checklist and tier (a completion acceptance takes the site's approved category)."""
    session = get_db()
    site = scope.site(session=session, user=_user(), site_id=site_id) or abort(404, description="没有这个站点")
    return render_template("inspections/new.html", site=site, specs=_specs_for(site), purposes=_purposes(),
                           unfinished=inspections.unfinished(session=session, site=site), error=None,
                           form=MultiDict({"tier": site.tier_applied or ""}))


@bp.post("/sites/<int:site_id>/inspections")
@login_required
def create(site_id: int):
    """Start an inspection; the checklist version is fixed now, with the device position."""
    session = get_db()
    site = scope.site(session=session, user=_user(), site_id=site_id) or abort(404, description="没有这个站点")
    spec = current_app.extensions["checklists"].get(request.form.get("checklist", ""))
    device = _device()
    try:
        if spec is None:
            raise inspections.InspectionError("请选择检查清单")
        flags = evidence.position_flags(site=site, device=device,
                                        accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"])
        inspection = inspections.start(session=session, site=site, spec=spec, purpose=request.form.get("purpose", ""),
                                       tier=request.form.get("tier") or None, by=_user(), position=device, flags=flags)
    except inspections.InspectionError as exc:
        session.rollback()
        return render_template("inspections/new.html", site=site, specs=_specs_for(site), purposes=_purposes(),
                               unfinished=inspections.unfinished(session=session, site=site), error=str(exc),
                               form=request.form), 422
    session.commit()
    return redirect(url_for("inspections.walk", inspection_id=inspection.id), code=303)


def _item_context(inspection, site, spec, item: Item, *, answer=None, error=None, conflict=None,
                  submitted=None, page=None):
    """What the item partial needs (taken from the page context when one was already built)."""
    session = get_db()
    photos_list = page["photos_by_item"].get(item.id, []) if page is not None else None
    if answer is None and page is not None:
        answer = page["answers"].get(item.id)
    elif answer is None:
        answer = inspections.answers_of(session=session, inspection=inspection).get(item.id)
    if photos_list is None:
        photos_list = evidence.photos_of(session=session, inspection=inspection).get(item.id, [])
    value = submitted if submitted is not None else (answer.value if answer else None)
    judgement = scoring.judge(item, answer.value if answer else None, tier=inspection.tier, site_type=site.site_type)
    return dict(inspection=inspection, site=site, spec=spec, item=item, answer=answer, value=value,
                judgement=judgement, photos=photos_list, error=error, conflict=conflict,
                client_id=uuid.uuid4().hex, editable=inspections.may_edit(inspection, _user()))


def _page_context(inspection, site, spec):
    """Everything the walk page and the progress bar need, in three queries."""
    session = get_db()
    answers = inspections.answers_of(session=session, inspection=inspection)
    photos_by_item = evidence.photos_of(session=session, inspection=inspection)
    verdict = inspections.decision(session=session, inspection=inspection, answers=answers)
    result = verdict.outcome
    prog = inspections.progress(spec, result, {k: len(v) for k, v in photos_by_item.items()}, site_type=site.site_type,
                                scope=inspection.scope_items, answered=answers)
    nonce = uuid.uuid4().hex[:16]  # one per page render: a re-sent form repeats its client id
    before = {}
    if inspection.follow_up_of_id is not None:  # a follow-up shows each item's finding before rectification
        original = session.get(Inspection, inspection.follow_up_of_id)
        before = {k: v for k, v in inspections.answers_of(session=session, inspection=original).items()
                  if k in (inspection.scope_items or ())}
    reasons = {}
    if inspection.round:
        for r in workflow.reasons_of(session=session, inspection=inspection):
            reasons.setdefault(r.item_id, []).append(r.reason)
    return dict(inspection=inspection, site=site, spec=spec, answers=answers, photos_by_item=photos_by_item,
                outcome=result, decision=verdict, progress=prog, editable=inspections.may_edit(inspection, _user()),
                new_client_id=lambda item_id: f"{nonce}-{item_id}", before=before, reasons=reasons,
                shown=(lambda it: it.id in inspection.scope_items) if inspection.scope_items else (lambda it: True))


@bp.get("/inspections/<int:inspection_id>")
@login_required
def walk(inspection_id: int):
    """The checklist on one scrolling page: sections, items, a sticky progress bar."""
    inspection, site, spec = inspection_or_404(inspection_id)
    return render_template("inspections/walk.html", **_page_context(inspection, site, spec))


def _raw_answer(item: Item, form) -> object:
    """The submitted answer for an item's kind, from form fields."""
    if form.get("na"):
        return "na"
    if item.kind == "dimensions":
        return [form.get("value_a", ""), form.get("value_b", "")]
    if item.kind == "rate":
        return {"respondents": form.get("respondents", ""), "satisfied": form.get("satisfied", "")}
    return form.get("value", "")


def _render_item(ctx, status=200, part="state", page=None):
    """For htmx: one part of the item (state, photos or the whole item) plus the progress bar
    out of band. Without htmx: back to the page at the item, or the page with the error (4xx)."""
    if _is_htmx():
        page = page or _page_context(ctx["inspection"], ctx["site"], ctx["spec"])
        template = {"state": "inspections/_item_state.html", "photos": "inspections/_item_photos.html",
                    "item": "inspections/_item.html"}[part]
        body = render_template(template, oob_base=(part == "state"), **ctx)
        return body + render_template("inspections/_progress.html", oob=True, **page), status
    if status >= 400:
        page = _page_context(ctx["inspection"], ctx["site"], ctx["spec"])
        page["focus"] = ctx
        return render_template("inspections/walk.html", **page), status
    return redirect(url_for("inspections.walk", inspection_id=ctx["inspection"].id, _anchor=f"item-{ctx['item'].id}"),
                    code=303)


@bp.get("/inspections/<int:inspection_id>/items/<item_id>")
@login_required
def item(inspection_id: int, item_id: str):
    """One item as stored now (htmx partial), or the page at that item."""
    inspection, site, spec, it = _inspection_item(inspection_id, item_id)
    if not _is_htmx():
        return redirect(url_for("inspections.walk", inspection_id=inspection.id, _anchor=f"item-{it.id}"))
    return _render_item(_item_context(inspection, site, spec, it), part="item")


@bp.post("/inspections/<int:inspection_id>/items/<item_id>")
@login_required
def save(inspection_id: int, item_id: str):
    """Save one answer (autosave and plain POST alike): idempotent by client id, 409 on a stale version.

    Read in one query, scored by the item's change alone, answered with the item's state and the
    progress bar only (docs/saves.md)."""
    session = get_db()
    loaded = inspections.for_save(session=session, user=_user(), inspection_id=inspection_id, item_id=item_id)
    if loaded is None:
        abort(404, description="没有这次检查")
    inspection, site, spec, stored = loaded
    it = spec.by_id.get(item_id) or abort(404, description="清单中没有这个条目")
    security.require_form(required="base_version")  # an unreadable body or no base version changes nothing
    form = request.form
    try:
        base_version = int(form["base_version"])
    except ValueError:
        abort(400, description="base_version 应为整数")
    try:
        answer = inspections.record_answer(
            session=session, inspection=inspection, item_id=it.id, raw=_raw_answer(it, form),
            note=form.get("note"), by=_user(), base_version=base_version,
            client_id=(form.get("client_id") or None), device_id=(form.get("device_id") or None),
            site=site, stored=stored)
        standing = tally.standing(session=session, inspection=inspection, spec=spec, site=site)
        session.commit()
    except scoring.AnswerError as exc:
        session.rollback()
        return _render_item(_item_context(inspection, site, spec, it, error=str(exc),
                                          submitted=_raw_answer(it, form)), 422)
    except inspections.Conflict as exc:
        session.rollback()
        who = session.get(User, exc.current.by_id)
        conflict = {"theirs": exc.current, "who": who.display_name if who else "", "mine": exc.submitted,
                    "mine_note": form.get("note")}
        return _render_item(_item_context(inspection, site, spec, it, answer=exc.current, conflict=conflict,
                                          submitted=exc.submitted), 409)
    except inspections.InspectionError as exc:
        session.rollback()
        return _render_item(_item_context(inspection, site, spec, it, error=str(exc)), 409)
    return _saved_reply(inspection, site, it, answer, standing)


def _saved_reply(inspection, site, item: Item, answer, standing):
    """A saved answer: for htmx the item's state (its swap target) and the progress bar out of
    band, both from the counts; without htmx back to the page at the item."""
    if not _is_htmx():
        return redirect(url_for("inspections.walk", inspection_id=inspection.id, _anchor=f"item-{item.id}"), code=303)
    judgement = scoring.judge(item, answer.value, tier=inspection.tier, site_type=site.site_type)
    body = render_template("inspections/_item_state.html", oob_base=True, inspection=inspection, item=item,
                           answer=answer, judgement=judgement, error=None, conflict=None)
    return body + render_template("inspections/_progress.html", oob=True, progress=standing.progress,
                                  decision=standing, outcome=standing)


@bp.post("/inspections/<int:inspection_id>/items/<item_id>/photos")
@login_required
def upload(inspection_id: int, item_id: str):
    """Attach photos to an item with the device position; each bad file is refused with its reason."""
    session = get_db()
    inspection, site, spec, it = _inspection_item(inspection_id, item_id)
    files = [f for f in request.files.getlist("photos") if f and f.filename is not None]
    if not files:
        return _render_item(_item_context(inspection, site, spec, it, error="请选择要上传的照片"), 400, part="photos")
    device = _device()
    root = Path(current_app.config["MEDIA_DIR"])
    errors, stored, status = [], 0, 200
    for f in files:
        try:
            data = photos.read_upload(f.stream, current_app.config["PHOTO_MAX_BYTES"])  # whole, or refused
        finally:
            f.close()
        created: tuple[str, ...] = ()
        try:
            _photo, created = evidence.attach_photo(
                session=session, inspection=inspection, item_id=it.id, data=data, device=device, by=_user(),
                media_root=root, accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"],
                max_bytes=current_app.config["PHOTO_MAX_BYTES"])
            session.commit()
            stored += 1
        except photos.PhotoError as exc:
            session.rollback()
            errors.append(f"{f.filename or '照片'}：{exc.reason}")
            status = exc.status
        except inspections.InspectionError as exc:
            session.rollback()
            errors.append(str(exc))
            status = 409
        except Exception:
            session.rollback()
            evidence.discard(session=session, media_root=root, created=created)
            raise
    error = "；".join(errors) if errors else None
    return _render_item(_item_context(inspection, site, spec, it, error=error), 200 if stored else status,
                        part="photos")


def _summary(inspection, site, spec, error=None, status=200):
    """The finish page: the decision (verdict, reasons, subsidy), failed items, missing evidence, flags."""
    ctx = _page_context(inspection, site, spec)
    from .review import flow_context  # the review blueprint builds on this one
    ctx.update(fixes=list(ctx["decision"].unmet), error=error, **flow_context(inspection))
    return render_template("inspections/summary.html", **ctx), status


@bp.get("/inspections/<int:inspection_id>/summary")
@login_required
def summary(inspection_id: int):
    """Finish: score, vetoes, tier and subsidy, failed items, missing evidence, flags."""
    return _summary(*inspection_or_404(inspection_id))


@bp.post("/inspections/<int:inspection_id>/submit")
@login_required
def submit(inspection_id: int):
    """Submit the finished inspection."""
    session = get_db()
    inspection, site, spec = inspection_or_404(inspection_id)
    try:
        inspections.submit(session=session, inspection=inspection, by=_user())
        session.commit()
    except inspections.InspectionError as exc:
        session.rollback()
        return _summary(inspection, site, spec, error=str(exc), status=422)
    flash("已提交")
    return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)
