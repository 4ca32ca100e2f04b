"""Benchmark: photos resized on the phone (static/photoprep.js) against sending the originals.

Side by side in one run, in Debian's Chromium driven by Playwright against the real app:
- bytes uploaded per 12 MP photo (the multipart request bodies), ours against the original;
- time to sync N photos and N answers over an emulated slow link (CDP
  Network.emulateNetworkConditions: 400 kbit/s up, 1.6 Mbit/s down, 400 ms RTT), ours against
  originals. Sending originals is slow enough (≈ 75 s a photo) that it is measured on fewer photos
  (--original-photos) and scaled to N; the line says so;
- on-phone resize time per photo with 4× CPU throttling (CDP Emulation.setCPUThrottlingRate).
The sample is a synthetic 12 MP photo (bench/photos.py's scene: gradients, shapes, grain), stored
sideways with Orientation 6, GPS and DateTimeOriginal; every copy differs by a small patch.

Run from the project root: `.venv/bin/python bench/photo_upload.py [--photos 40] [--original-photos 4]`.
bench/run --smoke (BENCH_SMOKE=1): 2 photos, 1 original, a fast link; its figures mean nothing.
"""
from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from PIL import Image  # noqa: E402
from sqlmodel import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from inspector import create_app  # noqa: E402
from inspector import db as dbmod  # noqa: E402
from inspector.models import Answer, Photo  # noqa: E402
from _demo import PASSWORD, demo_database  # noqa: E402

SMOKE = bool(os.environ.get("BENCH_SMOKE"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AIM_RATIO = 6.0
SLOW = {"offline": False, "latency": 400, "uploadThroughput": 400_000 / 8, "downloadThroughput": 1_600_000 / 8}
FAST = {"offline": False, "latency": 20, "uploadThroughput": 20_000_000 / 8, "downloadThroughput": 20_000_000 / 8}

SYNC_JS = """async ([prepare, url, items, token]) => {
  const input = document.querySelector('#bench-files');
  const started = performance.now();
  for (let i = 0; i < input.files.length; i++) {
    const file = input.files[i];
    const p = prepare ? await window.InspectorPhotos.prepare(file)
                      : {blob: file, name: file.name, fields: {prepared: 'original'}};
    const data = new FormData();
    data.append('csrf_token', token);
    data.append('client_id', 'bench-' + prepare + '-' + i + '-' + Date.now());
    data.append('captured_at', new Date().toISOString());
    data.append('lat', '34.87'); data.append('lon', '116.86'); data.append('accuracy', '10');
    Object.entries(p.fields).forEach(([k, v]) => data.append(k, v));
    data.append('photo', p.blob, p.name);
    const r = await fetch(url + '/items/' + items[i % items.length] + '/photos', {method: 'POST', body: data,
                          headers: {'HX-Request': 'true', 'X-CSRFToken': token}});
    if (r.status !== 200) throw new Error('photo ' + i + ': ' + r.status);
    const answer = new FormData();
    answer.append('csrf_token', token); answer.append('client_id', 'bench-a-' + prepare + '-' + i + '-' + Date.now());
    answer.append('value', 'pass'); answer.append('base_version', '0');
    const a = await fetch(url + '/items/' + items[i % items.length], {method: 'POST', body: answer,
                          headers: {'HX-Request': 'true', 'X-CSRFToken': token}});
    if (a.status >= 500) throw new Error('answer ' + i + ': ' + a.status);
  }
  return performance.now() - started;
}"""

RESIZE_JS = """async () => {
  const input = document.querySelector('#bench-files');
  const times = [];
  for (const file of input.files) {
    const t = performance.now();
    const p = await window.InspectorPhotos.prepare(file);
    times.push(performance.now() - t);
    if (p.fields.prepared !== 'resized') throw new Error('not resized: ' + p.fields.prepared);
  }
  return times;
}"""


def samples(count: int, folder: Path) -> list[Path]:
    """`count` distinct 12 MP JPEGs (quality 90) with Orientation 6, GPS and DateTimeOriginal."""
    from photos import exif_rotated_with_gps, scene  # bench/photos.py
    stored = scene().transpose(Image.Transpose.ROTATE_90)
    paths = []
    for i in range(count):
        copy = stored.copy()
        copy.paste((i * 37 % 256, i * 91 % 256, i * 53 % 256), (16 * i % 2800, 40, 16 * i % 2800 + 64, 104))
        buf = io.BytesIO()
        copy.save(buf, "JPEG", quality=90, exif=exif_rotated_with_gps())
        path = folder / f"IMG_{i:04d}.JPG"
        path.write_bytes(buf.getvalue())
        paths.append(path)
    return paths


class Counting:
    """WSGI middleware: the request body size of every photo upload, as the server received it."""

    def __init__(self, app):
        self.app, self.photo_bytes = app, []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/photos"):
            self.photo_bytes.append(int(environ.get("CONTENT_LENGTH") or 0))
        return self.app(environ, start_response)


def setup(tmp: Path):
    """A demo database with one inspection; the app served on a free loopback port."""
    url = f"sqlite:///{tmp / 'bench.db'}"
    specs, _village, ids = demo_database(url, [("function-rooms", None)] * 2)  # one for ours, one for the originals
    items = [i.id for i in specs["function-rooms"].items() if i.kind == "check"]  # 128: an answer each
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-photo-upload", "MEDIA_DIR": str(tmp / "media"),
                      "MEDIA_SWEEP_AT_START": False})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, Counting(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, ids, items, url


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def load_files(page, paths: list[Path]) -> None:
    page.evaluate("() => { const i = document.createElement('input'); i.type = 'file'; i.multiple = true;"
                  " i.id = 'bench-files'; i.hidden = true; document.body.append(i); }")
    page.set_input_files("#bench-files", [str(p) for p in paths])


def sync(page, cdp, counter, base, inspection_id, items, paths, *, prepare: bool, link: dict) -> tuple[float, int]:
    """Seconds to send the photos and answers over the emulated link, and the request bytes sent."""
    page.goto(f"{base}/inspections/{inspection_id}")
    load_files(page, paths)
    token = page.locator("input[name=csrf_token]").first.input_value()
    counter.photo_bytes.clear()
    cdp.send("Network.emulateNetworkConditions", link)
    try:
        ms = page.evaluate(SYNC_JS, [prepare, f"{base}/inspections/{inspection_id}", items, token])
    finally:
        cdp.send("Network.emulateNetworkConditions", FAST | {"latency": 0})
    sent = list(counter.photo_bytes)
    return ms / 1000, sum(sent) // max(1, len(sent))


def resize_times(page, cdp, base, inspection_id, paths) -> list[float]:
    page.goto(f"{base}/inspections/{inspection_id}")
    load_files(page, paths)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    try:
        return page.evaluate(RESIZE_JS)
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})


def stored(url: str, inspection_id: int) -> tuple[int, int]:
    engine = dbmod.make_engine(url)
    with dbmod.session(engine) as session:
        photos = len(session.exec(select(Photo).where(Photo.inspection_id == inspection_id)).all())
        answers = len(session.exec(select(Answer).where(Answer.inspection_id == inspection_id)).all())
    engine.dispose()
    return photos, answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2 if SMOKE else 40)
    parser.add_argument("--original-photos", type=int, default=1 if SMOKE else 4)
    parser.add_argument("--resize-runs", type=int, default=2 if SMOKE else 5)
    args = parser.parse_args()
    link = FAST if SMOKE else SLOW
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix="bench-photo-upload-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        paths = samples(max(args.photos, args.original_photos, args.resize_runs), tmp)
        print(f"{len(paths)} sample photos made in {time.perf_counter() - t0:.1f} s "
              f"({paths[0].stat().st_size:,} bytes each, 4032 × 3024, Orientation 6, GPS, DateTimeOriginal)")
        app, server, (ours_id, orig_id), items, url = setup(tmp)
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
                page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                           has_touch=True, device_scale_factor=3).new_page()
                cdp = page.context.new_cdp_session(page)
                cdp.send("Network.enable")
                sign_in(page, base)
                ours_s, ours_bytes = sync(page, cdp, server.app, base, ours_id, items, paths[:args.photos], prepare=True, link=link)
                orig_s, orig_bytes = sync(page, cdp, server.app, base, orig_id, items, paths[:args.original_photos],
                                          prepare=False, link=link)
                times = resize_times(page, cdp, base, ours_id, paths[:args.resize_runs])
                browser.close()
        finally:
            server.shutdown()
        return report(args, link, ours_s, ours_bytes, orig_s, orig_bytes, times, url, ours_id, orig_id, len(items))


def report(args, link, ours_s, ours_bytes, orig_s, orig_bytes, times, url, ours_id, orig_id, items_count) -> int:
    n, m = args.photos, args.original_photos
    ratio = orig_bytes / max(1, ours_bytes)
    orig_n = orig_s / m * n
    up = link["uploadThroughput"] * 8 / 1000
    print(f"\nlink: {up:.0f} kbit/s up, {link['downloadThroughput'] * 8 / 1000:.0f} kbit/s down, "
          f"{link['latency']} ms RTT (CDP Network.emulateNetworkConditions)")
    print(f"{'':44} {'originals':>14} {'ours':>14} {'ratio':>8}")
    print(f"{'bytes uploaded per 12 MP photo':44} {orig_bytes:>14,} {ours_bytes:>14,} {ratio:>7.1f}×")
    scaled = f" (measured on {m}, ×{n / m:g})" if m != n else ""
    print(f"{f'sync {n} photos + {n} answers, s':44} {orig_n:>14.1f} {ours_s:>14.1f} {orig_n / ours_s:>7.1f}×{scaled}")
    print(f"{'resize on the phone, 4× CPU throttling, ms':44} {'—':>14} "
          f"{statistics.median(times):>14.0f}  (median of {len(times)}; {min(times):.0f}–{max(times):.0f})")
    got_ours, got_orig = stored(url, ours_id), stored(url, orig_id)
    print(f"stored: ours {got_ours[0]} photos, {got_ours[1]} answers; originals {got_orig[0]} photos, "
          f"{got_orig[1]} answers")
    if got_ours[0] != n or got_orig[0] != m or got_ours[1] != min(n, items_count) or got_orig[1] != min(m, items_count):
        print(f"FAIL: expected {n} and {m} photos (one per request) and an answer per item")
        return 1
    if not SMOKE and ratio < AIM_RATIO:
        print(f"FAIL: {ratio:.1f}× fewer bytes, aim ≥ {AIM_RATIO:g}×")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
