"""gzip for text responses: a village signal is slow, so every kilobyte counts.

Pages are compressed per response; static files once per file version (cached in memory).
A reverse proxy that compresses can take over; this keeps the embedded default small too.
"""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

TEXT = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
        "image/svg+xml", "text/plain"}
# Below about one TCP segment gzip saves no round trip, only bytes inside the same packet: a saved
# item's reply (its state and the progress bar, ~1 KB) goes as it is, without the compression's CPU.
MIN_SIZE = 1400
_static_cache: dict[tuple[str, str], bytes] = {}


def _compress(response: Response) -> Response:
    """gzip the body when the client accepts it and it is worth it."""
    if (response.status_code != 200 and not 400 <= response.status_code < 500) \
            or response.mimetype not in TEXT or "Content-Encoding" in response.headers \
            or "gzip" not in request.headers.get("Accept-Encoding", ""):
        return response
    if request.endpoint in ("static", "bundle"):  # the same bytes for every request of one version
        response.direct_passthrough = False
        key = (request.path, response.headers.get("ETag", ""))
        body = _static_cache.get(key)
        if body is None:
            body = gzip.compress(response.get_data(), 9, mtime=0)
            if len(_static_cache) < 256:
                _static_cache[key] = body
    elif response.is_streamed:
        return response
    else:
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        body = gzip.compress(data, 6, mtime=0)
    original = response.response
    response.set_data(body)
    if hasattr(original, "close"):
        original.close()  # a static file's handle
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def register(app: Flask) -> None:
    """Compress text responses of this app."""
    app.after_request(_compress)
