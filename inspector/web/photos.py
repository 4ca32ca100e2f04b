"""Photos you can manage: a photo's page with its evidence, delete and replace with a reason,
and marked-up copies drawn on the phone (static/markup.js) stored beside the original."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..runtime import get_db
from ..core import geo, photos as photo_core
from ..core.errors import DomainError
from ..models import Inspection, Photo, Region, Site, User
from ..services import evidence, inspections, photo_manage, regions, rights, scope
from .work import unit_of_work

bp = Blueprint("photos", __name__)


def _user() -> User:
    return current_user.row


@bp.app_template_global("photo_originals")
def originals_required(inspection: Inspection, site: Site) -> bool:
    """Whether this upload must be the original file: a completion acceptance in a county listed in
    ORIGINAL_PHOTOS_COUNTIES (its region codes; "*" for every county)."""
    counties = current_app.config.get("ORIGINAL_PHOTOS_COUNTIES") or ()
    if inspection.purpose != "completion_acceptance" or not counties:
        return False
    if "*" in counties:
        return True
    chain = regions.ancestry(session=get_db(), region=get_db().get(Region, site.region_id))
    return any(r.level == "county" and r.code in counties for r in chain)


def photo_or_404(photo_id: int) -> tuple[Photo, Inspection, Site]:
    """The photo with its inspection and site, or 404 when it is not in the user's regions."""
    session = get_db()
    photo = session.get(Photo, photo_id)
    inspection = photo and scope.inspection(session=session, user=_user(), inspection_id=photo.inspection_id)
    if inspection is None:
        abort(404, description="没有这张照片")
    return photo, inspection, session.get(Site, inspection.site_id)


def _context(photo: Photo, inspection: Inspection, site: Site, **extra) -> dict:
    """What the photo page shows: the photo, its item, its copies, whether it may still be changed."""
    session = get_db()
    spec = inspections.spec_for(session=session, inspection=inspection)
    item = spec.by_id.get(photo.item_id)
    copies = [p for p in evidence.photos_of(session=session, inspection=inspection).get(photo.item_id, [])
              if p.derived_from_id == photo.id]
    people = {u.id: u.display_name for u in (session.get(User, i) for i in {photo.by_id, photo.deleted_by_id} if i)}
    return dict(photo=photo, inspection=inspection, site=site, item=item, copies=copies, people=people,
                source=session.get(Photo, photo.derived_from_id) if photo.derived_from_id else None,
                replacement=session.get(Photo, photo.replaced_by_id) if photo.replaced_by_id else None,
                editable=photo.deleted_at is None and inspections.may_edit(inspection, _user()),
                originals=originals_required(inspection, site), client_id=uuid.uuid4().hex, error=None) | extra


def _page(photo, inspection, site, *, error=None, status=200):
    return render_template("photos/detail.html", **_context(photo, inspection, site, error=error)), status


@bp.get("/photos/<int:photo_id>")
@login_required
def detail(photo_id: int):
    """A photo at display size with everything it says about itself, and what may be done with it."""
    return _page(*photo_or_404(photo_id))


@bp.post("/photos/<int:photo_id>/delete")
@login_required
def delete(photo_id: int):
    """Delete a photo before submission, with a reason; files stay until the inspection is closed."""
    photo, inspection, site = photo_or_404(photo_id)
    try:
        with unit_of_work() as session:
            photo_manage.delete(session=session, photo=photo, by=_user(), reason=request.form.get("reason"))
    except inspections.InspectionError as exc:  # the photo page again, with the reason
        return _page(photo, inspection, site, error=exc.message, status=exc.status)
    return redirect(url_for("inspections.walk", inspection_id=inspection.id, at=photo.item_id,
                            _anchor=f"item-{photo.item_id}"), code=303)


class UploadRefused(DomainError):
    """An upload the photo page refuses before anything is stored (no file, a malformed position): 400."""

    status = 400


REFUSALS = (photo_core.PhotoError, DomainError)  # each carries its status; str() is its Chinese reason


def _store(photo: Photo, inspection: Inspection, site: Site, *, derived_from: Photo | None) -> Photo:
    """Store the uploaded file as a new photo of the same item (in the caller's unit of work); raises
    one of REFUSALS."""
    upload = request.files.get("photo") or request.files.get("photos")
    if upload is None or upload.filename is None:
        raise UploadRefused("请选择照片")
    try:
        data = photo_core.read_upload(upload.stream, current_app.config["PHOTO_MAX_BYTES"])
        try:
            device = geo.parse_position(request.form.get("lat"), request.form.get("lon"), request.form.get("accuracy"))
        except ValueError as exc:
            raise UploadRefused(str(exc)) from None
        new, _created = evidence.attach_photo(
            session=get_db(), inspection=inspection, item_id=photo.item_id, data=data, device=device, by=_user(),
            media_root=Path(current_app.config["MEDIA_DIR"]), accuracy_limit_m=current_app.config["ACCURACY_LIMIT_M"],
            max_bytes=current_app.config["PHOTO_MAX_BYTES"], capture=evidence.parse_capture(request.form),
            derived_from=derived_from, require_original=originals_required(inspection, site))
        return new
    finally:
        upload.close()


@bp.post("/photos/<int:photo_id>/replace")
@login_required
def replace(photo_id: int):
    """Replace a photo by a new one of the same item, with a reason; the old one is kept, deleted."""
    photo, inspection, site = photo_or_404(photo_id)
    try:
        with unit_of_work() as session:
            reason = photo_manage.check_replaceable(session=session, photo=photo, by=_user(),
                                                    reason=request.form.get("reason"))
            new = _store(photo, inspection, site, derived_from=None)
            photo_manage.replace(session=session, old=photo, new=new, by=_user(), reason=reason)
    except REFUSALS as exc:  # the photo page again, with the reason
        return _page(photo, inspection, site, error=str(exc), status=exc.status)
    return redirect(url_for("photos.detail", photo_id=new.id), code=303)


@bp.get("/photos/<int:photo_id>/markup")
@login_required
def markup_page(photo_id: int):
    """Draw an arrow, a circle or a short text on a copy of the photo."""
    photo, inspection, site = photo_or_404(photo_id)
    rights.require(_user(), "start", inspection.purpose)  # 403 for a role that does not fill it in
    ctx = _context(photo, inspection, site)
    if not ctx["editable"]:
        return _page(photo, inspection, site, error="这张照片已不能再标注", status=409)
    return render_template("photos/markup.html", **ctx)


@bp.post("/photos/<int:photo_id>/markup")
@login_required
def markup(photo_id: int):
    """Store the marked-up copy as a new photo linked to its original (which is kept as it is)."""
    photo, inspection, site = photo_or_404(photo_id)
    try:
        with unit_of_work() as session:
            source = photo_manage.check_markable(session=session, photo=photo, by=_user())
            new = _store(photo, inspection, site, derived_from=source)
    except REFUSALS as exc:  # the photo page again, with the reason
        return _page(photo, inspection, site, error=str(exc), status=exc.status)
    response = make_response(redirect(url_for("photos.detail", photo_id=new.id), code=303))
    response.headers["X-Photo-Id"] = str(new.id)
    return response
