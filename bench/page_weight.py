"""Benchmark: what a first visit to the main pages costs over a village phone connection.

Run from the project root: `.venv/bin/python bench/page_weight.py`.

Builds the app on a temporary SQLite database with the demo county, signs in with the Flask
test client (CSRF on, as in production) and, for each page, fetches the HTML and every CSS and
JS file it references (`<link rel=stylesheet href>`, `<script src>`) with `Accept-Encoding:
gzip`, counting the bytes of the body as served (after the app's own compression) and the raw
bytes. Pages: the walk page of a fresh build-standard inspection (tier standard, village), of a
fresh function-rooms inspection (the largest checklist), the site list and the checklist browser
for build-standard. Aim: ≤ 30 KB gzip per page on a first visit (empty cache). A walk page of a large
checklist renders its sections closed; their items come from each section's data-section-url when
opened: those fragments are listed apart ("later"), not counted in the first visit. Response headers
are not counted. Exit status 1 when a page cannot be fetched; the aim is reported, not enforced.
"""
from __future__ import annotations

import gzip
import re
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from inspector import create_app  # noqa: E402
from _demo import PASSWORD, demo_database  # noqa: E402

AIM_KB = 30.0


class Assets(HTMLParser):
    """Stylesheets and scripts a page references, in document order; other external references apart."""

    def __init__(self):
        super().__init__()
        self.assets: list[tuple[str, str]] = []  # (kind, url)
        self.other: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower().split() and a.get("href"):
            self.assets.append(("css", a["href"]))
        elif tag == "script" and a.get("src"):
            self.assets.append(("js", a["src"]))
        elif tag in ("img", "source", "iframe", "video", "audio") and a.get("src") \
                and not a["src"].startswith("data:"):
            self.other.append((tag, a["src"]))
        elif tag == "link" and a.get("href") and not a["href"].startswith("data:") \
                and (a.get("rel") or "").lower() in ("icon", "manifest", "preload", "modulepreload", "apple-touch-icon"):
            self.other.append((f"link rel={a.get('rel')}", a["href"]))


def fetch(client, url: str) -> dict:
    """One GET with Accept-Encoding: gzip: status, bytes served, raw bytes, encoding, caching headers."""
    r = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    body = r.get_data()
    encoding = r.headers.get("Content-Encoding", "")
    raw = gzip.decompress(body) if encoding == "gzip" else body
    again = None  # a repeat visit: the status a conditional request gets
    if r.headers.get("ETag"):
        again = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br",
                                         "If-None-Match": r.headers["ETag"]}).status_code
    return {"again": again, "url": url, "status": r.status_code, "wire": len(body), "raw": len(raw), "encoding": encoding or "none",
            "gzip9": len(gzip.compress(raw, 9, mtime=0)), "cache": r.headers.get("Cache-Control", ""),
            "etag": bool(r.headers.get("ETag")), "text": raw.decode("utf-8", errors="replace"),
            "type": r.mimetype}


def measure_page(client, label: str, url: str) -> dict:
    """The page and everything it references."""
    page = fetch(client, url)
    if page["status"] != 200:
        raise RuntimeError(f"{label}: GET {url} answered {page['status']}")
    parser = Assets()
    parser.feed(page["text"])
    rows = [("html", page)]
    for kind, ref in parser.assets:
        if urlsplit(ref).netloc:
            rows.append((kind, {"url": ref, "status": None, "wire": 0, "raw": 0, "encoding": "external", "again": None,
                                "gzip9": 0, "cache": "", "etag": False}))
            continue
        asset = fetch(client, urljoin(url, ref))
        if asset["status"] != 200:
            raise RuntimeError(f"{label}: {ref} answered {asset['status']}")
        rows.append((kind, asset))
    items = len(re.findall(r'<article id="item-', page["text"]))
    forms = len(re.findall(r"<form\b", page["text"]))
    later = []  # closed sections of a walk page: fetched when opened (and by the offline copy), not on first visit
    for ref in re.findall(r'data-section-url="([^"]+)"', page["text"]):
        if _is_open(page["text"], ref):
            continue
        frag = fetch(client, urljoin(url, ref))
        if frag["status"] != 200:
            raise RuntimeError(f"{label}: section {ref} answered {frag['status']}")
        later.append(frag)
    return {"label": label, "url": url, "rows": rows, "other": parser.other, "items": items, "forms": forms,
            "later": later, "elements": len(re.findall(r"<[a-zA-Z]", page["text"]))}


def _is_open(html: str, ref: str) -> bool:
    """Whether the section with this fragment URL is rendered open (its items are in the page)."""
    at = html.index(f'data-section-url="{ref}"')
    return re.search(r"\sopen[\s>]", html[html.rfind("<details", 0, at):html.index(">", at) + 1]) is not None


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def main() -> int:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-weight-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'weight.db'}"
        specs, _village, (build_id, rooms_id) = demo_database(url, [("build-standard", "standard"),
                                                                   ("function-rooms", None)])
        largest = max(specs.values(), key=lambda s: len(list(s.items())))

        app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench-page-weight",
                          "MEDIA_DIR": str(Path(tmp) / "media")})
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]*)"', login)
        r = client.post("/login", data={"username": "inspector", "password": PASSWORD,
                                        "csrf_token": token.group(1) if token else ""})
        if r.status_code != 303:
            print(f"login failed: {r.status_code}")
            return 1

        pages = [
            ("walk: build-standard (standard, village)", f"/inspections/{build_id}"),
            (f"walk: function-rooms (village){' — largest checklist' if largest.id == 'function-rooms' else ''}",
             f"/inspections/{rooms_id}"),
            ("site list", "/sites/"),
            ("checklist browser: build-standard", "/checklists/build-standard"),
        ]
        results = []
        for label, page_url in pages:
            try:
                results.append(measure_page(client, label, page_url))
            except RuntimeError as exc:
                print(f"FAILED {exc}")
                return 1
        app.extensions["engine"].dispose()

    print(f"page weight, first visit (empty cache), bodies with Accept-Encoding: gzip as the app serves them; "
          f"aim ≤ {AIM_KB:.0f} KB per page\n(largest checklist: {largest.id}, {len(list(largest.items()))} items; "
          f"'gzip -9' = what level 9 would give, for reference)\n")
    head = (f"{'page / resource':<52} {'raw KB':>8} {'served KB':>9} {'encoding':>8} {'gzip -9':>8}  cache")
    print(head)
    print("-" * len(head))
    totals = []
    for res in results:
        print(f"{res['label']}  ({res['url']}" + (f", {res['items']} items, {res['forms']} forms" if res["items"] else "")
              + ")")
        raw = wire = g9 = 0
        for kind, row in res["rows"]:
            name = row["url"] if kind != "html" else "HTML"
            cache = (row["cache"] or "no Cache-Control") + (f", ETag → {row['again']} on revalidation"
                                                            if row.get("again") else "")
            print(f"  {kind:<4} {name:<45} {kb(row['raw']):>8} {kb(row['wire']):>9} {row['encoding']:>8} "
                  f"{kb(row['gzip9']):>8}  {cache if kind != 'html' else ''}")
            raw += row["raw"]
            wire += row["wire"]
            g9 += row["gzip9"]
        verdict = "meets" if wire / 1024 <= AIM_KB else "MISSES"
        print(f"  {'total':<50} {kb(raw):>8} {kb(wire):>9} {'':>8} {kb(g9):>8}  {verdict} ≤ {AIM_KB:.0f} KB")
        print(f"  ({res['elements']} HTML elements in the page as served)")
        if res["later"]:
            lw, lr = sum(f["wire"] for f in res["later"]), sum(f["raw"] for f in res["later"])
            print(f"  later: {len(res['later'])} closed sections, fetched when opened or saved for offline use: "
                  f"{kb(lr)} KB raw, {kb(lw)} KB served in all (largest {kb(max(f['wire'] for f in res['later']))} KB)")
        for tag, ref in res["other"]:
            print(f"  (also references <{tag}> {ref}, not counted)")
        totals.append((res["label"], raw, wire))
    static = {row["url"]: row for res in results for kind, row in res["rows"] if kind != "html"}
    revalidated = [u for u, row in static.items() if "no-cache" in row["cache"] or not row["cache"]]
    if revalidated:
        print(f"\nrepeat visits: {len(revalidated)} static file(s) are served with Cache-Control "
              f"'{static[revalidated[0]]['cache'] or 'none'}' and unversioned URLs, so every page view revalidates "
              f"them (one conditional request each, 304 if unchanged): {', '.join(revalidated)}")
    print()
    for label, raw, wire in totals:
        verdict = "meets" if wire / 1024 <= AIM_KB else "MISSES"
        print(f"{label}: {kb(wire)} KB served ({kb(raw)} KB raw) — {verdict} the aim ≤ {AIM_KB:.0f} KB")
    print(f"\n({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
