"""Static files as a phone gets them: our JS and CSS minified (the files in static/ stay as written),
vendor files untouched, still cacheable by their content hash."""
from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_scripts_and_styles_are_served_minified_and_revalidate(client):
    for name in ("outbox.js", "walk.js", "app.css"):
        source = (STATIC / name).read_bytes()
        with client.get(f"/static/{name}") as served:
            assert served.status_code == 200
            data, etag = served.data, served.headers["ETag"]
        assert len(data) < 0.85 * len(source), name  # comments and indentation gone
        assert b"/*" not in data.replace(b"/*!", b""), name
        with client.get(f"/static/{name}", headers={"If-None-Match": etag}) as again:
            assert again.status_code == 304
    htmx = STATIC / "vendor" / "htmx.min.js"  # copied from npm at set-up (./dev.sh setup)
    with client.get("/static/vendor/htmx.min.js") as vendor:
        assert vendor.data == htmx.read_bytes()


def test_the_walk_scripts_come_as_one_cached_bundle_that_the_worker_keeps(client):
    import re
    import rjsmin
    from inspector.web.assets import BUNDLES
    with client.get("/sw.js") as worker:
        shell = worker.get_data(as_text=True)
    url = re.search(r'"(/static/bundle/walk\.js\?v=[0-9a-f]{12})"', shell).group(1)  # kept for offline use
    with client.get(url) as served:
        assert served.status_code == 200 and served.mimetype == "text/javascript"
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        body, etag = served.get_data(as_text=True), served.headers["ETag"]
    at = 0
    for part in BUNDLES["walk.js"]:  # every part, minified, in the order the page needs them
        piece = rjsmin.jsmin((STATIC / part).read_text(encoding="utf-8"))
        at = body.index(piece, at)
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/static/bundle/walk.js?v=0000") as stale:  # an old hash: revalidated, never kept a year
        assert stale.headers["Cache-Control"] == "no-cache"
    with client.get("/static/bundle/nothing.js") as missing:
        assert missing.status_code == 404 and "没有这个文件" in missing.get_data(as_text=True)
