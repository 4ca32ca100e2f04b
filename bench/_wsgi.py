"""WSGI entry for benchmarks: the unmodified app, configured from the environment, CSRF off.

gunicorn --pythonpath bench _wsgi:app   with DATABASE_URL and SECRET_KEY set
(BENCH_MEDIA_DIR optional: where uploads would go, so a benchmark never writes into media/;
BENCH_CODE_ROOT optional: serve the app from another checkout, e.g. a baseline commit exported by
bench/save_latency.py, instead of this one).

With BENCH_TIMING=1 every request writes one line to stderr, `bench-req <ms in app> <ms in SQL>
<ms from the end of the first write statement to COMMIT> <early commits> <status> <method> <path>
<CPU ms of the request's thread> <SQL statements>`
(the third is how long the request held its write transaction open: on SQLite the database-wide
write lock; the fourth counts transactions a RELEASE SAVEPOINT committed on its own, which
happens on SQLite when the savepoint was the outermost transaction), and every SQL statement slower than BENCH_SLOW_SQL_MS (default 100)
writes `bench-slow-sql <ms> <statement>`: where the time goes, seen from inside the worker.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("BENCH_CODE_ROOT") or str(Path(__file__).resolve().parent.parent))

from inspector import create_app  # noqa: E402

_config = {"WTF_CSRF_ENABLED": False, "DATABASE_URL": os.environ["DATABASE_URL"]}
if os.environ.get("SECRET_KEY"):
    _config["SECRET_KEY"] = os.environ["SECRET_KEY"]
if os.environ.get("BENCH_MEDIA_DIR"):
    _config["MEDIA_DIR"] = os.environ["BENCH_MEDIA_DIR"]

app = create_app(_config)
try:  # as inspector/wsgi.py serves it: start-up objects out of the collector's sight (gc.freeze)
    from inspector import settle_after_start
except ImportError:  # a baseline from before it
    settle_after_start = None
if settle_after_start is not None and not os.environ.get("BENCH_NO_FREEZE"):
    settle_after_start()


def _instrument(app, slow_ms: float) -> None:
    """Time each request inside the app and the SQL it runs (one write(2) per line: atomic)."""
    from flask import g, has_app_context, request
    from sqlalchemy import event

    engine = app.extensions["engine"]

    @app.before_request
    def _start():
        g.bench_t0 = time.perf_counter()
        g.bench_cpu0 = time.thread_time()
        g.bench_n = 0
        g.bench_sql = 0.0
        g.bench_held = 0.0
        g.bench_w = None
        g.bench_early = 0

    @event.listens_for(engine, "commit")
    def _commit(_conn):
        if has_app_context() and g.get("bench_w") is not None:
            g.bench_held += (time.perf_counter() - g.bench_w) * 1000
            g.bench_w = None

    @event.listens_for(engine, "rollback")
    def _rollback(_conn):
        if has_app_context() and g.get("bench_w") is not None:
            g.bench_held += (time.perf_counter() - g.bench_w) * 1000
            g.bench_w = None

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, _statement, _params, _context, _many):
        conn.info["bench_t"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, _cursor, statement, _params, _context, _many):
        started = conn.info.pop("bench_t", None)
        if started is None:
            return
        ms = (time.perf_counter() - started) * 1000
        if has_app_context() and "bench_sql" in g:
            g.bench_sql += ms
            g.bench_n += 1
            if g.bench_w is None and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
                g.bench_w = time.perf_counter()
            elif statement.lstrip().upper().startswith("RELEASE") and g.bench_w is not None:
                dbapi = conn.connection.dbapi_connection
                if getattr(dbapi, "in_transaction", True) is False:  # sqlite3: the release committed
                    g.bench_held += (time.perf_counter() - g.bench_w) * 1000
                    g.bench_w = None
                    g.bench_early += 1
        if ms >= slow_ms:
            os.write(2, f"bench-slow-sql {ms:.0f} {' '.join(statement.split())[:90]}\n".encode())

    @app.after_request
    def _end(response):
        if "bench_t0" in g:
            ms = (time.perf_counter() - g.bench_t0) * 1000
            cpu = (time.thread_time() - g.bench_cpu0) * 1000
            os.write(2, f"bench-req {ms:.2f} {g.bench_sql:.2f} {g.bench_held:.2f} {g.bench_early} {response.status_code} {request.method} "
                        f"{request.path} {cpu:.3f} {g.bench_n}\n".encode())
        return response


if os.environ.get("BENCH_TIMING"):
    _instrument(app, float(os.environ.get("BENCH_SLOW_SQL_MS", "100")))


def _profile(app, path: str, every: int) -> None:
    """BENCH_PROFILE=<file>: cProfile (thread CPU time) of this worker's main thread — run it as a
    sync worker (`--worker-class sync`), where the HTTP parsing, the app and the reply all run
    there — written to <file>.<pid> every `every` requests (bench/_profile_save.py reads it)."""
    import cProfile

    from flask import request as flask_request

    profiler = cProfile.Profile(time.thread_time)
    served = [0]

    @app.after_request
    def _dump(response):
        if flask_request.path.startswith("/inspections/"):
            served[0] += 1
            if served[0] % every == 0:
                profiler.disable()
                profiler.dump_stats(f"{path}.{os.getpid()}")
                profiler.enable()
        return response

    profiler.enable()


if os.environ.get("BENCH_PROFILE"):
    _profile(app, os.environ["BENCH_PROFILE"], int(os.environ.get("BENCH_PROFILE_EVERY", "100")))
