"""Evidence files under media/, served only to signed-in users and only inside the media folder."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory
from flask_login import current_user, login_required

from .. import get_db
from ..services import scope

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:path>")
@login_required
def file(path: str):
    """A stored photo or report of the user's region; 404 outside it or outside the media folder."""
    if not scope.media_path(session=get_db(), user=current_user.row, path=path):
        abort(404, description="没有这个文件")
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
