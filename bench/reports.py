"""Benchmark: the completion-acceptance report as PDF, 40 photos embedded as print copies or as originals.

Run from the project root: `.venv/bin/python bench/reports.py`. Takes a few minutes.

Builds a temporary SQLite database and media folder, one submitted completion-acceptance
inspection of build-standard (tier standard, village site) with every applicable item answered
(as tests/test_reports.py's `accepted` fixture does, hall area 35 m² with a note so there is a
failure and a fix list) and 40 photos attached through `evidence.attach_photo`: distinct 12 MP
JPEGs (4032×3024, quality 90, ≈ 3 MB, the synthetic scene of bench/photos.py with EXIF time and
GPS as a phone writes them), so the real pipeline makes the display copies.

Two variants of the same report:

- ours: the real path. HTML = `gather` (which makes/reuses the 640 px print copies) + the
  `reports/acceptance.html` template inside `app.test_request_context()`, exactly as the
  `preview` view does; PDF = `inspector.core.pdf.render` with the arguments `render_pdf` uses.
  Also timed end to end through the signed-in test client: GET …/reports/acceptance?format=pdf.
- naive: the same HTML with every photo `<img src>` pointing at the stored 12 MP original
  (`Photo.original`) instead of its print copy, rendered by the same `pdf.render`.

Times are the median of 3 after a warm-up, HTML and PDF measured apart, variants interleaved.
Peak RSS: for each variant a fresh measuring process runs a fresh child that builds the app,
renders the HTML and the PDF once, and reads `getrusage(RUSAGE_CHILDREN).ru_maxrss` after it
exits (that measuring process has no other child, so the variants cannot pollute each other).
Pages from `pdfinfo`, images from `pdfimages -list`. When ours misses the 1 s aim, the PDF render
is profiled with cProfile. Everything is written under a temporary folder deleted afterwards.
"""
from __future__ import annotations

import cProfile
import importlib.util
import io
import json
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageChops  # noqa: E402
from sqlmodel import select  # noqa: E402

from inspector import create_app  # noqa: E402
from inspector.runtime import get_db  # noqa: E402
from inspector import db as dbmod  # noqa: E402
from inspector.core import pdf  # noqa: E402
from inspector.core import photos as photo_core  # noqa: E402
from inspector.core.checklist import load_dir  # noqa: E402
from inspector.core.clock import CHINA  # noqa: E402
from inspector.core.geo import Position  # noqa: E402
from inspector.models import Inspection, Photo, Site  # noqa: E402
from inspector.services import evidence, inspections, regions, reports, users  # noqa: E402
from inspector.web import reports as web_reports  # noqa: E402

SMOKE = bool(os.environ.get("BENCH_SMOKE"))  # bench/run --smoke: tiny sizes, does it still run?
RUNS = 1 if SMOKE else 3
PHOTOS = 2 if SMOKE else 40
MIN_ROWS = 30
AIM_S, AIM_RSS_MB, AIM_FILE_MB, NAIVE_EXPECTED_MB = 1.0, 200.0, 4.0, 100.0
KIND = "acceptance"
TIER, SITE_TYPE = "standard", "village"
SITE_LAT, SITE_LON = 34.87, 116.86
PASSWORD = "correct-horse-1"
BASE_SCENES = 1 if SMOKE else 4  # distinct synthetic scenes (≈ 1.6 s each); each photo is one of them shifted and maybe mirrored
STATIC = ROOT / "static"
MB = 1024 * 1024


def _bench_photos():
    """bench/photos.py as a module (its `scene` is the synthetic 12 MP photo reused here)."""
    spec = importlib.util.spec_from_file_location("bench_photos", ROOT / "bench" / "photos.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the data

def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return float(d), float(m), round(((value - d) * 60 - m) * 60, 4)


def phone_exif(taken: datetime) -> bytes:
    """EXIF of a landscape phone shot: orientation 1, time with offset, GPS at the site."""
    exif = Image.Exif()
    exif[274] = 1
    exif[271], exif[272] = "Xiaomi", "23049RAD8C"
    sub = exif.get_ifd(0x8769)
    sub[36867] = taken.astimezone(CHINA).strftime("%Y:%m:%d %H:%M:%S")
    sub[36881] = "+08:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", _dms(SITE_LAT), "E", _dms(SITE_LON)
    return exif.tobytes()


def make_photos(n: int) -> list[bytes]:
    """n distinct 12 MP JPEGs (4032×3024, quality 90) with realistic content and phone EXIF."""
    scenes = [_bench_photos().scene(seed=s + 1) for s in range(BASE_SCENES)]
    exif = phone_exif(datetime.now(timezone.utc))
    out = []
    for i in range(n):
        img = scenes[i % BASE_SCENES]
        shift = i // BASE_SCENES
        img = ImageChops.offset(img, 397 * shift, 211 * shift)  # the same statistics, a different picture
        if shift % 2:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=90, exif=exif)
        out.append(buf.getvalue())
    return out


def build(db_url: str, media: Path, specs) -> dict:
    """The database, a user, a submitted completion-acceptance inspection with answers and photos."""
    engine = dbmod.make_engine(db_url)
    dbmod.upgrade(engine)
    spec = specs["build-standard"]
    t = time.perf_counter()
    uploads = make_photos(PHOTOS)
    made_s = time.perf_counter() - t
    with dbmod.session(engine) as session:
        city = regions.add_region(session=session, name="徐州市", level="city", code="B320300")
        county = regions.add_region(session=session, name="沛县", level="county", code="B320322", parent=city)
        town = regions.add_region(session=session, name="龙固镇", level="township", code="B101", parent=county)
        village = regions.add_region(session=session, name="张庄村", level="village", code="B101001", parent=town)
        session.flush()
        site = Site(name="张庄村党群服务中心", site_type=SITE_TYPE, region_id=village.id, address="张庄村村委会旁",
                    lat=SITE_LAT, lon=SITE_LON, tier_applied=TIER, category_doc_number="沛组发〔2026〕8号",
                    category_doc_date=date(2026, 3, 2))  # a completion acceptance needs the approved category
        session.add(site)
        session.flush()
        who = users.create(session=session, username="wangfang", display_name="王芳", role="inspector",
                           region=county, password=PASSWORD)
        ins = inspections.start(session=session, site=site, spec=spec, purpose="completion_acceptance", tier=TIER,
                                by=who)
        applicable = [item for item in spec.items() if item.applies(TIER, SITE_TYPE)]
        for item in applicable:  # as tests/test_reports.py's `accepted` fixture
            rule = item.rule_for(TIER, SITE_TYPE)
            value = {"check": "pass", "document": "present",
                     "choice": item.options[0].value if item.options else None,
                     "count": int(rule.threshold) + 10 if rule else 1,
                     "measure": rule.threshold + 20 if rule else 1}.get(item.kind)
            inspections.record_answer(session=session, inspection=ins, item_id=item.id, raw=value, note=None, by=who)
        inspections.record_answer(session=session, inspection=ins, item_id="hall-area", raw="35",
                                  note="大厅隔断未拆除", by=who)
        with_photos = [item.id for item in applicable if item.evidence.photos] or [i.id for i in applicable]
        t = time.perf_counter()
        for n, data in enumerate(uploads):
            evidence.attach_photo(session=session, inspection=ins, item_id=with_photos[n % len(with_photos)],
                                  data=data, device=Position(SITE_LAT, SITE_LON, 8.0), by=who, media_root=media,
                                  accuracy_limit_m=100)
        attach_s = time.perf_counter() - t
        inspections.submit(session=session, inspection=ins, by=who)
        session.commit()
        info = {"id": ins.id, "applicable": len(applicable), "photo_items": len(set(with_photos[:PHOTOS])),
                "originals_mb": sum(len(d) for d in uploads) / MB, "make_s": made_s, "attach_s": attach_s}
    engine.dispose()
    return info


# ---------------------------------------------------------------- rendering

def app_for(db_url: str, media: Path):
    return create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "bench-reports",
                       "MEDIA_DIR": str(media)})


def naive_html(html: str, session, inspection_id: int, media: Path) -> tuple[str, int]:
    """The report HTML with every print copy `<img src>` pointing at the photo's 12 MP original."""
    base = media.resolve().as_uri() + "/"
    swap = {}
    for p in session.exec(select(Photo).where(Photo.inspection_id == inspection_id)):
        swap[base + photo_core.print_copy(media, p.display)] = base + p.original
    count = 0

    def repl(m: re.Match) -> str:
        nonlocal count
        if m.group(2) in swap:
            count += 1
            return m.group(1) + swap[m.group(2)] + m.group(3)
        return m.group(0)

    return re.sub(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', repl, html), count


def report_html(app, inspection_id: int, variant: str) -> tuple[str, dict]:
    """The report's HTML as the preview view makes it (ours), or with originals swapped in (naive)."""
    with app.test_request_context(f"/inspections/{inspection_id}/reports/{KIND}"):
        session = get_db()
        inspection = session.get(Inspection, inspection_id)
        site = session.get(Site, inspection.site_id)
        kind = reports.KINDS[KIND]
        inputs = web_reports._gather(inspection, site, kind, {})
        meta = {"number": "（预览稿，未签发）", "version": 0, "issued_at": "", "issued_by": "", "verify_url": None,
                "preview": True}
        html = web_reports._renderer(kind)(inputs, meta)
        swapped = 0
        if variant == "naive":
            html, swapped = naive_html(html, session, inspection_id, web_reports._media())
        return html, {"rows": sum(len(s["rows"]) for s in inputs["sections"]), "photos": len(inputs["photos"]),
                      "answered": inputs["outcome"]["answered"], "swapped": swapped,
                      "flags": sum(len(p["flags"]) for p in inputs["photos"])}


def render(html: str, media: Path) -> bytes:
    """inspector.core.pdf.render with the arguments reports.render_pdf gives it."""
    return pdf.render(html, base=media, roots=(media, STATIC))


def child(variant: str, inspection_id: int, db_url: str, media: str, out: str) -> None:
    """One render in this fresh process (for peak RSS); prints its timings as JSON."""
    media_root = Path(media)
    t0 = time.perf_counter()
    app = app_for(db_url, media_root)
    t1 = time.perf_counter()
    html, _ = report_html(app, inspection_id, variant)
    t2 = time.perf_counter()
    size = 0
    if variant != "baseline":
        data = render(html, media_root)
        Path(out).write_bytes(data)
        size = len(data)
    t3 = time.perf_counter()
    app.extensions["engine"].dispose()
    print(json.dumps({"app_s": t1 - t0, "html_s": t2 - t1, "pdf_s": t3 - t2, "bytes": size,
                      "self_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(args: list[str]) -> None:
    """Run one child render and print its peak RSS as seen from here (this process has no other child)."""
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(done.returncode)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["children_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def fresh_rss(variant: str, inspection_id: int, db_url: str, media: Path, out: Path) -> dict:
    """Peak RSS (MB) of a fresh process doing one render, through a fresh measuring process."""
    done = subprocess.run([sys.executable, __file__, "--measure", variant, str(inspection_id), db_url, str(media),
                           str(out)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{variant} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- measuring

def timed(step):
    start = time.perf_counter()
    value = step()
    return time.perf_counter() - start, value


def poppler(pdf_path: Path) -> tuple[int, int, list[str]]:
    """Pages (pdfinfo) and images (pdfimages -list) of a PDF, and the images' size/encoding columns."""
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    listed = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    rows = [line.split() for line in listed if line.strip()]
    return pages, len(rows), [f"{r[3]}×{r[4]} {r[8]}" for r in rows]


def login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]*)"', page)
    r = client.post("/login", data={"username": "wangfang", "password": PASSWORD,
                                    "csrf_token": token.group(1) if token else ""})
    if r.status_code != 303:
        raise RuntimeError(f"login failed: {r.status_code}")


AREAS = (  # (path fragment, area) — first match wins; used to read the profile
    ("weasyprint/css/", "style: CSS parse, cascade, computed values"),
    ("cssselect2", "style: CSS parse, cascade, computed values"),
    ("tinycss2", "style: CSS parse, cascade, computed values"),
    ("weasyprint/layout/table", "layout: tables"),
    ("weasyprint/layout/flex", "layout: flex"),
    ("weasyprint/layout/", "layout: blocks, inline, pages"),
    ("weasyprint/text/fonts", "fonts: loading, fontconfig"),
    ("weasyprint/text/", "text: Pango shaping and line breaking"),
    ("weasyprint/pdf/fonts", "PDF: font subsetting and embedding"),
    ("weasyprint/pdf/", "PDF: drawing and assembly"),
    ("weasyprint/draw", "PDF: drawing and assembly"),
    ("weasyprint/stacking", "PDF: drawing and assembly"),
    ("weasyprint/images", "images: decode, transpose, re-encode"),
    ("PIL/", "images: decode, transpose, re-encode"),
    ("pydyf", "PDF: serialization and compression"),
    ("weasyprint/formatting_structure", "boxes: building the box tree"),
    ("html5lib", "HTML parse"),
    ("weasyprint/html", "HTML parse"),
    ("weasyprint/urls", "fetching files"),
    ("inspector/core/pdf", "fetching files"),
)


STAGES = (  # (file fragment, function, what it is): WeasyPrint's main steps, for reading the profile
    ("css/__init__.py", "get_all_computed_styles", "style cascade (all elements, UA + report CSS)"),
    ("formatting_structure/build.py", "build_formatting_structure", "box tree"),
    ("layout/__init__.py", "layout_document", "layout, all pages"),
    ("layout/flex.py", "flex_layout", "  of which flex containers (.grid, .head, .summary)"),
    ("layout/table.py", "table_layout", "  of which tables"),
    ("layout/page.py", "make_margin_boxes", "  of which page margin boxes (header, footer, page x/y)"),
    ("text/line_break.py", "split_first_line", "  text shaping + line breaking (Pango), everywhere"),
    ("draw/__init__.py", "draw_page", "drawing pages into PDF streams"),
    ("weasyprint/images.py", "get_image_from_uri", "loading images"),
    ("pdf/fonts.py", "build_fonts_dictionary", "fonts: subsetting (HarfBuzz) and embedding"),
    ("pydyf/__init__.py", "write", "PDF serialization and compression"),
)


def profile(html: str, media: Path, top: int = 10) -> tuple[str, list[tuple[str, float]], float, list]:
    """cProfile of one PDF render: top functions by cumulative time, main stages, self time by area."""
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    render(html, media)
    prof.disable()
    wall = time.perf_counter() - start
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    text = buf.getvalue()
    text = text[text.find("   ncalls"):].rstrip()
    raw = pstats.Stats(prof).stats
    areas: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in raw.items():
        area = next((a for frag, a in AREAS if frag in filename), None)
        if area is None:
            if "zlib" in name or "compress" in name:
                area = "PDF: serialization and compression"
            elif filename == "~" and "harfbuzz" in name.lower():
                area = "PDF: font subsetting and embedding"
            else:
                area = "other (cffi calls into Pango/HarfBuzz, builtins, …)"
        areas[area] += tt
    stages = []
    for frag, func, label in STAGES:
        hits = [(ct, nc) for (filename, _l, name), (_cc, nc, _tt, ct, _c) in raw.items()
                if name == func and filename.replace("\\", "/").endswith(frag)]
        if hits:
            stages.append((label, max(h[0] for h in hits), sum(h[1] for h in hits)))
    return text, sorted(areas.items(), key=lambda kv: -kv[1]), wall, stages


def mb(n: float) -> str:
    return f"{n:,.1f}"


def main() -> int:
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    specs = load_dir(ROOT / "checklists")
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        db_url, media = f"sqlite:///{tmp / 'reports.db'}", tmp / "media"
        print(f"building: {PHOTOS} photos of 4032×3024 through evidence.attach_photo …", flush=True)
        data = build(db_url, media, specs)
        iid = data["id"]
        app = app_for(db_url, media)
        client = app.test_client()
        login(client)
        url = f"/inspections/{iid}/reports/{KIND}?format=pdf"

        # the one-time print copies: first GET in this process, first GET with no copies, then cached
        def get() -> bytes:
            r = client.get(url)
            if r.status_code != 200 or not r.data.startswith(b"%PDF"):
                raise RuntimeError(f"GET {url}: {r.status_code} {r.get_data(as_text=True)[:300]}")
            return r.data
        first_process_s, _ = timed(get)  # also pays WeasyPrint's and Pango's first-use costs
        cached_gets = [timed(get)[0] for _ in range(RUNS)]
        shutil.rmtree(media / "print")
        first_copies_s, _ = timed(get)  # a warm process, but the 40 print copies must be made again
        with dbmod.session(app.extensions["engine"]) as session:
            displays = [p.display for p in session.exec(select(Photo).where(Photo.inspection_id == iid))]
        shutil.rmtree(media / "print")
        copies_cold_s, paths = timed(lambda: [photo_core.print_copy(media, d) for d in displays])
        copies_warm_s, _ = timed(lambda: [photo_core.print_copy(media, d) for d in displays])
        print_mb = sum((media / p).stat().st_size for p in paths) / MB
        display_mb = sum((media / d).stat().st_size for d in displays) / MB
        setup_s = statistics.median(timed(pdf.check_setup)[0] for _ in range(RUNS))

        # stage timings: warm-up, then RUNS interleaved rounds
        print("timing: HTML and PDF, ours and naive, warm-up + "
              f"{RUNS} runs each (the naive PDF takes a while) …", flush=True)
        times = {v: {"html": [], "pdf": [], "cpu": []} for v in ("ours", "naive")}
        html, facts, pdfs = {}, {}, {}
        for run in range(RUNS + 1):
            for v in ("ours", "naive"):
                t_html, (html[v], facts[v]) = timed(lambda: report_html(app, iid, v))
                cpu = time.process_time()
                t_pdf, pdfs[v] = timed(lambda: render(html[v], media))
                cpu = time.process_time() - cpu
                if run:
                    times[v]["html"].append(t_html)
                    times[v]["pdf"].append(t_pdf)
                    times[v]["cpu"].append(cpu)
        med = {v: {k: statistics.median(t) for k, t in d.items()} for v, d in times.items()}
        if facts["ours"]["rows"] < MIN_ROWS or facts["ours"]["photos"] != PHOTOS:
            raise RuntimeError(f"report shows {facts['ours']['rows']} rows and {facts['ours']['photos']} photos")
        if facts["naive"]["swapped"] != PHOTOS:
            raise RuntimeError(f"naive: {facts['naive']['swapped']} of {PHOTOS} <img> swapped to originals")

        files = {}
        for v in ("ours", "naive"):
            path = tmp / f"{v}.pdf"
            path.write_bytes(pdfs[v])
            pages, images, kinds = poppler(path)
            files[v] = {"mb": len(pdfs[v]) / MB, "pages": pages, "images": images,
                        "kinds": sorted(set(kinds), key=kinds.count, reverse=True)}

        # why the naive file is what it is: WeasyPrint's `image-orientation: from-image` runs
        # ImageOps.exif_transpose on any image carrying EXIF, which returns a copy, so the original
        # bytes are dropped and the 12 MP picture is re-encoded (Pillow's default quality 75).
        # Rendered once with `image-orientation: none`, the originals go in byte for byte.
        verbatim_html = html["naive"].replace("</style>", "img { image-orientation: none; }\n</style>", 1)
        verbatim_s, verbatim = timed(lambda: render(verbatim_html, media))
        (tmp / "verbatim.pdf").write_bytes(verbatim)
        _, verbatim_images, _ = poppler(tmp / "verbatim.pdf")

        print("peak RSS: one fresh process per variant …", flush=True)
        rss = {v: fresh_rss(v, iid, db_url, media, tmp / f"child-{v}.pdf") for v in ("baseline", "ours", "naive")}
        app.extensions["engine"].dispose()

        # ---------------------------------------------------------------- the table
        o, n = med["ours"], med["naive"]
        total = {v: med[v]["html"] + med[v]["pdf"] for v in med}
        print(f"\nacceptance report PDF: {facts['ours']['rows']} item rows ({facts['ours']['answered']} answered of "
              f"{data['applicable']} applicable), {PHOTOS} photos on {data['photo_items']} items; originals "
              f"4032×3024 JPEG q90, {mb(data['originals_mb'])} MB in all ({data['originals_mb'] / PHOTOS:.2f} MB each)")
        print(f"WeasyPrint {__import__('weasyprint').__version__}, Pillow {Image.__version__}, "
              f"Python {sys.version.split()[0]}; inspector.core.pdf.fast_subsetting() = {pdf.fast_subsetting()}")
        print(f"times: median of {RUNS} after a warm-up (s); RSS: peak of a fresh process doing one render (MB)\n")
        head = (f"{'variant':<34} {'HTML s':>7} {'PDF s':>7} {'total s':>8} {'PDF CPU s':>10} {'peak RSS':>9} "
                f"{'file MB':>9} {'pages':>6} {'images':>7}")
        print(head)
        print("-" * len(head))
        for v, label in (("ours", "ours: print copies (640 px)"), ("naive", "naive: 12 MP originals")):
            print(f"{label:<34} {med[v]['html']:>7.3f} {med[v]['pdf']:>7.3f} {total[v]:>8.3f} {med[v]['cpu']:>10.3f} "
                  f"{rss[v]['children_maxrss_mb']:>9.0f} {files[v]['mb']:>9.2f} {files[v]['pages']:>6} "
                  f"{files[v]['images']:>7}")
        print(f"{'naive / ours':<34} {n['html'] / o['html']:>6.1f}× {n['pdf'] / o['pdf']:>6.1f}× "
              f"{total['naive'] / total['ours']:>7.1f}× {n['cpu'] / o['cpu']:>9.1f}× {rss['naive']['children_maxrss_mb'] / rss['ours']['children_maxrss_mb']:>8.1f}× "
              f"{files['naive']['mb'] / files['ours']['mb']:>8.1f}×")
        print(f"{'aim for ours':<34} {'':>7} {'':>7} {'≤ ' + format(AIM_S, '.0f'):>8} {'':>10} {'≤ ' + format(AIM_RSS_MB, '.0f'):>9} "
              f"{'≤ ' + format(AIM_FILE_MB, '.0f'):>9}")
        verdict = lambda ok: "meets" if ok else "MISSES"  # noqa: E731
        print(f"\nours: {total['ours']:.3f} s HTML+PDF ({verdict(total['ours'] <= AIM_S)} ≤ {AIM_S:.0f} s; "
              f"the PDF alone {o['pdf']:.3f} s), {rss['ours']['children_maxrss_mb']:.0f} MB peak RSS "
              f"({verdict(rss['ours']['children_maxrss_mb'] <= AIM_RSS_MB)} ≤ {AIM_RSS_MB:.0f} MB), "
              f"{files['ours']['mb']:.2f} MB file ({verdict(files['ours']['mb'] <= AIM_FILE_MB)} ≤ {AIM_FILE_MB:.0f} MB)")
        print(f"naive: {files['naive']['mb']:.1f} MB file (expected > {NAIVE_EXPECTED_MB:.0f} MB: "
              f"{'yes' if files['naive']['mb'] > NAIVE_EXPECTED_MB else 'NO'}), {total['naive']:.2f} s, "
              f"{rss['naive']['children_maxrss_mb']:.0f} MB peak RSS")
        print(f"embedded images — ours: {', '.join(files['ours']['kinds'][:3])}; "
              f"naive: {', '.join(files['naive']['kinds'][:3])}")
        print(f"the naive file holds {files['naive']['mb']:.1f} MB for {mb(data['originals_mb'])} MB of originals: "
              f"WeasyPrint's image-orientation: from-image re-encodes every JPEG that carries EXIF (quality 75); "
              f"with `img {{ image-orientation: none }}` the originals go in verbatim: "
              f"{len(verbatim) / MB:.1f} MB, {verbatim_images} images, {verbatim_s:.2f} s (one run)")
        print(f"\nprint copies (one-time, made by gather on the first render, then reused):")
        print(f"  40 print copies from the display copies: {copies_cold_s:.3f} s first time "
              f"({copies_cold_s / PHOTOS * 1000:.1f} ms each), {copies_warm_s * 1000:.1f} ms when cached; "
              f"{mb(print_mb)} MB of print copies from {mb(display_mb)} MB of display copies")
        print(f"  GET {url}: first in a fresh app process {first_process_s:.3f} s; "
              f"first with no print copies {first_copies_s:.3f} s; cached {statistics.median(cached_gets):.3f} s "
              f"(median of {RUNS})")
        print(f"  pdf.check_setup() (fc-list + HarfBuzz check, done by render_pdf on every PDF): {setup_s * 1000:.1f} ms")
        print(f"\nfresh-process detail (one render each; MB are ru_maxrss):")
        for v in ("baseline", "ours", "naive"):
            r = rss[v]
            what = "app + gather + template, no PDF" if v == "baseline" else "app + HTML + PDF"
            print(f"  {v:<8} {what:<32} peak {r['children_maxrss_mb']:>6.0f} MB; create_app {r['app_s']:.2f} s, "
                  f"HTML {r['html_s']:.2f} s, PDF {r['pdf_s']:.2f} s (cold process)")
        print(f"\nsetup: {PHOTOS} JPEGs generated in {data['make_s']:.1f} s, attached (ingest + rows) in "
              f"{data['attach_s']:.1f} s; {facts['ours']['flags']} evidence flags on the photos")

        if total["ours"] > AIM_S:
            text, areas, wall, stages = profile(html["ours"], media)
            print(f"\nours misses ≤ {AIM_S:.0f} s: cProfile of one PDF render ({wall:.2f} s under the profiler), "
                  f"top 10 by cumulative time:")
            print(text)
            print(f"\nWeasyPrint's main stages (cumulative, under the profiler; total {wall:.2f} s):")
            for label, ct, calls in stages:
                print(f"  {label:<58} {ct:>6.2f} s {100 * ct / wall:>5.1f} %  ({calls} calls)")
            overall = sum(t for _, t in areas)
            print("\nself time by area (profiled):")
            for area, t in areas:
                if t / overall >= 0.01:
                    print(f"  {area:<52} {t:>6.2f} s {100 * t / overall:>5.1f} %")
        load_end = os.getloadavg()
        print(f"\n(bench/reports.py ran {time.perf_counter() - t_start:.0f} s on {os.cpu_count()} CPUs; 1-min load "
              f"average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end: other work on the machine "
              f"inflates wall times, PDF CPU s is the less noisy figure)")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])
    elif len(sys.argv) > 1 and sys.argv[1] == "--measure":
        measure(sys.argv[2:])
    else:
        sys.exit(main())
