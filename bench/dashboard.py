"""Benchmark: the county dashboard and its Excel export at 200 and at 20,000 sites, SQLite and PostgreSQL.

Run from the project root: `.venv/bin/python bench/dashboard.py [--runs 7] [--sizes 200,20000]`.

Per backend and size: a fresh database (a temp SQLite file; a fresh PostgreSQL database, dropped
afterwards), migrated, with a synthetic county built by bulk inserts (`session.execute(insert(...),
rows)`): townships of 20 villages, one site per village, one latest build-standard inspection per
site (mixed purposes and statuses, some returned, some submitted long ago) with 20 answers, open
rectification tasks (some overdue, some due soon), a few sites never inspected or without
coordinates. PostgreSQL gets `VACUUM ANALYZE` after the load, as autovacuum would do by itself.
The most-failed-items statement uses `ix_answer_result_inspection_item` (migration 0004; it was
proposed by this benchmark: SQL at 20,000 sites on PostgreSQL 294 → 225 ms).

Measured through the Flask test client on an app settled as `inspector/wsgi.py` leaves it
(`settle_after_start`), signed in as the county reviewer: GET /dashboard/ (with
`Accept-Encoding: gzip`, as a browser sends it) after six warm-up requests (past psycopg's
preparing a statement on its 5th execution), median and p95 (nearest rank) of `--runs` runs, the
number of SQL statements per request and the time spent in SQL; and GET /dashboard/export.xlsx
(median of `--export-runs`, 2 by default: at 20,000 sites one takes a quarter of a minute).
Aims: p95 < 100 ms at 200 sites and < 500 ms at 20,000 on PostgreSQL, and the same statement
count at both sizes. The machine's load average is printed: other work skews every figure.
Exit status 1 when a request fails or the statement counts differ; the time aims are reported,
not enforced.
"""
from __future__ import annotations

import argparse
import gc
import gzip
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import String, cast, create_engine, event, insert, select, text, update  # noqa: E402
from sqlalchemy.orm import aliased  # noqa: E402

from inspector import create_app, settle_after_start  # noqa: E402
from inspector import db as dbmod  # noqa: E402
from inspector.core.checklist import load_dir  # noqa: E402
from inspector.models import Answer, Inspection, RectificationTask, Region, Site, User  # noqa: E402
from inspector.services import checklists, users  # noqa: E402

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AIMS_MS = {200: 100.0, 20000: 500.0}  # on PostgreSQL
TODAY = date(2025, 6, 16)
PASSWORD = "bench-dashboard-1"
VILLAGES_PER_TOWNSHIP = 20
ANSWERS_PER_INSPECTION = 20
BATCH = 20000
# psycopg prepares a statement on its 5th execution on a connection (prepare_threshold): warm up past it
WARM_UPS = 6


def build_county(engine, n_sites: int, spec, seed: int = 2025) -> dict:
    """The synthetic county, inserted in bulk; counts of what was made."""
    rnd = random.Random(seed)
    now = datetime(2025, 6, 16, 2, tzinfo=timezone.utc)
    with dbmod.session(engine) as session:
        city = Region(level="city", name="基准市", code="B0", path="")
        session.add(city)
        session.flush()
        city.path = f"/{city.id}/"
        county = Region(level="county", name="基准县", code="B00", parent_id=city.id, path="")
        session.add(county)
        session.flush()
        county.path = f"{city.path}{county.id}/"
        hashed = users.hash_password(PASSWORD)
        session.add_all([User(username="county", display_name="县委组织部", role="county_reviewer",
                              region_id=county.id, password_hash=hashed)])
        inspector = User(username="inspector", display_name="检查员", role="inspector", region_id=county.id,
                         password_hash=hashed)
        session.add(inspector)
        version = checklists.ensure_version(session=session, spec=spec)
        session.flush()

        n_towns = math.ceil(n_sites / VILLAGES_PER_TOWNSHIP)
        session.flush()
        town_ids = _insert_regions(session, [{"level": "township", "name": f"第{t + 1}镇", "code": f"B{t + 1:04d}",
                                              "parent_id": county.id} for t in range(n_towns)])
        centres = [(34.4 + rnd.random() * 0.6, 116.5 + rnd.random() * 0.8) for _ in town_ids]
        village_rows, site_rows = [], []
        for n in range(n_sites):
            t = n // VILLAGES_PER_TOWNSHIP
            village_rows.append({"level": "village", "name": f"第{t + 1}镇{n % VILLAGES_PER_TOWNSHIP + 1}村",
                                 "code": f"B{t + 1:04d}{n % VILLAGES_PER_TOWNSHIP + 1:03d}", "parent_id": town_ids[t]})
        village_ids = _insert_regions(session, village_rows)
        for n, vid in enumerate(village_ids):
            lat, lon = centres[n // VILLAGES_PER_TOWNSHIP]
            located = rnd.random() > 0.02
            site_rows.append({"name": f"{village_rows[n]['name']}党群服务中心", "site_type": "village",
                              "region_id": vid, "address": "", "geofence_m": 200, "created_at": now,
                              "lat": round(lat + rnd.uniform(-0.05, 0.05), 6) if located else None,
                              "lon": round(lon + rnd.uniform(-0.06, 0.06), 6) if located else None,
                              "tier_applied": rnd.choice(("demo", "standard", "standard", "upgrade", None))})
        site_ids = _insert_returning(session, Site, site_rows)

        items = [i for i in spec.items() if i.applies("standard", "village")][:ANSWERS_PER_INSPECTION]
        statuses = ["draft"] * 2 + ["submitted"] * 3 + ["returned"] + ["resubmitted"] + ["approved"] * 2 + ["accepted"]
        ins_rows = []
        for site_id in site_ids:
            if rnd.random() < 0.03:
                continue  # never inspected
            status = rnd.choice(statuses)
            score = round(rnd.triangular(30, 100, 88), 2)
            submitted = now - timedelta(days=rnd.randint(0, 30), hours=rnd.randint(0, 23))
            ins_rows.append({"site_id": site_id, "checklist_version_id": version.id,
                             "purpose": rnd.choice(("inspection", "self_assessment", "completion_acceptance")),
                             "tier": "standard", "status": status, "created_by_id": inspector.id,
                             "started_at": submitted - timedelta(days=1), "updated_at": submitted,
                             "submitted_at": None if status == "draft" else submitted,
                             "score": score, "verdict": "pass" if score >= 80 else "fail", "round": 0})
        ins_ids = _insert_returning(session, Inspection, ins_rows)
        answers = 0
        batch: list[dict] = []
        for ins_id in ins_ids:
            for item in items:
                fail = rnd.random() < 0.12
                batch.append({"inspection_id": ins_id, "item_id": item.id, "value": "fail" if fail else "pass",
                              "result": "fail" if fail else "pass", "note": "", "by_id": inspector.id, "at": now,
                              "version": 1})
            if len(batch) >= BATCH:
                session.execute(insert(Answer), batch)
                answers += len(batch)
                batch = []
        if batch:
            session.execute(insert(Answer), batch)
            answers += len(batch)
        task_rows = [{"inspection_id": ins_id, "item_id": items[k % len(items)].id, "status": "open",
                      "due_date": TODAY + timedelta(days=rnd.randint(-20, 20)), "created_at": now}
                     for k, ins_id in enumerate(ins_ids) if rnd.random() < 0.08]
        session.execute(insert(RectificationTask), task_rows)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return {"townships": n_towns, "sites": n_sites, "inspections": len(ins_ids), "answers": answers,
            "tasks": len(task_rows)}


def _insert_returning(session, model, rows: list[dict]) -> list[int]:
    """Bulk insert; the new ids in the order of the rows."""
    ids: list[int] = []
    for i in range(0, len(rows), BATCH):
        ids += session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                               rows[i:i + BATCH]).scalars().all()
    return ids


def _insert_regions(session, rows: list[dict]) -> list[int]:
    """Bulk insert regions of one level, then set their paths in one statement (parent's path + id)."""
    ids = _insert_returning(session, Region, [{**r, "path": ""} for r in rows])
    parent = aliased(Region)
    session.execute(update(Region).where(Region.path == "").values(
        path=select(parent.path).where(parent.id == Region.parent_id).scalar_subquery()
        + cast(Region.id, String) + "/").execution_options(synchronize_session=False))
    return ids


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(url: str, runs: int, export_runs: int) -> dict:
    """Dashboard and export timings on a built database."""
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench-dashboard",
                      "WTF_CSRF_ENABLED": False, "TODAY": TODAY,
                      "MEDIA_DIR": str(Path(tempfile.gettempdir()) / "bench-dashboard-media")})
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

    client = app.test_client()
    r = client.post("/login", data={"username": "county", "password": PASSWORD})
    if r.status_code != 303:
        raise RuntimeError(f"login answered {r.status_code}")
    headers = {"Accept-Encoding": "gzip"}

    def get(path: str):
        stats["statements"], stats["sql_s"] = 0, 0.0
        t0 = time.perf_counter()
        resp = client.get(path, headers=headers)
        body = resp.get_data()
        ms = (time.perf_counter() - t0) * 1000
        if resp.status_code != 200:
            raise RuntimeError(f"GET {path} answered {resp.status_code}: {body[:300]!r}")
        return ms, body, resp, stats["statements"], stats["sql_s"] * 1000

    for _ in range(WARM_UPS):
        get("/dashboard/")
    times, sql_ms, counts = [], [], set()
    body = b""
    resp = None
    for _ in range(runs):
        ms, body, resp, n, sql = get("/dashboard/")
        times.append(ms)
        sql_ms.append(sql)
        counts.add(n)
    raw = gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" else body
    page = raw.decode()
    export_times = []  # the dashboard's warm-up already loaded the checklists and templates
    export_bytes = 0
    for _ in range(export_runs):
        ms, xbody, _r, _n, _sql = get("/dashboard/export.xlsx")
        export_times.append(ms)
        export_bytes = len(xbody)
    engine.dispose()
    gc.unfreeze()
    return {"median": statistics.median(times), "p95": percentile(times, 95), "min": min(times),
            "sql_median": statistics.median(sql_ms), "statements": sorted(counts), "served_kb": len(body) / 1024,
            "raw_kb": len(raw) / 1024, "circles": page.count("<circle") - page.count('<circle cx="6"'),
            "export_s": statistics.median(export_times) / 1000, "export_mb": export_bytes / 1024 / 1024}


def run_backend(backend: str, sizes: list[int], runs: int, export_runs: int, spec) -> list[dict]:
    """Build and measure every size on one backend."""
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
            admin = name = None
            if backend == "SQLite":
                url = f"sqlite:///{Path(tmp) / 'dashboard.db'}"
            else:
                admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
                name = f"bench_dashboard_{uuid.uuid4().hex[:10]}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                url = admin.url.set(database=name).render_as_string(hide_password=False)
            try:
                engine = dbmod.make_engine(url)
                dbmod.upgrade(engine)
                t0 = time.perf_counter()
                made = build_county(engine, n, spec)
                build_s = time.perf_counter() - t0
                engine.dispose()
                print(f"{backend:<10} {n:>6} sites: built in {build_s:.1f} s ({made['townships']} townships, "
                      f"{made['inspections']} inspections, {made['answers']} answers, {made['tasks']} tasks)",
                      flush=True)
                result = measure(url, runs, export_runs=export_runs)
                rows.append({"backend": backend, "sites": n, **result})
                print(f"{'':<10} {'':>6}        dashboard median {result['median']:.0f} ms, p95 {result['p95']:.0f} ms "
                      f"(SQL {result['sql_median']:.0f} ms), {result['statements']} statements; "
                      f"export {result['export_s']:.2f} s", flush=True)
            finally:
                if admin is not None:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured dashboard requests per case (≥ 5)")
    parser.add_argument("--sizes", default="200,20000", help="site counts, comma-separated")
    parser.add_argument("--backends", default="SQLite,PostgreSQL")
    parser.add_argument("--export-runs", type=int, default=2, help="measured exports per case (median)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    sizes = [int(s) for s in args.sizes.split(",")]
    spec = load_dir(ROOT / "checklists")["build-standard"]
    load = os.getloadavg()  # other work on the machine skews every figure: say how busy it was
    t0 = time.perf_counter()
    rows: list[dict] = []
    failures: list[str] = []
    for backend in args.backends.split(","):
        try:
            rows += run_backend(backend, sizes, runs, args.export_runs, spec)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other backend
            failures.append(f"{backend}: {exc.__class__.__name__}: {exc}")
            print(f"FAILED {failures[-1]}", flush=True)
    if not rows:
        return 1

    print(f"\nGET /dashboard/ as the county reviewer ({runs} runs after {WARM_UPS} warm-ups, "
          f"Accept-Encoding: gzip); "
          f"export = GET /dashboard/export.xlsx, median of {args.export_runs}; load average at the start "
          f"{' '.join(f'{x:.1f}' for x in load)} on {os.cpu_count()} CPUs\n")
    head = (f"{'backend':<10} | {'sites':>6} | {'median ms':>9} | {'p95 ms':>7} | {'SQL ms':>6} | {'stmts':>5} | "
            f"{'page KB':>7} | {'gzip KB':>7} | {'points':>6} | {'export s':>8} | {'xlsx MB':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['backend']:<10} | {r['sites']:>6} | {r['median']:>9.1f} | {r['p95']:>7.1f} | "
              f"{r['sql_median']:>6.1f} | "
              f"{','.join(map(str, r['statements'])):>5} | {r['raw_kb']:>7.0f} | {r['served_kb']:>7.0f} | "
              f"{r['circles']:>6} | {r['export_s']:>8.2f} | {r['export_mb']:>7.2f}")
    by = {(r["backend"], r["sites"]): r for r in rows}
    small, large = min(sizes), max(sizes)
    print()
    for backend in args.backends.split(","):
        a, b = by.get((backend, small)), by.get((backend, large))
        if a and b and small != large:
            print(f"{backend}: {large}/{small} sites: median {b['median'] / a['median']:.1f}×, p95 "
                  f"{b['p95'] / a['p95']:.1f}×, SQL {b['sql_median'] / a['sql_median']:.1f}×, "
                  f"export {b['export_s'] / a['export_s']:.1f}× (sites ×{large / small:.0f})")
    for n in sizes:
        s, p = by.get(("SQLite", n)), by.get(("PostgreSQL", n))
        if s and p:
            print(f"PostgreSQL/SQLite at {n} sites: median {p['median'] / s['median']:.2f}×, "
                  f"p95 {p['p95'] / s['p95']:.2f}×, export {p['export_s'] / s['export_s']:.2f}×")
    print()
    ok = not failures
    for n in sizes:
        p = by.get(("PostgreSQL", n))
        if p and n in AIMS_MS:
            verdict = "meets" if p["p95"] < AIMS_MS[n] else "MISSES"
            print(f"PostgreSQL, {n} sites: p95 {p['p95']:.0f} ms (median {p['median']:.0f} ms) {verdict} the aim "
                  f"< {AIMS_MS[n]:.0f} ms")
    for backend in args.backends.split(","):
        counts = {tuple(r["statements"]) for r in rows if r["backend"] == backend}
        same = len(counts) == 1 and len(next(iter(counts))) == 1
        ok &= same
        print(f"{backend}: SQL statements per request {' / '.join(','.join(map(str, c)) for c in sorted(counts))} "
              f"at {' / '.join(map(str, sizes))} sites — {'the same' if same else 'DIFFERENT'}")
    for f in failures:
        print(f"FAILED {f}")
    end_load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n({time.perf_counter() - t0:.0f} s; load average at the end {end_load})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
