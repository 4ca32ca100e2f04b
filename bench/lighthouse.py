"""Benchmark: Lighthouse mobile scores (performance, accessibility, best practices) of the main pages.

Run from the project root: `.venv/bin/python bench/lighthouse.py` (`--smoke`, or BENCH_SMOKE=1: one page).

Lighthouse is large (about 190 MB with its dependencies), so ./dev.sh setup does not install it:
`npm ci --prefix bench/lighthouse-npm` does (pinned in bench/lighthouse-npm/package-lock.json).
Without it this benchmark says so and exits 0. It runs against Debian's Chromium (CHROME_PATH,
default /usr/bin/chromium), Lighthouse's default mobile form factor with its simulated throttling
(a mid-range phone on slow 4G).

Builds the app on a temporary SQLite database with the demo county, serves it on 127.0.0.1 (the
werkzeug server, one thread per request; the app compresses its own responses), signs in as the
demo inspector and hands Lighthouse the session cookie. Pages: the walk page of a fresh
function-rooms inspection (136 items, the largest checklist) and of a fresh build-standard one,
their summary, the site list, the new-inspection page and the public verify page. Aim: 100 in
each of the three categories. Scores are printed, not enforced; exit 1 when a run fails.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from inspector import create_app  # noqa: E402
from _demo import PASSWORD, demo_database  # noqa: E402

CLI = ROOT / "bench" / "lighthouse-npm" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices")


class Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown the table
        pass


def prepare(tmp: Path) -> tuple[str, dict[str, str]]:
    """A demo database with two fresh inspections; its URL and the pages to score (path by name)."""
    url = f"sqlite:///{tmp / 'lh.db'}"
    _specs, village, (rooms, build) = demo_database(url, [("function-rooms", None), ("build-standard", "standard")])
    pages = {"walk: function-rooms": f"/inspections/{rooms}", "walk: build-standard": f"/inspections/{build}",
             "summary": f"/inspections/{build}/summary", "site list": "/sites/",
             "new inspection": f"/sites/{village}/inspections/new"}
    return url, pages


def session_cookie(app) -> str:
    """Sign in as the demo inspector with the test client (CSRF on); the session cookie's value."""
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]*)"', login)
    r = client.post("/login", data={"username": "inspector", "password": PASSWORD,
                                    "csrf_token": token.group(1) if token else ""})
    if r.status_code != 303:
        raise RuntimeError(f"login failed: {r.status_code}")
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return f"{cookie.key}={cookie.value}"


def issue_verify_page(app, cookie: str) -> str | None:
    """The public verify page of a report issued for the demo's approved acceptance, or None."""
    client = app.test_client()
    client.set_cookie(*cookie.split("=", 1))
    with app.app_context():
        from inspector.runtime import get_db
        from inspector.models import Inspection
        approved = get_db().exec(select(Inspection).where(Inspection.status == "approved")).first()
    if approved is None:
        return None
    page = client.get(f"/inspections/{approved.id}/reports").get_data(as_text=True)
    action = re.search(r'formaction="(/inspections/\d+/reports/[^"]+)"', page)
    token = re.search(r'name="csrf_token" value="([^"]*)"', page)
    if not action:
        return None
    r = client.post(action.group(1), data={"csrf_token": token.group(1) if token else ""})
    return r.headers.get("Location") if r.status_code == 303 else None


def score(url: str, cookie: str | None, out: Path) -> dict[str, float]:
    """One Lighthouse run (mobile): the three category scores ×100, and the audits that fell short."""
    cmd = ["node", str(CLI), url, "--quiet", "--output=json", f"--output-path={out}",
           f"--only-categories={','.join(CATEGORIES)}",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    if cookie:
        cmd.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    for attempt in (1, 2):  # Lighthouse sometimes loses the trace of a load (NO_NAVSTART): once more
        try:
            subprocess.run(cmd, check=True, env=dict(os.environ, CHROME_PATH=CHROME), timeout=300,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            break
        except subprocess.CalledProcessError:
            if attempt == 2:
                raise
    data = json.loads(out.read_text())
    keep = os.environ.get("LIGHTHOUSE_KEEP")  # a folder: each page's full report is kept there, to read its long tasks
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / (re.sub(r"\W+", "_", url.split("//", 1)[-1].split("/", 1)[-1]) + ".json")).write_text(out.read_text())
    result = {c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES}
    short = [f"{a['id']} {a['score']:.2f}" for a in data["audits"].values()
             if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") in ("binary", "numeric")]
    result["short"] = short[:6]
    result["tbt"] = data["audits"].get("total-blocking-time", {}).get("numericValue")
    return result


def main() -> int:
    smoke = "--smoke" in sys.argv or os.environ.get("BENCH_SMOKE") == "1"
    if not CLI.exists():
        print(f"skipped: Lighthouse is not installed ({CLI.relative_to(ROOT)} missing); "
              "install it with `npm ci --prefix bench/lighthouse-npm` (about 190 MB, not part of ./dev.sh setup)")
        return 0
    if not Path(CHROME).exists():
        print(f"skipped: no Chromium at {CHROME} (set CHROME_PATH)")
        return 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-lh-") as tmp:
        db_url, pages = prepare(Path(tmp))
        app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "bench-lighthouse", "MEDIA_DIR": str(Path(tmp) / "media")})
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            cookie = session_cookie(app)
            if not smoke:
                verify = issue_verify_page(app, cookie)
                if verify:
                    pages["verify (public, signed out)"] = verify
            else:
                pages = {"walk: function-rooms": pages["walk: function-rooms"]}
            rows = []
            for name, path in pages.items():
                public = name.startswith("verify")
                rows.append((name, path, score(base + path, None if public else cookie, Path(tmp) / "lh.json")))
        except subprocess.CalledProcessError as exc:
            print(f"FAILED lighthouse: {exc.stderr.decode(errors='replace')[-800:]}")
            return 1
        finally:
            server.shutdown()
            app.extensions["engine"].dispose()
    print("Lighthouse mobile (simulated slow 4G, 4× CPU slowdown), Debian Chromium; aim 100 in each\n")
    print(f"{'page':<30} {'perf':>5} {'a11y':>5} {'best':>5} {'TBT ms':>7}  below 0.9")
    for name, path, r in rows:
        print(f"{name:<30} {r['performance']:>5} {r['accessibility']:>5} {r['best-practices']:>5} "
              f"{(r['tbt'] or 0):>7.0f}  {', '.join(r['short']) or '—'}")
    print(f"\n({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
