"""Field inspection: start, walk the checklist with autosave, photos with position, finish and submit."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from jinja2.runtime import new_context
from werkzeug.datastructures import MultiDict

from ..runtime import get_db
from ..core import geo, photos, scoring
from ..core.checklist import ChecklistSpec, Item
from ..models import PURPOSES, Site, User
from ..services import evidence, inspections, rights, scope, tally
from . import auth, offline, security
from .walk import inspection_item, inspection_or_404, item_context, page_context, sections
from .walk import user as _user
from .work import unit_of_work

bp = Blueprint("inspections", __name__)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


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
        with unit_of_work():
            if spec is None:
                raise inspections.InspectionError("请选择检查清单")
            flags = evidence.position_flags(site=site, device=device,
                                            accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"])
            inspection = inspections.start(session=session, site=site, spec=spec, purpose=request.form.get("purpose", ""),
                                           tier=request.form.get("tier") or None, by=_user(), position=device,
                                           flags=flags)
    except inspections.InspectionError as exc:  # the form again, with the reason
        return render_template("inspections/new.html", site=site, specs=_specs_for(site), purposes=_purposes(),
                               unfinished=inspections.unfinished(session=session, site=site), error=exc.message,
                               form=request.form), exc.status
    return redirect(url_for("inspections.walk", inspection_id=inspection.id), code=303)


@bp.get("/inspections/<int:inspection_id>")
@login_required
def walk(inspection_id: int):
    """The checklist on one scrolling page: a section index, sections (the closed ones of a large checklist
    load when opened), items, a sticky progress bar and finish bar. `?open=<n>` or `?at=<item>` opens a section."""
    inspection, site, spec = inspection_or_404(inspection_id)
    return render_template("inspections/walk.html", **page_context(inspection, site, spec))


@bp.get("/inspections/<int:inspection_id>/sections/<int:index>")
@login_required
def section(inspection_id: int, index: int):
    """The items of one section of the walk page (a fragment, with or without htmx: the offline copy
    caches it by this URL)."""
    inspection, site, spec = inspection_or_404(inspection_id)
    page = page_context(inspection, site, spec)
    found = next((s for s in sections(page) if s["index"] == index), None)
    if found is None:
        abort(404, description="没有这一节")
    return render_template("inspections/_section_items.html", section=found, **page)


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
        page = page or page_context(ctx["inspection"], ctx["site"], ctx["spec"])
        template = {"state": "inspections/_item_state.html", "photos": "inspections/_item_photos.html",
                    "item": "inspections/_item.html"}[part]
        body = render_template(template, oob_base=(part == "state"), **ctx)
        return body + render_template("inspections/_progress.html", oob=True, **page), status
    if status >= 400:
        page = page_context(ctx["inspection"], ctx["site"], ctx["spec"])
        page["focus"] = ctx
        return render_template("inspections/walk.html", **page), status
    return redirect(url_for("inspections.walk", inspection_id=ctx["inspection"].id, at=ctx["item"].id,
                            _anchor=f"item-{ctx['item'].id}"),
                    code=303)


@bp.get("/inspections/<int:inspection_id>/items/<item_id>")
@login_required
def item(inspection_id: int, item_id: str):
    """One item as stored now (htmx partial), or the page at that item."""
    inspection, site, spec, it = inspection_item(inspection_id, item_id)
    if not _is_htmx():
        return redirect(url_for("inspections.walk", inspection_id=inspection.id, at=it.id, _anchor=f"item-{it.id}"))
    return _render_item(item_context(inspection, site, spec, it), part="item")


@bp.post("/inspections/<int:inspection_id>/items/<item_id>")
def save(inspection_id: int, item_id: str):
    """Save one answer (autosave and plain POST alike): idempotent by client id, 409 on a stale version.

    The sign-in check and everything the save reads come in one query, the answer is scored by the
    item's change alone, and the reply is the item's state and the progress bar only (docs/saves.md).
    Signed out (no session, an ended or expired one, an inactive account), it is refused as
    login_required refuses."""
    session = get_db()
    claim = auth.session_claim()
    read = claim and inspections.for_save(session=session, claim=claim, lifetime=auth.lifetime(),
                                          inspection_id=inspection_id, item_id=item_id)
    if read is None or not auth.adopt(read.user, claim):
        return auth.login_manager.unauthorized()
    if read.found is None:
        abort(404, description="没有这次检查")
    inspection, site, spec, stored, photo_counts = read.found
    it = spec.by_id.get(item_id) or abort(404, description="清单中没有这个条目")
    form, base_version = _save_form()
    captured_at = offline.captured_at_of_form()  # the phone's clock at capture (a queued save); 400 if unreadable
    try:
        with unit_of_work():
            answer = inspections.record_answer(
                session=session, inspection=inspection, item_id=it.id, raw=_raw_answer(it, form),
                note=form.get("note"), by=_user(), base_version=base_version,
                client_id=(form.get("client_id") or None), device_id=(form.get("device_id") or None),
                site=site, stored=stored, captured_at=captured_at)
            standing = tally.standing(session=session, inspection=inspection, spec=spec, site=site,
                                      photo_counts=photo_counts)
    except (scoring.AnswerError, inspections.Conflict, inspections.InspectionError) as exc:
        return _refused(inspection, site, spec, it, exc)  # rolled back; the item again, with the reason
    return _saved_reply(inspection, site, it, answer, standing)


def _save_form():
    """The save's form and its base version: 400 for a body that is no form or a base version that
    is no integer, 428 without one (nothing is read from such a request)."""
    security.require_form(required="base_version")
    try:
        return request.form, int(request.form["base_version"])
    except ValueError:
        abort(400, description="base_version 应为整数")


def _refused(inspection, site, spec, item: Item, exc: Exception):
    """A refused save, re-rendered inline: the value that does not fit the item (422), the other
    device's newer version beside this one (409), or the inspection that takes no answers now."""
    if isinstance(exc, inspections.Conflict):
        who = get_db().get(User, exc.current.by_id)
        conflict = {"theirs": exc.current, "who": who.display_name if who else "", "mine": exc.submitted,
                    "mine_note": request.form.get("note")}
        return _render_item(item_context(inspection, site, spec, item, answer=exc.current, conflict=conflict,
                                         submitted=exc.submitted), exc.status)
    if isinstance(exc, scoring.AnswerError):
        return _render_item(item_context(inspection, site, spec, item, error=str(exc),
                                         submitted=_raw_answer(item, request.form)), 422)
    return _render_item(item_context(inspection, site, spec, item, error=exc.message), exc.status)


def _saved_reply(inspection, site, item: Item, answer, standing):
    """A saved answer: for htmx the item's state (its swap target) and the progress bar out of
    band, both from the counts; without htmx back to the page at the item."""
    if not _is_htmx():
        return redirect(url_for("inspections.walk", inspection_id=inspection.id, at=item.id, _anchor=f"item-{item.id}"), code=303)
    judgement = scoring.judge(item, answer.value, tier=inspection.tier, site_type=site.site_type)
    body = _fragment("inspections/_item_state.html", oob_base=True, inspection=inspection, item=item,
                     answer=answer, judgement=judgement, error=None, conflict=None)
    return body + _fragment("inspections/_progress.html", oob=True, progress=standing.progress,
                            decision=standing, outcome=standing, inspection=inspection)


def _fragment(name: str, **context) -> str:
    """A partial that reads only what it is given and the environment's globals and filters, rendered
    without render_template's context processors and signals, which it does not need (templates
    reloaded as they change when the app reloads them). The globals are copied into one plain dict
    once per template: Jinja's own render walks their ChainMap key by key on every call."""
    env = current_app.jinja_env
    cache = current_app.extensions.setdefault("inspections_fragments", {})
    found = None if env.auto_reload else cache.get(name)
    if found is None:
        template = env.get_template(name)
        found = cache[name] = (template, dict(template.globals))
    template, names = found
    try:
        return env.concat(template.root_render_func(
            new_context(env, template.name, template.blocks, {**names, **context}, True, names)))
    except Exception:  # noqa: BLE001 - as Template.render: Jinja's own traceback rewriting
        return env.handle_exception()


@bp.post("/inspections/<int:inspection_id>/items/<item_id>/photos")
@login_required
def upload(inspection_id: int, item_id: str):
    """Attach photos to an item with the device position; each bad file is refused with its reason."""
    inspection, site, spec, it = inspection_item(inspection_id, item_id)
    files = [f for f in request.files.getlist("photos") + request.files.getlist("photo") if f and f.filename is not None]
    if not files:
        return _render_item(item_context(inspection, site, spec, it, error="请选择要上传的照片"), 400, part="photos")
    device = _device()
    try:  # the phone's client id, original hash/size/name and capture time (web/photos.py, docs/photos.md)
        capture = evidence.parse_capture(request.form)
    except photos.PhotoError as exc:
        return _render_item(item_context(inspection, site, spec, it, error=exc.reason), exc.status, part="photos")
    errors, stored, status, photo_id = [], 0, 200, None
    for i, f in enumerate(files):
        one = capture if i == 0 or capture.client_id is None else \
            dataclasses.replace(capture, client_id=f"{capture.client_id[:60]}.{i}")
        photo, problem = _attach_one(inspection, site, it, f, device, one)
        if photo is not None:
            stored, photo_id = stored + 1, photo.id
        else:
            errors.append(problem[0])
            status = problem[1]
    error = "；".join(errors) if errors else None
    response = _render_item(item_context(inspection, site, spec, it, error=error), 200 if stored else status,
                            part="photos")
    return _with_photo_id(response, photo_id)


def _attach_one(inspection, site, it, f, device, capture):
    """Store one uploaded file: (photo, None), or (None, (reason, status)) when it is refused."""
    from .photos import originals_required
    session, root = get_db(), Path(current_app.config["MEDIA_DIR"])
    try:
        data = photos.read_upload(f.stream, current_app.config["PHOTO_MAX_BYTES"])  # whole, or refused
    finally:
        f.close()
    created: tuple[str, ...] = ()
    try:
        with unit_of_work():
            photo, created = evidence.attach_photo(
                session=session, inspection=inspection, item_id=it.id, data=data, device=device, by=_user(),
                media_root=root, accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"],
                max_bytes=current_app.config["PHOTO_MAX_BYTES"], capture=capture,
                require_original=originals_required(inspection, site))
        return photo, None
    except photos.PhotoError as exc:
        return None, (f"{f.filename or '照片'}：{exc.reason}", exc.status)
    except inspections.InspectionError as exc:
        return None, (exc.message, exc.status)
    except Exception:  # the unit of work rolled back (a failed commit too): see which files are still used
        evidence.discard(session=session, media_root=root, created=created)
        raise


def _with_photo_id(response, photo_id: int | None):
    """The stored (or already stored) photo's id in `X-Photo-Id`, for a phone's outbox."""
    if photo_id is None:
        return response
    from flask import make_response
    response = make_response(response)
    response.headers["X-Photo-Id"] = str(photo_id)
    return response


def _summary(inspection, site, spec, error=None, status=200):
    """The finish page: the decision (verdict, reasons, subsidy), failed items, missing evidence, flags."""
    ctx = page_context(inspection, site, spec)
    from .review import flow_context  # the review blueprint builds on this one
    ctx.update(fixes=list(ctx["decision"].unmet), error=error, **flow_context(inspection))
    return render_template("inspections/summary.html", **ctx), status


@bp.get("/inspections/<int:inspection_id>/summary")
@login_required
def summary(inspection_id: int):
    """Finish: score, vetoes, tier and subsidy, failed items, missing evidence, flags."""
    return _summary(*inspection_or_404(inspection_id))


def _confirm_step(inspection, site, spec):
    """Before a submission the service would accept but with evidence missing (required photos not all
    taken, photos with evidence flags): a page listing it, to confirm (`confirm=1`) or go back. None when
    nothing is missing, or when something blocks the submission (the service then says what). Asked
    when the summary page's form sends `check=1`; a bare POST (scripts, the API) submits as before."""
    ctx = page_context(inspection, site, spec)
    outcome, progress = ctx["outcome"], ctx["progress"]
    if outcome.open_items or outcome.unexplained or progress.answered < progress.total \
            or not inspections.may_edit(inspection, _user()):
        return None
    flagged = [(item_id, p) for item_id, plist in ctx["photos_by_item"].items() for p in plist if p.flags]
    if not progress.photos_missing and not flagged:
        return None
    return render_template("inspections/confirm.html", flagged=flagged, **ctx)


@bp.post("/inspections/<int:inspection_id>/submit")
@login_required
def submit(inspection_id: int):
    """Submit the finished inspection."""
    session = get_db()
    inspection, site, spec = inspection_or_404(inspection_id)
    if request.form.get("check") and not request.form.get("confirm"):  # from the summary page's button
        step = _confirm_step(inspection, site, spec)
        if step is not None:
            return step
    try:
        with unit_of_work():
            inspections.submit(session=session, inspection=inspection, by=_user())
    except inspections.InspectionError as exc:  # the summary again, with what is missing
        return _summary(inspection, site, spec, error=exc.message, status=exc.status)
    flash("已提交")
    return redirect(url_for("inspections.summary", inspection_id=inspection.id), code=303)
