"""Benchmark: what the walk page costs over the network on a first and on a repeat visit, in
Debian's Chromium at phone size, with the offline shell (static/sw.js) in place.

Run from the project root: `.venv/bin/python bench/offline_sync.py` (`--smoke` or BENCH_SMOKE=1:
the build-standard page only).

Builds the app on a temporary SQLite database with the demo county, serves it on 127.0.0.1,
signs in as the demo inspector and opens the walk page of a fresh inspection. The server counts
the bytes of every response body it sends (as sent: gzip where the app compresses), split into
HTML pages, static files (`/static/…`) and the worker (`/sw.js`). First visit: an empty profile
(this includes the worker's own download of the shell, and its one fetch of the opening page to
keep it, which a phone makes once). Repeat visit:
a new tab on the same profile, after the worker is active. Baseline in the same run: the same
repeat visit with service workers blocked, i.e. what the browser's HTTP cache alone gives (the
hashed URLs are immutable, so it also sends no static bytes when its cache is warm — the worker's
gain is that it also holds when the HTTP cache was evicted, and offline). Exit 1 when a repeat
visit with the worker fetches any static byte.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from inspector import create_app  # noqa: E402
from _demo import PASSWORD, demo_database  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


class Meter:
    """WSGI middleware: bytes of response bodies sent, by kind of path."""

    def __init__(self, app):
        self.app, self.bytes, self.lock = app, Counter(), threading.Lock()

    @staticmethod
    def kind(path: str) -> str:
        return "static" if path.startswith("/static/") else "worker" if path == "/sw.js" else "html"

    def __call__(self, environ, start_response):
        kind = self.kind(environ.get("PATH_INFO", ""))
        for chunk in self.app(environ, start_response):
            with self.lock:
                self.bytes[kind] += len(chunk)
            yield chunk

    def take(self) -> Counter:
        with self.lock:
            out, self.bytes = self.bytes, Counter()
        return out


def build(tmp: Path, smoke: bool):
    """A demo database with fresh walk inspections; the app wrapped in a Meter."""
    url = f"sqlite:///{tmp / 'offline.db'}"
    walks = [("build-standard", "standard")] + ([] if smoke else [("function-rooms", None)])
    _specs, _village, ids = demo_database(url, walks)
    pages = [(spec_id, f"/inspections/{ins}") for (spec_id, _tier), ins in zip(walks, ids)]
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-offline", "MEDIA_DIR": str(tmp / "media"),
                      "MEDIA_SWEEP_AT_START": False})
    return Meter(app), pages


def sign_in(page):
    page.goto("/login")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def visit(pw, base: str, profile: Path, path: str, meter: Meter, *, worker: bool) -> tuple[Counter, Counter]:
    """(first visit, repeat visit) bytes for one walk page on a fresh profile."""
    ctx = pw.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
                                                base_url=base, service_workers="allow" if worker else "block",
                                                **PHONE)
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        sign_in(page)
        meter.take()
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if worker:
            # page.evaluate awaits the promise (wait_for_function would not: a promise passes at once)
            end = time.monotonic() + 60
            while not page.evaluate("""async () => !!navigator.serviceWorker.controller &&
                    !!(await caches.open('pages').then(c => c.match(location.href)))"""):
                if time.monotonic() > end:
                    raise RuntimeError(f"{path}: the worker did not keep the page within 60 s")
                page.wait_for_timeout(200)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)  # the worker's own fetches of the first visit are counted with it
        first = meter.take()
        again = ctx.new_page()
        again.goto(path)
        again.wait_for_load_state("networkidle")
        return first, meter.take()
    finally:
        ctx.close()


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    smoke = "--smoke" in sys.argv or os.environ.get("BENCH_SMOKE") == "1"
    if not shutil.which(CHROMIUM):
        print(f"Chromium not found at {CHROMIUM}")
        return 1
    from playwright.sync_api import sync_playwright
    t0 = time.perf_counter()
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-offline-") as tmp_name:
        tmp = Path(tmp_name)
        meter, pages = build(tmp, smoke)
        server = make_server("127.0.0.1", 0, meter, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        print("walk page over the network, bytes of response bodies as sent (KB): html / static / worker\n")
        print(f"{'page':<16} {'visit':<34} {'html':>7} {'static':>8} {'worker':>7}")
        with sync_playwright() as pw:
            for spec_id, path in pages:
                rows = []
                for worker in (True, False):
                    first, repeat = visit(pw, base, tmp / f"profile-{spec_id}-{worker}", path, meter, worker=worker)
                    tag = "service worker" if worker else "no worker (HTTP cache only: baseline)"
                    rows += [(f"first, {tag}", first), (f"repeat, {tag}", repeat)]
                    if worker and repeat["static"]:
                        failed = True
                for label, b in rows:
                    print(f"{spec_id:<16} {label:<34} {kb(b['html']):>7} {kb(b['static']):>8} {kb(b['worker']):>7}")
        server.shutdown()
    print(f"\nrepeat visit with the worker: {'FAILED, static bytes were fetched' if failed else '0 bytes of static files'}"
          f" ({time.perf_counter() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
