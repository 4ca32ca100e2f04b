"""What the command modules share: a database session and the media folder of the current app."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from .. import db as dbmod


def session():
    """A new session on the app's engine (the caller commits)."""
    return dbmod.session(current_app.extensions["engine"])


def media_root() -> Path:
    """The app's media folder (photos and reports)."""
    return Path(current_app.config["MEDIA_DIR"])
