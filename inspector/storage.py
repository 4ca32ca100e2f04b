"""The app's media storage: one `LocalStorage` (inspector.core.storage) per app, over MEDIA_DIR."""
from __future__ import annotations

from .core.storage import LocalStorage, Storage


def for_app(app) -> Storage:
    """The app's media storage (one per app, over MEDIA_DIR)."""
    store = app.extensions.get("storage")
    if store is None:
        store = app.extensions["storage"] = LocalStorage(app.config["MEDIA_DIR"])
    return store
