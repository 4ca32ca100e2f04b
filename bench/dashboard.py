"""Benchmark: the dashboard at 200, 20,000 and 200,000 sites at every level (city, county, township),
and the Excel export of the largest region as a job (time and the worker's peak memory).

Run from the project root: `.venv/bin/python bench/dashboard.py [--sizes 200,20000,200000] [--runs 7]`;
`--smoke` is the quick form (200 and 2,000 sites, PostgreSQL and SQLite, < 1 min).

Per backend and size: a fresh database (a temp SQLite file; a fresh PostgreSQL database, dropped
afterwards), migrated, with a synthetic city made by set-based SQL (INSERT … SELECT over
`generate_series` on PostgreSQL, a recursive CTE on SQLite; no ORM loop): counties of up to
50,000 sites, townships of 20 villages, one site per village, one latest build-standard
inspection per site (mixed purposes and statuses; 3 % never inspected) with 20 answers (12 %
failed), open rectification tasks, 2 % of sites without coordinates. Then
`flask dashboard rebuild-summaries`' set-based rebuild (services/summaries.py), timed, and on
PostgreSQL `VACUUM ANALYZE` as autovacuum would do.

Measured through the Flask test client on an app settled as `inspector/wsgi.py` leaves it, signed
in as the city reviewer, a county reviewer (the first county) and a township user: GET
/dashboard/ (Accept-Encoding: gzip) after six warm-ups, median and p95 (nearest rank) of `--runs`,
SQL statements per request and time in SQL. The export: the city's workbook as an `export` job
run by a fresh worker process (`service.perform`, as the RQ work horse runs it): wall time and
that process's resident memory before the job and the highest sampled during it (VmRSS every
0.1 s; ru_maxrss is also printed, but the app's start-up already sets it). Aims (PostgreSQL): p95 < 500 ms
at every level at every size, the same statement count at every size. Exit 1 when a request fails
or the statement counts differ; time aims are reported, not enforced.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import (Integer, String, case, cast, create_engine, event, func, insert, literal,  # noqa: E402
                        select, text, true, union_all, update)
from sqlalchemy.orm import aliased  # noqa: E402

from inspector import create_app, settle_after_start  # noqa: E402
from inspector import db as dbmod  # noqa: E402
from inspector.core.checklist import load_dir  # noqa: E402
from inspector.models import Answer, Inspection, Job, RectificationTask, Region, Site, User  # noqa: E402
from inspector.services import checklists, summaries, users  # noqa: E402

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AIM_MS = 500.0  # PostgreSQL p95 at every level and size
TODAY = date(2025, 6, 16)
NOW = datetime(2025, 6, 16, 2, tzinfo=timezone.utc)
PASSWORD = "bench-dashboard-1"
VILLAGES_PER_TOWNSHIP = 20
SITES_PER_COUNTY = 50000
ANSWERS_PER_INSPECTION = 20
WARM_UPS = 6  # psycopg prepares a statement on its 5th execution on a connection: warm up past it
LEVELS = ("city", "county", "township")
STATUSES = ("draft", "draft", "submitted", "submitted", "submitted", "returned", "resubmitted", "approved",
            "approved", "accepted")


def _numbers(conn, n: int):
    """A one-column (`g`) selectable of 1..n: generate_series on PostgreSQL, a recursive CTE on SQLite."""
    if conn.dialect.name == "postgresql":
        series = func.generate_series(1, n).table_valued("g").render_derived()
        return select(series.c.g.label("g")).subquery("nums")
    nums = select(literal(1).label("g")).cte("nums", recursive=True)
    nums = nums.union_all(select(nums.c.g + 1).where(nums.c.g < n))
    return select(nums.c.g).subquery("numbers")


def _paths(conn, level: str) -> None:
    """Set the paths of one level's new regions in one statement (the parent's path + id)."""
    parent = aliased(Region)
    conn.execute(update(Region).where(Region.level == level, Region.path == "").values(
        path=select(parent.path).where(parent.id == Region.parent_id).scalar_subquery()
        + cast(Region.id, String) + "/"))


def _pick(column, values, typ=None):
    """CASE column % len(values) → values (bound with the column type, so dates bind per dialect)."""
    return case(*[(column % len(values) == k, literal(v, typ) if typ is not None else literal(v))
                  for k, v in enumerate(values)], else_=literal(values[0], typ) if typ is not None else literal(values[0]))


def _regions(conn, n_sites: int) -> None:
    """Townships and villages under counties of up to SITES_PER_COUNTY sites, in set-based inserts."""
    n_towns = math.ceil(n_sites / VILLAGES_PER_TOWNSHIP)
    towns_per_county = SITES_PER_COUNTY // VILLAGES_PER_TOWNSHIP
    nums = _numbers(conn, n_towns)
    county = aliased(Region, name="c")
    g = nums.c.g
    conn.execute(insert(Region).from_select(["level", "name", "code", "parent_id", "path"], select(
        literal("township"), literal("第") + cast(g, String) + "镇", literal("BT") + cast(g, String), county.id, literal(""))
        .join(county, county.code == literal("BC") + cast((g - 1) // towns_per_county, String))))
    _paths(conn, "township")
    nums = _numbers(conn, n_sites)
    g = nums.c.g
    town = aliased(Region, name="t")
    t = (g - 1) // VILLAGES_PER_TOWNSHIP + 1
    v = (g - 1) % VILLAGES_PER_TOWNSHIP + 1
    conn.execute(insert(Region).from_select(["level", "name", "code", "parent_id", "path"], select(
        literal("village"), literal("第") + cast(t, String) + "镇" + cast(v, String) + "村",
        literal("BV") + cast(g, String), town.id, literal(""))
        .join(town, town.code == literal("BT") + cast(t, String))))
    _paths(conn, "village")


def _sites_and_work(conn, version_id: int, inspector_id: int, items: list[str]) -> None:
    """A site per village, an inspection per site (3 % none), answers, tasks: INSERT … SELECT each."""
    vil, town = aliased(Region, name="v"), aliased(Region, name="t")
    tn = cast(func.substr(town.code, 3), Integer)  # township number: a grid of township centres
    lat = 30.0 + (tn % 100) * 0.05 + (vil.id * 37 % 100) / 2500.0
    lon = 114.0 + (tn // 100) * 0.05 + (vil.id * 53 % 100) / 2500.0
    no_coords = vil.id % 50 == 0
    conn.execute(insert(Site).from_select(
        ["name", "site_type", "region_id", "address", "geofence_m", "created_at", "lat", "lon", "tier_applied"],
        select(vil.name + "党群服务中心", literal("village"), vil.id, literal(""), literal(200),
               literal(NOW, Site.__table__.c.created_at.type), case((no_coords, None), else_=lat),
               case((no_coords, None), else_=lon), _pick(vil.id, ("demo", "standard", "standard", "upgrade", None)))
        .select_from(vil).join(town, town.id == vil.parent_id).where(vil.level == "village")))
    col = Inspection.__table__.c
    when = _pick(Site.id, [NOW - timedelta(days=d, hours=d % 7) for d in range(0, 31, 3)], col.submitted_at.type)
    status = _pick(Site.id * 7, STATUSES)
    score = 30.0 + (Site.id * 13 % 71)
    conn.execute(insert(Inspection).from_select(
        ["site_id", "checklist_version_id", "purpose", "tier", "status", "created_by_id", "started_at", "updated_at",
         "submitted_at", "score", "verdict", "round"],
        select(Site.id, literal(version_id), _pick(Site.id, ("inspection", "self_assessment", "completion_acceptance")),
               literal("standard"), status, literal(inspector_id), when, when,
               case((status == "draft", None), else_=when), score,
               case((score >= 80, literal("pass")), else_=literal("fail")), literal(0))
        .where(Site.id % 33 != 0)))
    arms = union_all(*[select(literal(k).label("k"), literal(item).label("item")) for k, item in enumerate(items)])
    it = arms.subquery("items")
    failed = (Inspection.id * 31 + it.c.k * 17) % 100 < 12
    word = case((failed, literal("fail")), else_=literal("pass"))
    conn.execute(insert(Answer).from_select(
        ["inspection_id", "item_id", "value", "result", "note", "by_id", "at", "version"],
        select(Inspection.id, it.c.item, cast(literal('"') + word + literal('"'), Answer.__table__.c.value.type)
               if conn.dialect.name == "postgresql" else literal('"') + word + literal('"'),
               word, literal(""), literal(inspector_id), literal(NOW, Answer.__table__.c.at.type), literal(1))
        .select_from(Inspection).join(it, true())))
    dues = [TODAY + timedelta(days=d) for d in range(-20, 21, 5)]
    conn.execute(insert(RectificationTask).from_select(
        ["inspection_id", "item_id", "status", "due_date", "created_at"],
        select(Inspection.id, literal(items[0]), literal("open"), _pick(Inspection.id, dues,
                                                                         RectificationTask.__table__.c.due_date.type),
               literal(NOW, RectificationTask.__table__.c.created_at.type)).where(Inspection.id % 12 == 0)))


def build_city(engine, n_sites: int, spec) -> dict:
    """The synthetic city; what was made and how long the summaries' rebuild took."""
    with dbmod.session(engine) as session:
        city = Region(level="city", name="基准市", code="BC", path="")
        session.add(city)
        session.flush()
        city.path = f"/{city.id}/"
        counties = [Region(level="county", name=f"基准{k + 1}县", code=f"BC{k}", parent_id=city.id, path="")
                    for k in range(math.ceil(n_sites / SITES_PER_COUNTY))]
        session.add_all(counties)
        session.flush()
        for c in counties:
            c.path = f"{city.path}{c.id}/"
        hashed = users.hash_password(PASSWORD)
        inspector = User(username="inspector", display_name="检查员", role="inspector", region_id=city.id,
                         password_hash=hashed)
        session.add(inspector)
        version = checklists.ensure_version(session=session, spec=spec)
        session.flush()
        conn = session.connection()
        _regions(conn, n_sites)
        items = [i.id for i in spec.items() if i.applies("standard", "village")][:ANSWERS_PER_INSPECTION]
        _sites_and_work(conn, version.id, inspector.id, items)
        first_town = session.execute(select(Region).where(Region.code == "BT1")).scalar_one()
        session.add_all([User(username=f"u-{level}", display_name=level, role=role, region_id=region.id,
                              password_hash=hashed)
                         for level, role, region in (("city", "city_reviewer", city),
                                                     ("county", "county_reviewer", counties[0]),
                                                     ("township", "township", first_town))])
        t0 = time.perf_counter()
        made = summaries.rebuild(session)
        rebuild_s = time.perf_counter() - t0
        counts = {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one()
                  for m in (Site, Inspection, Answer, RectificationTask)}
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return {**counts, "rebuild_s": rebuild_s, "summary_rows": made["region_summary"]}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _app(url: str):
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench-dashboard",
                       "WTF_CSRF_ENABLED": False, "TODAY": TODAY,
                       "MEDIA_DIR": str(Path(tempfile.gettempdir()) / "bench-dashboard-media")})


def measure(url: str, runs: int) -> dict[str, dict]:
    """Dashboard timings per level on a built database."""
    app = _app(url)
    engine = app.extensions["engine"]
    settle_after_start()  # as the production entry inspector/wsgi.py does after create_app
    stats = {"statements": 0, "sql_s": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, *_args):
        stats["statements"] += 1
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, *_args):
        stats["sql_s"] += time.perf_counter() - conn.info.pop("t0", time.perf_counter())

    out = {}
    for level in LEVELS:
        client = app.test_client()
        r = client.post("/login", data={"username": f"u-{level}", "password": PASSWORD})
        if r.status_code != 303:
            raise RuntimeError(f"login as {level} answered {r.status_code}")
        times, sql_ms, counts = [], [], set()
        for n in range(WARM_UPS + runs):
            stats["statements"], stats["sql_s"] = 0, 0.0
            t0 = time.perf_counter()
            resp = client.get("/dashboard/", headers={"Accept-Encoding": "gzip"})
            body = resp.get_data()
            ms = (time.perf_counter() - t0) * 1000
            if resp.status_code != 200:
                raise RuntimeError(f"GET /dashboard/ as {level} answered {resp.status_code}: {body[:300]!r}")
            if n >= WARM_UPS:
                times.append(ms)
                sql_ms.append(stats["sql_s"] * 1000)
                counts.add(stats["statements"])
        out[level] = {"median": statistics.median(times), "p95": percentile(times, 95),
                      "sql": statistics.median(sql_ms), "statements": sorted(counts), "kb": len(body) / 1024}
    engine.dispose()
    gc.unfreeze()
    return out


def export_job(url: str) -> dict:
    """The city's export as a job, run by a fresh worker process; its time and peak memory."""
    app = _app(url)
    from inspector.jobs import service
    with dbmod.session(app.extensions["engine"]) as session:
        user = session.execute(select(User).where(User.username == "u-city")).scalar_one()
        region = session.get(Region, user.region_id)
        job, _created = service.create(session=session, kind_id="export", params={"filters": {}}, by=user,
                                       region=region)
        session.commit()
        job_id = job.id
    app.extensions["engine"].dispose()
    done = subprocess.run([sys.executable, __file__, "--export-worker", url, str(job_id)], capture_output=True,
                          text=True, timeout=3600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"export worker failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _export_worker(url: str, job_id: int) -> None:
    """Run one export job in this process and print its time and this process's memory: its
    resident memory before the job, the highest sampled during it (every 0.1 s), and ru_maxrss."""
    import threading

    from inspector.jobs import kinds, service  # noqa: F401 - registers the kinds
    app = _app(url)
    rss_start, peak, stop = _rss_mb(), [0.0], threading.Event()

    def sample():
        while not stop.wait(0.1):
            peak[0] = max(peak[0], _rss_mb())
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    outcome = service.perform(app, job_id, lambda _again: None)
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    rss_peak = max(peak[0], _rss_mb())
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with dbmod.session(app.extensions["engine"]) as session:
        job = session.get(Job, job_id)
        size = (Path(app.config["MEDIA_DIR"]) / job.result_path).stat().st_size if job.result_path else 0
        print(json.dumps({"outcome": outcome, "status": job.status, "rows": (job.result or {}).get("rows"),
                          "error": job.error, "s": seconds, "rss_start_mb": rss_start, "rss_peak_mb": rss_peak,
                          "maxrss_mb": maxrss,
                          "xlsx_mb": size / 1024 / 1024}))


def _database(backend: str, tmp: str, n: int, keep: bool = False, reuse: bool = False):
    """A database URL (and how to drop it): fresh, or with --keep/--reuse the PostgreSQL database
    `bench_dashboard_keep_<n>` kept after the run / measured again without building it."""
    if backend == "SQLite":
        return f"sqlite:///{Path(tmp) / 'dashboard.db'}", None, None
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"bench_dashboard_keep_{n}" if keep or reuse else f"bench_dashboard_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        if not reuse:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin.url.set(database=name).render_as_string(hide_password=False), admin, name


def _reused(engine, rebuild: bool) -> dict:
    """A kept database, migrated to head (a new index), its summaries rebuilt when asked."""
    with dbmod.session(engine) as session:
        t0 = time.perf_counter()
        made = summaries.rebuild(session) if rebuild else {"region_summary": None}
        rebuild_s = time.perf_counter() - t0
        counts = {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one()
                  for m in (Site, Inspection, Answer, RectificationTask)}
        session.commit()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return {**counts, "rebuild_s": rebuild_s, "summary_rows": made["region_summary"]}


def run_case(backend: str, n: int, runs: int, spec, with_export: bool, keep: str = "") -> dict:
    """Build one database, measure every level (and the export), drop it (`keep`: "keep" builds
    and keeps it, "reuse" and "rebuild" measure a kept one, "rebuild" after recounting the summaries)."""
    reuse = backend == "PostgreSQL" and keep in ("reuse", "rebuild")
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        url, admin, name = _database(backend, tmp, n, keep=bool(keep), reuse=reuse)
        try:
            engine = dbmod.make_engine(url)
            dbmod.upgrade(engine)
            t0 = time.perf_counter()
            made = _reused(engine, keep == "rebuild") if reuse else build_city(engine, n, spec)
            engine.dispose()
            print(f"{backend:<10} {n:>7} sites: {'reused' if reuse else 'built'} in {time.perf_counter() - t0:.1f} s ({made['inspection']} "
                  f"inspections, {made['answer']} answers, {made['rectificationtask']} tasks; summaries rebuilt in "
                  f"{made['rebuild_s']:.1f} s)", flush=True)
            levels = measure(url, runs)
            for level, r in levels.items():
                print(f"{'':<18} {level:<8} median {r['median']:.0f} ms, p95 {r['p95']:.0f} ms "
                      f"(SQL {r['sql']:.0f} ms), {r['statements']} statements", flush=True)
            export = export_job(url) if with_export else None
            if export:
                print(f"{'':<18} export job {export['status']}: {export['rows']} rows in {export['s']:.1f} s, "
                      f"worker peak RSS {export['rss_peak_mb']:.0f} MB (at start {export['rss_start_mb']:.0f} MB)",
                      flush=True)
            return {"backend": backend, "sites": n, "levels": levels, "export": export, **made}
        finally:
            if admin is not None and not (keep and backend == "PostgreSQL"):
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if admin is not None:
                admin.dispose()


def report(rows: list[dict], sizes: list[int]) -> bool:
    """The side-by-side table, the ratios and the aims; True when the statement counts agree."""
    head = (f"{'backend':<10} | {'sites':>7} | {'level':<8} | {'median ms':>9} | {'p95 ms':>7} | {'SQL ms':>6} | "
            f"{'stmts':>5} | {'page KB':>7}")
    print(head + "\n" + "-" * len(head))
    for r in rows:
        for level, m in r["levels"].items():
            print(f"{r['backend']:<10} | {r['sites']:>7} | {level:<8} | {m['median']:>9.1f} | {m['p95']:>7.1f} | "
                  f"{m['sql']:>6.1f} | {','.join(map(str, m['statements'])):>5} | {m['kb']:>7.0f}")
    print("\nexport of the city as a job (fresh worker process):")
    for r in rows:
        e = r["export"]
        if e:
            print(f"{r['backend']:<10} | {r['sites']:>7} sites | {e['s']:>6.1f} s | peak RSS {e['rss_peak_mb']:>5.0f} MB "
                  f"(start {e['rss_start_mb']:.0f} MB, +{e['rss_peak_mb'] - e['rss_start_mb']:.0f} MB) | "
                  f"{e['xlsx_mb']:.1f} MB xlsx | {e['status']}")
    ok = True
    for backend in sorted({r["backend"] for r in rows}):
        mine = [r for r in rows if r["backend"] == backend]
        for level in LEVELS:
            counts = {tuple(r["levels"][level]["statements"]) for r in mine}
            same = len(counts) == 1 and len(next(iter(counts))) == 1
            ok &= same
            print(f"{backend} {level}: statements {' / '.join(','.join(map(str, c)) for c in sorted(counts))} at "
                  f"{' / '.join(str(r['sites']) for r in mine)} sites — {'the same' if same else 'DIFFERENT'}")
        if backend == "PostgreSQL":
            for r in mine:
                worst = max(m["p95"] for m in r["levels"].values())
                print(f"PostgreSQL, {r['sites']} sites: worst p95 {worst:.0f} ms "
                      f"{'meets' if worst < AIM_MS else 'MISSES'} the aim < {AIM_MS:.0f} ms")
            _extrapolate(mine)
    return ok


def _extrapolate(mine: list[dict]) -> None:
    """600,000 sites, on the line through the two largest sizes measured in this run."""
    if len(mine) < 2 or mine[-1]["sites"] < 100000:
        return
    a, b = mine[-2], mine[-1]
    print(f"extrapolated to 600,000 sites (linear through {a['sites']} and {b['sites']}):")
    for level in LEVELS:
        slope = max(0.0, (b["levels"][level]["p95"] - a["levels"][level]["p95"]) / (b["sites"] - a["sites"]))
        print(f"  {level:<8} p95 ≈ {b['levels'][level]['p95'] + slope * (600000 - b['sites']):.0f} ms"
              + ("  (flat: a township's size does not grow with the city's)" if slope == 0 else ""))
    if a["export"] and b["export"]:
        slope = (b["export"]["s"] - a["export"]["s"]) / (b["sites"] - a["sites"])
        print(f"  export   ≈ {b['export']['s'] + slope * (600000 - b['sites']):.0f} s, peak RSS ≈ "
              f"{b['export']['rss_peak_mb'] + (b['export']['rss_peak_mb'] - a['export']['rss_peak_mb']) / (b['sites'] - a['sites']) * (600000 - b['sites']):.0f} MB")
    slope = (b["rebuild_s"] - a["rebuild_s"]) / (b["sites"] - a["sites"])
    print(f"  rebuild-summaries ≈ {b['rebuild_s'] + slope * (600000 - b['sites']):.0f} s")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--export-worker":
        _export_worker(sys.argv[2], int(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured dashboard requests per level (≥ 5)")
    parser.add_argument("--sizes", default="200,20000,200000", help="site counts, comma-separated")
    parser.add_argument("--backends", default="PostgreSQL,SQLite")
    parser.add_argument("--sqlite-max", type=int, default=20000, help="largest size measured on SQLite")
    parser.add_argument("--export-min", type=int, default=20000, help="export as a job from this size up")
    parser.add_argument("--keep", choices=("keep", "reuse", "rebuild"), default="",
                        help="PostgreSQL: keep the built databases (bench_dashboard_keep_<sites>), or measure "
                             "kept ones again without building (reuse; rebuild: after recounting the summaries)")
    parser.add_argument("--smoke", action="store_true", help="quick: 200 and 2,000 sites, 5 runs, export at 2,000")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.runs, args.export_min = "200,2000", 5, 2000
    runs = max(args.runs, 5)
    sizes = [int(s) for s in args.sizes.split(",")]
    spec = load_dir(ROOT / "checklists")["build-standard"]
    load = os.getloadavg()
    t0 = time.perf_counter()
    rows, failures = [], []
    for backend in args.backends.split(","):
        for n in sizes:
            if backend == "SQLite" and n > args.sqlite_max:
                continue
            try:
                rows.append(run_case(backend, n, runs, spec, with_export=n >= args.export_min, keep=args.keep))
            except Exception as exc:  # noqa: BLE001 - report and go on
                failures.append(f"{backend} {n}: {exc.__class__.__name__}: {exc}")
                print(f"FAILED {failures[-1]}", flush=True)
    if not rows:
        return 1
    print(f"\nGET /dashboard/ per level ({runs} runs after {WARM_UPS} warm-ups, Accept-Encoding: gzip); load average "
          f"at the start {' '.join(f'{x:.1f}' for x in load)} on {os.cpu_count()} CPUs\n")
    ok = report(rows, sizes) and not failures
    for f in failures:
        print(f"FAILED {f}")
    print(f"\n({time.perf_counter() - t0:.0f} s; load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
