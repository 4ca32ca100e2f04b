"""Static files under content-hashed URLs, and the service worker that keeps the app offline.

JS and CSS files are served minified (comments and whitespace gone, rjsmin/rcssmin), made once per
file version; the files in static/ stay as written. Every `url_for('static', filename=…)` gets `?v=<first 12 hex of the file's SHA-256>`; a request
carrying the current hash is answered as immutable for a year (a changed file gets a new URL).
Scripts one page loads together are also served as one bundle (`BUNDLES`, `/static/bundle/<name>`).
`/sw.js` serves static/sw.js at the site's root (scope `/`) with the list of hashed static URLs
to keep and a version made from their hashes: a changed file makes a new worker, which replaces
only its own versioned static cache (docs/offline.md).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import rcssmin
import rjsmin
from flask import Flask, Response, current_app, request, url_for

_hashes: dict[str, tuple[tuple[int, int], str]] = {}
SHELL_SUFFIXES = (".css", ".js")
IMMUTABLE = "public, max-age=31536000, immutable"


def file_hash(filename: str) -> str | None:
    """The content hash of a file under static/ (cached by size and mtime), or None if there is none."""
    root = Path(current_app.static_folder or "")
    path = (root / filename).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        return None
    stat = path.stat()
    key = (stat.st_size, stat.st_mtime_ns)
    known = _hashes.get(str(path))
    if known and known[0] == key:
        return known[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _hashes[str(path)] = (key, digest)
    return digest


def static_url(filename: str) -> str:
    """The hashed URL of a static file (for templates: `static_url('app.css')`)."""
    return url_for("static", filename=filename)


def static_exists(filename: str) -> bool:
    """Whether a static file is there (a template loads an optional script only then)."""
    return file_hash(filename) is not None


def _add_hash(endpoint: str, values: dict) -> None:
    """url_for('static', …) gets the file's content hash, unless the caller gave one."""
    if endpoint == "static" and "v" not in values and values.get("filename"):
        digest = file_hash(values["filename"])
        if digest:
            values["v"] = digest


def _immutable(response: Response) -> Response:
    """A static file asked for by its current hash never changes: cache it for a year."""
    if request.endpoint == "static" and response.status_code == 200 and request.args.get("v"):
        if request.args["v"] == file_hash((request.view_args or {}).get("filename", "")):
            response.headers["Cache-Control"] = IMMUTABLE
    return response


_minified: dict[tuple[str, str], bytes] = {}
MINIFIERS = {"text/javascript": rjsmin.jsmin, "application/javascript": rjsmin.jsmin, "text/css": rcssmin.cssmin}


def _minify(response: Response) -> Response:
    """A static JS or CSS file of ours is sent minified (vendor files already are), once per version."""
    minify = MINIFIERS.get(response.mimetype)
    filename = (request.view_args or {}).get("filename", "")
    if request.endpoint != "static" or response.status_code != 200 or minify is None \
            or filename.startswith("vendor/") or "Content-Encoding" in response.headers:
        return response
    key = (filename, response.headers.get("ETag", ""))
    body = _minified.get(key)
    source = response.response  # the file's handle, closed below whichever way
    try:
        if body is None:
            body = minify(b"".join(source).decode("utf-8")).encode("utf-8")
            if len(_minified) < 256:
                _minified[key] = body
    finally:
        if hasattr(source, "close"):
            source.close()
    response.direct_passthrough = False
    response.set_data(body)
    return response


# Scripts a page loads together, sent as one file: one request, and one gzip stream whose dictionary
# spans them all (the walk's seven scripts: 19.0 KB gzip apart, 15.9 KB as one; bench/page_weight.py).
# The parts stay separate files in static/ and are concatenated, minified, in this order.
BUNDLES = {"walk.js": ("photoprep.js", "outbox.js", "judge.js", "inspect.js", "queue.js", "photoform.js", "walk.js")}
_bundles: dict[tuple, tuple[str, bytes]] = {}


def bundle(name: str) -> tuple[str, bytes]:
    """A bundle's content hash and body, made once per version of its parts (a missing part is left out)."""
    root = Path(current_app.static_folder or "")
    parts = [(part, file_hash(part)) for part in BUNDLES[name]]
    key = (name, tuple(parts))
    made = _bundles.get(key)
    if made is None:
        body = "\n".join(rjsmin.jsmin((root / part).read_text(encoding="utf-8")) for part, digest in parts if digest)
        data = body.encode("utf-8")
        made = (hashlib.sha256(data).hexdigest()[:12], data)
        _bundles[key] = made
    return made


def bundle_url(name: str) -> str:
    """The hashed URL of a bundle (for templates: `bundle_url('walk.js')`)."""
    return url_for("bundle", name=name, v=bundle(name)[0])


def serve_bundle(name: str) -> Response:
    """A bundle under /static/bundle/ (so the worker keeps it as a static file): immutable by its hash."""
    if name not in BUNDLES:
        return Response("没有这个文件", status=404, mimetype="text/plain")
    digest, data = bundle(name)
    response = Response(data, mimetype="text/javascript")
    response.set_etag(digest)
    response.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == digest else "no-cache"
    return response.make_conditional(request)


def shell_files() -> list[str]:
    """Every CSS and JS file under static/ (vendor included), sorted: what the worker keeps."""
    root = Path(current_app.static_folder or "")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.suffix in SHELL_SUFFIXES and p.name != "sw.js")


def service_worker() -> Response:
    """static/sw.js at /sw.js, preceded by its shell: hashed URLs and a version made of them."""
    files = shell_files()
    urls = [static_url(f) for f in files] + [bundle_url(name) for name in sorted(BUNDLES)]
    worker = Path(current_app.static_folder or "") / "sw.js"
    body = worker.read_text(encoding="utf-8")
    build = str(current_app.config.get("SW_BUILD", ""))
    version = hashlib.sha256(("\n".join(urls) + body + build).encode()).hexdigest()[:12]
    shell = {"version": version, "files": urls, "outbox": static_url("outbox.js")}
    text = f"self.SHELL = {json.dumps(shell)};\n{body}"
    response = Response(text, mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def register(app: Flask) -> None:
    """Hashed static URLs, their immutable caching, `/sw.js`, and `static_url` for templates."""
    app.url_defaults(_add_hash)
    app.after_request(_immutable)
    app.after_request(_minify)  # registered after web/compress: runs before it, so the minified body is gzipped
    app.add_url_rule("/sw.js", "service_worker", service_worker)
    app.add_url_rule("/static/bundle/<name>", "bundle", serve_bundle)  # before /static/<path:filename>: a fixed part ranks first
    app.jinja_env.globals.update(static_url=static_url, static_exists=static_exists, bundle_url=bundle_url)
    from . import offline
    offline.register(app)
