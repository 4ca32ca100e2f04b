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
