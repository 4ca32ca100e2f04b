"""Evidence files under media/, served only to signed-in users and only inside the media folder."""
from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from flask_login import login_required

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:path>")
@login_required
def file(path: str):
    """A stored photo (display copy, thumbnail or original); 404 outside the media folder."""
    response = send_from_directory(current_app.config["MEDIA_DIR"], path, max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
