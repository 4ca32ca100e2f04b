"""Evidence files in the media storage (inspector/storage.py), served only to signed-in users of their region."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required

from ..runtime import get_db
from .. import storage as media_storage
from ..services import scope

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:path>")
@login_required
def file(path: str):
    """A stored photo or report of the user's region; 404 outside it or outside the media folder."""
    if not scope.media_path(session=get_db(), user=current_user.row, path=path):
        abort(404, description="没有这个文件")
    store = media_storage.for_app(current_app)
    if not store.exists(path):  # also refuses a key that would leave the media folder
        abort(404, description="没有这个文件")
    local = store.local_path(path)
    response = send_file(local if local is not None else store.open(path), max_age=31536000,
                         download_name=path.rsplit("/", 1)[-1])
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
