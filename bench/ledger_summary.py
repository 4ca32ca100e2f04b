"""Benchmark: the November roll-up (`services.ledger_summary.summary`) at 20 and 200 communities, SQLite and PostgreSQL.

Run from the project root: `.venv/bin/python bench/ledger_summary.py [--runs 5] [--sizes 20,200]`.

Per backend and size: a fresh migrated database (a temp SQLite file; a fresh PostgreSQL database,
dropped afterwards) with a synthetic county: townships of 10 communities, 30 in-service members per
community, 12 activities per member in the year (every type), two quarterly letters per unit.
Measured: the median of `--runs` calls of the roll-up as the county reviewer, the SQL statements
per call, against a baseline in the same run — the same tables built community by community (one
`year_of` and one letter count per community), which is how a first version read them. Aim: the
same statement count at both sizes. Exit status 1 when the roll-up's totals differ from the
baseline's or its statement count grows with the county.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, insert, select, text  # noqa: E402

from inspector import db as dbmod  # noqa: E402
from inspector.core import ledger as core  # noqa: E402
from inspector.models import (LedgerActivity, LedgerFeedback, LedgerMember, LedgerUnit, Region, Site,  # noqa: E402
                              User)
from inspector.services import ledger, ledger_summary, ledger_tallies, regions  # noqa: E402

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PER_TOWN, MEMBERS, ACTS, UNITS = 10, 30, 12, 8
YEAR, AS_OF = 2026, date(2026, 11, 30)


def build(engine, communities: int) -> User:
    """A county of `communities` community centers, bulk-inserted; returns the county reviewer."""
    with dbmod.session(engine) as s:
        city = regions.add_region(session=s, name="徐州市", level="city", code="B32")
        county = regions.add_region(session=s, name="沛县", level="county", code="B3201", parent=city)
        user = User(username="bench-county", display_name="县委组织部", role="county_reviewer", region_id=county.id)
        s.add(user)
        units = [LedgerUnit(county_id=county.id, name=f"单位{i}", county_department=i % 2 == 0) for i in range(UNITS)]
        s.add_all(units)
        s.flush()
        sites = []
        for n in range(communities):
            if n % PER_TOWN == 0:
                town = regions.add_region(session=s, name=f"镇{n // PER_TOWN}", level="township",
                                          code=f"B3201{n // PER_TOWN:03d}", parent=county)
            place = regions.add_region(session=s, name=f"社区{n}", level="village", code=f"B3201C{n:05d}", parent=town)
            sites.append(Site(name=f"社区{n}党群服务中心", site_type="community", region_id=place.id))
        s.add_all(sites)
        s.flush()
        s.execute(insert(LedgerMember), [
            {"site_id": site.id, "unit_id": units[m % UNITS].id, "name": f"党员{m}", "phone": f"139{site.id:04d}{m:04d}",
             "reported_on": date(YEAR, 3 + m % 4, 1), "service_post": "岗位" if m % 5 else "", "pair_name": "对象",
             "created_by_id": user.id, "active": True}
            for site in sites for m in range(MEMBERS)])
        ids = s.execute(select(LedgerMember.id)).scalars().all()
        kinds = list(core.KINDS)
        s.execute(insert(LedgerActivity), [
            {"member_id": mid, "on": date(YEAR, 1, 5) + timedelta(days=27 * a), "minutes": 60 + 30 * (a % 3),
             "kind": kinds[(mid + a) % len(kinds)], "note": "", "recorded_by_id": user.id}
            for mid in ids for a in range(ACTS)])
        s.execute(insert(LedgerFeedback), [
            {"site_id": site.id, "unit_id": u.id, "year": YEAR, "quarter": q, "sent_on": date(YEAR, 3 * q + 1, 2),
             "content": {}, "by_id": user.id}
            for site in sites for u in units for q in (1, 2)])
        s.commit()
        return user


def baseline(session, user: User) -> list[core.RollRow]:
    """The same service table, community by community."""
    rows = []
    for site in ledger.community_sites(session=session, user=user):
        years = ledger_tallies.year_of(session=session, site=site, year=YEAR, as_of=AS_OF)
        letters = session.execute(select(func.count()).select_from(LedgerFeedback).where(
            LedgerFeedback.site_id == site.id, LedgerFeedback.year == YEAR, LedgerFeedback.quarter > 0)).scalar_one()
        service, _report = ledger_summary.community_counts(years, year=YEAR, feedback_count=letters)
        region = session.get(Region, site.region_id)
        rows.append((session.get(Region, region.parent_id).name, site.name, service))
    return core.roll_up(rows, [k for k, _l in core.SERVICE_COLUMNS], "沛县")


def measure(engine, user: User, runs: int, fn) -> tuple[float, int, object]:
    """Median milliseconds and statements per call of fn(session, user) (after one warm-up), and its result."""
    counted: list[int] = []

    def count(*_args, **_kw):
        counted.append(1)
    event.listen(engine, "before_cursor_execute", count)
    times, result, statements = [], None, 0
    try:
        for _ in range(runs + 1):
            with dbmod.session(engine) as s:
                counted.clear()
                start = time.perf_counter()
                result = fn(s, user)
                times.append((time.perf_counter() - start) * 1000)
                statements = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times[1:]), statements, result


def run_backend(name: str, url: str, sizes: list[int], runs: int) -> bool:
    ok, counts = True, {}
    for size in sizes:
        engine = dbmod.make_engine(url)
        dbmod.upgrade(engine)
        user = build(engine, size)
        if name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        fast_ms, fast_n, fast = measure(engine, user, runs, lambda s, u: ledger_summary.summary(session=s, user=u, year=YEAR,
                                                                                        as_of=AS_OF))
        slow_ms, slow_n, slow = measure(engine, user, runs, baseline)
        same = fast.service[-1].counts == slow[-1].counts
        ok &= same
        counts[size] = fast_n
        print(f"{name:10} {size:4} communities ({size * MEMBERS} members, {size * MEMBERS * ACTS} activities): "
              f"roll-up {fast_ms:8.1f} ms, {fast_n:3} statements | per community {slow_ms:8.1f} ms, {slow_n:5} "
              f"statements | ratio {slow_ms / fast_ms:5.1f}x | totals {'equal' if same else 'DIFFER'}")
        engine.dispose()
        if url.startswith("sqlite"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
        else:
            url = fresh_pg(url)
    if len(set(counts.values())) > 1:
        print(f"{name}: statement count grows with the county: {counts}")
        ok = False
    return ok


def fresh_pg(previous: str | None = None) -> str | None:
    """A fresh PostgreSQL database URL (None when unreachable)."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"bench_ledger_{uuid.uuid4().hex[:8]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here
        print(f"PostgreSQL unreachable ({exc.__class__.__name__}): skipped")
        return None
    CREATED.append(name)
    return admin.url.set(database=name).render_as_string(hide_password=False)


CREATED: list[str] = []


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="20,200")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}")
    ok = run_backend("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db", sizes, args.runs)
    pg = fresh_pg()
    if pg:
        ok &= run_backend("postgresql", pg, sizes, args.runs)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    if CREATED:
        with admin.connect() as conn:
            for name in CREATED:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
