"""Benchmark: autosave latency and correctness under concurrent clients, on SQLite and PostgreSQL.

Run from the project root: `.venv/bin/python bench/save_latency.py [--clients 50] [--saves 20]`.

Per backend: a fresh database (a temp SQLite file; a fresh PostgreSQL database that is dropped
afterwards), migrated, with the demo county and one new build-standard inspection per client;
an app server serving the unmodified app through bench/_wsgi.py: gunicorn (4 gthread workers × 4
threads, as issue 19 measured) and granian (2 workers × 2 blocking threads, the deployment's
server), one phase each (`--servers`).
Every client logs in as `inspector`, then all clients save at once (htmx partials, keep-alive
connections): `--saves` saves over measure/check items of its own inspection, each with a new
client_id, every 5th re-sent at once with the same client_id (a double tap). Some clients
(`--conflict-clients`) also race on one item of a shared inspection from distinct devices with
base_version 0, a few rounds: exactly one must win, the rest must get 409.

Afterwards the database is checked: every item holds the last value its client saved (nothing
lost), one row per item saved and version = number of distinct saves (no double tap counted
twice), one audit row per version, no 5xx. Exit status 1 when a check fails; the latency aim
(p95 ≤ 20 ms) is reported, not enforced.

Before and after, in one run (docs/saves.md): per backend the whole load runs twice on the same
database, first served by the code of `--baseline` (default: the last commit before incremental
saves, exported with git archive; skipped with a note when git cannot produce it) under the first
server, then by this checkout under each server. Each phase reports server CPU ms per save (user +
system time of the server's master process and workers over the concurrent run from the moment every client is signed in, divided by its
requests; the request threads' own CPU time; and beside it the CPU of the database's PostgreSQL
backends and of this load generator, which share the machine's CPUs with the server),
SQL statements per save, saves/s at saturation (the concurrent clients flat out) and an open-loop
run: `--open-inspectors` inspectors saving on a fixed schedule at `--open-rate` saves/s in all
(500 × every 5 s = 100/s), each save timed from its scheduled moment (bench/_openloop.py). The
table at the end prints after/before ratios, and each PostgreSQL "after" against issue 19's aims.
For a server shape against another without the machine's drift between runs: bench/_ab_saturation.py.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from _openloop import database_cpu_s, export_baseline, open_loop, server_cpu_s  # noqa: E402
from inspector import SESSION_COOKIE  # noqa: E402
from inspector import db as dbmod  # noqa: E402
from inspector.core.checklist import load_dir  # noqa: E402
from inspector.models import Answer, AuditLog, Site  # noqa: E402
from inspector import demo  # noqa: E402
from inspector.services import inspections, users  # noqa: E402

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AIM_P95_MS = 20.0
AIM_SAVES_PER_S, AIM_CPU_MS, AIM_OPEN_P95_MS = 500, 3.0, 50.0  # issue 19 point 3, on PostgreSQL
# the after phases: gunicorn's gthread worker as the issue measured it, then granian, the deployment's
# server (README, deploy/local-cluster), as its nodes run it on 2 CPUs
SERVERS = "gunicorn:4x4,granian:2x2"
BASELINE = "b093e49"  # main before incremental saves (issue 19 point 3): full rescoring, whole page context
CHECKLIST, TIER, PURPOSE = "build-standard", "standard", "inspection"
HOST = "127.0.0.1"
VERSION_RE = re.compile(rb'data-saved-version="(\d+)"')


# ---------------------------------------------------------------- HTTP client (stdlib only)

class Client:
    """One phone: a keep-alive connection and its session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.reconnects = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, bytes, float]:
        """Send one request; (status, decoded body, ms). A keep-alive connection the server has
        closed is reopened and the request re-sent once (as a browser does), timed as one."""
        body = urlencode(form).encode() if form is not None else None
        hdrs = {"User-Agent": "bench-save-latency/1", "Accept-Encoding": "gzip", "Accept": "text/html"}
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hdrs.update(headers or {})
        start = time.perf_counter()
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 0 and reused:
                    self.reconnects += 1
                    continue
                raise
            break
        ms = (time.perf_counter() - start) * 1000
        if (resp.getheader("Connection") or "").lower() == "close":
            self.close()
        for cookie in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if resp.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return resp.status, data, ms


# ---------------------------------------------------------------- the load

@dataclass
class Req:
    """One measured request."""

    kind: str  # save | tap | conflict
    client: int
    path: str
    status: int
    ms: float
    version: int | None  # data-saved-version in the answer, if any
    detail: str = ""


@dataclass
class ClientPlan:
    """What one client saves, and what it expects the database to hold afterwards."""

    index: int
    inspection_id: int
    device_id: str
    saves: list[tuple[str, str, str, str]] = field(default_factory=list)  # item, value, client_id, note
    last: dict[str, tuple[object, str, str]] = field(default_factory=dict)  # item -> (value, client_id, note)
    distinct: Counter = field(default_factory=Counter)  # item -> number of distinct saves


def _normalized(kind: str, value: str):
    return float(value) if kind == "measure" else value


def plan_clients(n: int, saves: int, inspection_ids: list[int], pool: list, per_client_items: int,
                 seed: int) -> list[ClientPlan]:
    """Per client: `saves` saves over a few of its items (so items get several versions)."""
    rnd = random.Random(seed)
    plans = []
    for i in range(n):
        p = ClientPlan(index=i, inspection_id=inspection_ids[i], device_id=f"bench-device-{i:03d}")
        items = rnd.sample(pool, min(per_client_items, len(pool)))
        for s in range(saves):
            item = rnd.choice(items)
            value = f"{rnd.uniform(5, 900):.1f}" if item.kind == "measure" else rnd.choice(["pass", "fail"])
            cid = uuid.uuid4().hex
            note = f"bench {i}/{s}"
            p.saves.append((item.id, value, cid, note))
            p.last[item.id] = (_normalized(item.kind, value), cid, note)
            p.distinct[item.id] += 1
        plans.append(p)
    return plans


@dataclass
class Run:
    """Everything a load run produced."""

    reqs: list[Req]
    wall_s: float
    errors: list[str]
    reconnects: int
    conflict_rounds: list[list[tuple[int, int, object, str]]]  # per round: (client, status, value, device)
    tap_mismatch: list[str]
    unexpected: list[str]


def run_load(port: int, plans: list[ClientPlan], shared_id: int, shared_items: list, conflict_clients: int,
             rounds: int, think_ms: float = 0.0, seed: int = 0, on_start=None) -> Run:
    """All clients log in, wait for each other, then save as fast as the server answers
    (or with a random pause of 0.5–1.5 × think_ms after each answer). `on_start` runs once when
    they are all signed in, just before the first save (where the CPU count of the run begins:
    50 argon2 sign-ins are about 8 s of CPU, which is not the saves')."""
    n = len(plans)
    saves = len(plans[0].saves) if plans else 0
    points = sorted({int(r * saves / rounds) for r in range(rounds)}) if rounds and conflict_clients else []
    k = min(conflict_clients, n)
    lock = threading.Lock()
    reqs: list[Req] = []
    errors: list[str] = []
    tap_mismatch: list[str] = []
    unexpected: list[str] = []
    rounds_out: list[list] = [[] for _ in points]
    reconnects = [0]
    t0 = [0.0]
    def go() -> None:
        if on_start is not None:
            on_start()
        t0[0] = time.perf_counter()

    start = threading.Barrier(n, action=go)
    conflict_barriers = [threading.Barrier(k) for _ in points]

    def post(client: Client, path: str, form: dict) -> tuple[int, bytes, float]:
        return client.request("POST", path, form, {"HX-Request": "true", "HX-Current-URL": f"http://{HOST}/"})

    def worker(plan: ClientPlan) -> None:
        client = Client(port)
        mine: list[Req] = []
        try:
            status, body, _ = client.request("POST", "/login", {"username": "inspector",
                                                                "password": demo.DEMO_PASSWORD})
            if status != 303 or SESSION_COOKIE not in client.cookies:
                raise RuntimeError(f"login answered {status}: {body[:200]!r}")
            client.close()  # the others are still logging in (argon2): start on a fresh connection
            known: dict[str, int] = {}
            pause = random.Random(seed * 1000 + plan.index)
            start.wait(timeout=300)
            for s, (item_id, value, cid, note) in enumerate(plan.saves):
                if plan.index < k and s in points:
                    r = points.index(s)
                    conflict_barriers[r].wait(timeout=300)
                    shared = shared_items[r]
                    mine_value = (f"{100 + plan.index}.5" if shared.kind == "measure"
                                  else ("pass" if plan.index % 2 else "fail"))
                    path = f"/inspections/{shared_id}/items/{shared.id}"
                    st, body, ms = post(client, path, {"value": mine_value, "client_id": uuid.uuid4().hex,
                                                       "base_version": "0", "device_id": plan.device_id,
                                                       "note": f"conflict {plan.index}"})
                    m = VERSION_RE.search(body)
                    mine.append(Req("conflict", plan.index, path, st, ms, int(m.group(1)) if m else None,
                                    body[:300].decode(errors="replace") if st >= 500 else ""))
                    with lock:
                        rounds_out[r].append((plan.index, st, _normalized(shared.kind, mine_value), plan.device_id))
                path = f"/inspections/{plan.inspection_id}/items/{item_id}"
                form = {"value": value, "client_id": cid, "base_version": str(known.get(item_id, 0)),
                        "device_id": plan.device_id, "note": note}
                st, body, ms = post(client, path, form)
                m = VERSION_RE.search(body)
                version = int(m.group(1)) if m else None
                mine.append(Req("save", plan.index, path, st, ms, version,
                                body[:300].decode(errors="replace") if st >= 500 else ""))
                expected = known.get(item_id, 0) + 1
                if st == 200 and version is not None:
                    known[item_id] = version
                if st != 200 or version != expected:
                    with lock:
                        unexpected.append(f"client {plan.index} save {s} {path}: {st}, version {version} "
                                          f"(expected 200, version {expected})")
                if (s + 1) % 5 == 0:  # double tap: the same form again, at once
                    st2, body2, ms2 = post(client, path, form)
                    m2 = VERSION_RE.search(body2)
                    v2 = int(m2.group(1)) if m2 else None
                    mine.append(Req("tap", plan.index, path, st2, ms2, v2,
                                    body2[:300].decode(errors="replace") if st2 >= 500 else ""))
                    if st2 == 200 and st == 200 and v2 != version:
                        with lock:
                            tap_mismatch.append(f"client {plan.index} save {s} {path}: first answer version "
                                                f"{version}, double tap answered version {v2}")
                    elif st2 != 200:
                        with lock:
                            unexpected.append(f"client {plan.index} double tap {s} {path}: {st2}")
                if think_ms:
                    time.sleep(think_ms * pause.uniform(0.5, 1.5) / 1000)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none hidden
            with lock:
                errors.append(f"client {plan.index}: {exc.__class__.__name__}: {exc}")
            start.abort()
            for b in conflict_barriers:
                b.abort()
        finally:
            client.close()
            with lock:
                reqs.extend(mine)
                reconnects[0] += client.reconnects

    threads = [threading.Thread(target=worker, args=(p,), name=f"client-{p.index}") for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0[0] if t0[0] else 0.0
    return Run(reqs, wall, errors, reconnects[0], rounds_out, tap_mismatch, unexpected)


def warm_up(port: int, inspection_id: int, pool: list, connections: int = 16) -> list[float]:
    """Cold workers (templates compiled, checklist snapshot rebuilt on first use): one login, then
    `connections` fresh connections at once, each loading the walk page and saving one item of a
    warm-up inspection, so every worker has served a save before anything is measured."""
    first = Client(port)
    status, body, _ = first.request("POST", "/login", {"username": "inspector", "password": demo.DEMO_PASSWORD})
    if status != 303:
        raise RuntimeError(f"warm-up login answered {status}: {body[:200]!r}")
    cookies = dict(first.cookies)
    first.close()
    times: list[float] = []
    problems: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(connections)

    def one(i: int) -> None:
        item = pool[i % len(pool)]
        try:
            gate.wait(timeout=60)
            for method in ("GET", "POST"):
                c = Client(port)
                c.cookies = dict(cookies)
                path = f"/inspections/{inspection_id}" + (f"/items/{item.id}" if method == "POST" else "")
                form = ({"value": "50" if item.kind == "measure" else "pass", "client_id": uuid.uuid4().hex,
                         "device_id": "bench-warm-up", "base_version": "0"} if method == "POST" else None)
                st, _b, ms = c.request(method, path, form, {"HX-Request": "true", "Connection": "close"}
                                       if method == "POST" else {"Connection": "close"})
                c.close()
                with lock:
                    times.append(ms)
                    if st != 200:
                        problems.append(f"{st} on {method} {path}")
        except Exception as exc:  # noqa: BLE001
            with lock:
                problems.append(f"{exc.__class__.__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if problems:
        raise RuntimeError(f"warm-up requests answered {', '.join(problems)}")
    return times


# ---------------------------------------------------------------- database, server

def setup_database(url: str) -> None:
    """Migrate and load the demo county."""
    engine = dbmod.make_engine(url)
    try:
        dbmod.upgrade(engine)
        with dbmod.session(engine) as session:
            demo.load(session=session, specs=load_dir(ROOT / "checklists"))
            session.commit()
    finally:
        engine.dispose()


def prepare(url: str, n: int, rounds: int, extra: int = 0,
            code_root: Path = ROOT) -> tuple[list[int], int, list, list, list[int]]:
    """Start n + 1 inspections for the clients (the last to warm up on), one shared one and `extra`
    for the open-loop inspectors, on the checklist of the code that will serve them (a baseline
    cannot read a snapshot written in a rule form it did not know)."""
    engine = dbmod.make_engine(url)
    spec = load_dir(code_root / "checklists")[CHECKLIST]
    try:
        with dbmod.session(engine) as session:
            by = users.by_username(session=session, username="inspector")
            villages = session.exec(select(Site).where(Site.site_type == "village").order_by(Site.id)).all()
            started = [inspections.start(session=session, site=villages[i % len(villages)], spec=spec,
                                         purpose=PURPOSE, tier=TIER, by=by) for i in range(n + 2 + extra)]
            session.commit()
            ids = [i.id for i in started]
    finally:
        engine.dispose()
    pool = [i for i in spec.items() if i.kind in ("measure", "check") and i.applies(TIER, "village")]
    shared_items = pool[:max(rounds, 1)]
    return ids[:n + 1], ids[n + 1], pool, shared_items, ids[n + 2:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_shape(spec: str = "") -> tuple[str, int, int]:
    """'gunicorn:4x4' / 'granian:2x1' → (server, workers, threads); '' takes BENCH_SERVER,
    BENCH_WORKERS and BENCH_THREADS (default gunicorn 4 × 4, as issue 19 measured)."""
    if not spec:
        spec = (f"{os.environ.get('BENCH_SERVER', 'gunicorn')}:{os.environ.get('BENCH_WORKERS', '4')}"
                f"x{os.environ.get('BENCH_THREADS', '4')}")
    server, _, shape = spec.partition(":")
    workers, _, threads = (shape or "4x4").partition("x")
    if server not in ("gunicorn", "granian"):
        raise SystemExit(f"unknown server {server!r} (gunicorn or granian)")
    return server, int(workers), int(threads or 1)


def server_command(spec: str, port: int) -> list[str]:
    """The command serving bench/_wsgi.py: gunicorn's gthread worker, or granian's WSGI interface."""
    server, workers, threads = server_shape(spec)
    if server == "granian":
        return [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--workers", str(workers),
                "--blocking-threads", str(threads), "--host", HOST, "--port", str(port),
                "--working-dir", str(ROOT / "bench"), "--log-level", "warning", "_wsgi:app"]
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--bind", f"{HOST}:{port}", "--pythonpath", str(ROOT / "bench"),
            "--graceful-timeout", "20", "--log-level", "warning", "--error-logfile", "-", "_wsgi:app"]


def start_server(url: str, port: int, log: Path, media: Path, timing: bool = True,
                 code_root: Path = ROOT, spec: str = "") -> subprocess.Popen:
    """The app server (`spec`, see server_shape) on the app of `code_root` (this checkout or an
    exported baseline); returns once /healthz answers 200."""
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-" + uuid.uuid4().hex, BENCH_MEDIA_DIR=str(media),
               BENCH_TIMING="1" if timing else "", BENCH_SLOW_SQL_MS="100", BENCH_CODE_ROOT=str(code_root))
    cmd = server_command(spec, port)
    out = open(log, "wb")
    proc = subprocess.Popen(cmd, cwd=code_root, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server_shape(spec)[0]} exited with {proc.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError("the app server did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen) -> int:
    """SIGTERM (graceful), SIGKILL only if it hangs; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def server_log_findings(log: Path) -> tuple[Counter, Counter, list[str]]:
    """From the server/Flask log: failing requests ('Exception on …'), exception lines, other warnings."""
    requests_failed: Counter = Counter()
    exceptions: Counter = Counter()
    other: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith(("bench-req ", "bench-slow-sql ")):
            continue
        m = re.search(r"Exception on (\S+) \[(\w+)\]", line)
        if m:
            requests_failed[re.sub(r"/\d+/", "/<id>/", f"{m.group(2)} {m.group(1)}")] += 1
        elif re.match(r"^[\w.]+(Error|Exception|Timeout)\b.*:", line):
            exceptions[line[:200]] += 1
        elif "[CRITICAL]" in line or "[ERROR]" in line or "WORKER TIMEOUT" in line:
            other.append(line[:200])
    return requests_failed, exceptions, other


# ---------------------------------------------------------------- checks

def verify(url: str, plans: list[ClientPlan], shared_id: int, shared_items: list, run: Run,
           reqs: list[Req], tap_mismatch: list[str]) -> dict:
    """Compare the database with what the clients were told; returns counts and messages."""
    engine = dbmod.make_engine(url)
    msgs: list[str] = []
    lost = missing = short = 0
    extra_rows = over = audit_extra = 0
    try:
        with dbmod.session(engine) as session:
            ids = [p.inspection_id for p in plans] + [shared_id]
            answers = session.exec(select(Answer).where(Answer.inspection_id.in_(ids))).all()
            audits = dict(session.exec(select(AuditLog.entity_id, func.count())
                                       .where(AuditLog.entity == "answer", AuditLog.action == "answer")
                                       .group_by(AuditLog.entity_id)).all())
    finally:
        engine.dispose()
    by_ins: dict[int, dict[str, Answer]] = defaultdict(dict)
    for a in answers:
        by_ins[a.inspection_id][a.item_id] = a
    for p in plans:
        rows = by_ins.get(p.inspection_id, {})
        if len(rows) != len(p.last):
            extra_rows += max(0, len(rows) - len(p.last))
            msgs.append(f"client {p.index}: {len(rows)} answer rows for {len(p.last)} items saved")
        for item_id, (value, cid, note) in p.last.items():
            a = rows.get(item_id)
            if a is None:
                missing += 1
                msgs.append(f"client {p.index} {item_id}: no answer row (lost)")
                continue
            if a.value != value or a.client_id != cid or a.note != note:
                lost += 1
                msgs.append(f"client {p.index} {item_id}: stored {a.value!r} (client_id {a.client_id}), "
                            f"last saved {value!r} ({cid})")
            want = p.distinct[item_id]
            if a.version < want:
                short += 1
                msgs.append(f"client {p.index} {item_id}: version {a.version} < {want} distinct saves (a save lost)")
            elif a.version > want:
                over += a.version - want
                msgs.append(f"client {p.index} {item_id}: version {a.version} > {want} distinct saves (counted twice)")
            if audits.get(a.id, 0) != a.version:
                audit_extra += max(0, audits.get(a.id, 0) - a.version)
                msgs.append(f"client {p.index} {item_id}: {audits.get(a.id, 0)} audit rows for version {a.version}")
    conflict_bad = 0
    conflict_lines = []
    shared_rows = by_ins.get(shared_id, {})
    for r, (item, results) in enumerate(zip(shared_items, run.conflict_rounds)):
        statuses = Counter(st for _c, st, _v, _d in results)
        winners = [(c, v, d) for c, st, v, d in results if st == 200]
        a = shared_rows.get(item.id)
        ok = (len(winners) == 1 and statuses[409] == len(results) - 1 and a is not None
              and a.version == 1 and a.value == winners[0][1] and a.device_id == winners[0][2])
        conflict_lines.append(f"round {r + 1} on shared {item.id}: {len(results)} devices, base_version 0 → "
                              + ", ".join(f"{n}×{st}" for st, n in sorted(statuses.items()))
                              + (f"; stored v{a.version} {a.value!r} from {a.device_id}" if a else "; nothing stored")
                              + ("  ok" if ok else "  FAIL"))
        conflict_bad += 0 if ok else 1
    five = [q for q in reqs if q.status >= 500]
    return dict(lost=lost + missing + short, lost_parts=(lost, missing, short),
                dup=extra_rows + over + audit_extra + len(tap_mismatch),
                dup_parts=(extra_rows, over, len(tap_mismatch), audit_extra),
                five=len(five), five_reqs=five, conflict_bad=conflict_bad, conflict_lines=conflict_lines, msgs=msgs)


# ---------------------------------------------------------------- one backend

def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q / 100 * len(s)) - 1))]


def bench_backend(name: str, url: str, args, tmp: Path) -> list[dict]:
    """Every phase on one backend's database: the baseline's code under the first server, then this
    checkout's under each server of --servers."""
    setup_database(url)
    rows = []
    servers = [spec.strip() for spec in args.servers.split(",") if spec.strip()]
    if args.baseline:
        base = export_baseline(ROOT, args.baseline, tmp / f"baseline-{name}")
        if isinstance(base, str):
            print(f"\n== {name} before ({args.baseline}): SKIPPED — {base}")
        else:
            rows.append(bench_phase(name, f"before ({args.baseline})", base, url, args, tmp, servers[0]))
    for spec in servers:
        rows.append(bench_phase(name, f"after {spec}", ROOT, url, args, tmp, spec))
    return rows


def bench_phase(name: str, phase: str, code_root: Path, url: str, args, tmp: Path, spec: str) -> dict:
    """Prepare, serve (code of `code_root`), load, stop, verify; prints its findings; returns its row."""
    t = time.perf_counter()
    own_ids, shared_id, pool, shared_items, open_ids = prepare(url, args.clients + 1, args.conflict_rounds,
                                                               args.open_inspectors if args.open_rate else 0,
                                                               code_root)
    warm_id = own_ids.pop()
    plans = plan_clients(args.clients, args.saves, own_ids[:-1], pool, args.items, args.seed)
    # one client alone first, on its own inspection: the service time without queueing
    single = plan_clients(1, max(args.saves, 60), own_ids[-1:], pool, args.items, args.seed + 1)[0]
    single.index, single.device_id = args.clients, "bench-device-alone"
    setup_s = time.perf_counter() - t
    port = free_port()
    tag = f"{name}-{'before' if code_root != ROOT else 'after'}-{spec.replace(':', '-')}"
    log = tmp / f"server-{tag}.log"
    media = tmp / f"media-{tag}"
    media.mkdir()
    t = time.perf_counter()
    proc = start_server(url, port, log, media, timing=not args.no_server_timing, code_root=code_root, spec=spec)
    boot_s = time.perf_counter() - t
    opened, open_cpu = None, [0.0, 0.0, 0.0]
    try:
        try:
            cold = warm_up(port, warm_id, pool)
        except RuntimeError as exc:  # the server's own words say why (a traceback in its log)
            raise RuntimeError(f"{exc}\n--- {log.name} ---\n{log.read_text(errors='replace')[-4000:]}") from None
        alone = run_load(port, [single], shared_id, shared_items, 0, 0)
        mark = log.stat().st_size  # server timing lines of the concurrent run start here
        database = url.rsplit("/", 1)[-1] if url.startswith("postgresql") else ""

        def cpu_now() -> tuple[float, float, float]:  # the server, PostgreSQL backends, this load generator
            return server_cpu_s(proc.pid), database_cpu_s(database) if database else 0.0, time.process_time()

        cpu0 = [cpu_now()]  # taken again once every client has signed in (run_load)
        run = run_load(port, plans, shared_id, shared_items, args.conflict_clients, args.conflict_rounds,
                       args.think_ms, args.seed, on_start=lambda: cpu0.__setitem__(0, cpu_now()))
        cpu_s, db_cpu_s, client_cpu_s = (b - a for a, b in zip(cpu0[0], cpu_now()))
        mark_end = log.stat().st_size
        if args.open_rate:
            cookies = _login_cookies(port)
            open0 = cpu_now()
            opened = open_loop(port, cookies, [(i, pool) for i in open_ids], rate=args.open_rate,
                               duration_s=args.open_seconds, seed=args.seed, client_factory=Client)
            open_cpu = [b - a for a, b in zip(open0, cpu_now())]  # at the open loop's steady rate
    finally:
        code = stop_server(proc)
    result = verify(url, plans + [single], shared_id, shared_items, run, run.reqs + alone.reqs,
                    run.tap_mismatch + alone.tap_mismatch)
    failed_reqs, exceptions, other = server_log_findings(log)
    log_text = log.read_text(errors="replace")
    locked = log_text.count("database is locked")
    app_ms, sql_ms, held_ms, slow, early = [], [], [], Counter(), 0
    thread_cpu, statements = [], []
    with open(log, "rb") as f:
        f.seek(mark)
        for raw in f.read(mark_end - mark).decode(errors="replace").splitlines():
            parts = raw.split()
            if raw.startswith("bench-req ") and len(parts) >= 8 and parts[6] == "POST" and "/items/" in parts[7]:
                app_ms.append(float(parts[1]))
                sql_ms.append(float(parts[2]))
                early += int(parts[4])
                if parts[5] == "200":
                    held_ms.append(float(parts[3]))
                    if len(parts) >= 10:
                        thread_cpu.append(float(parts[8]))
                        statements.append(int(parts[9]))
    for raw in log_text.splitlines():
        if raw.startswith("bench-slow-sql "):
            slow[" ".join(raw.split()[2:5])] += 1

    ms = [q.ms for q in run.reqs]
    print(f"\n== {name} {phase}: {url.split('@')[-1] if '@' in url else url}; code {code_root}; "
          f"server {spec}")
    print(f"  setup (migrate, demo, {args.clients + 3} inspections) {setup_s:.1f} s; server up in {boot_s:.1f} s; "
          f"load {run.wall_s:.1f} s; server exit {code}")
    print(f"  {'warm-up':<15} {len(cold):>5} requests on 16 new connections at once (cold workers: first "
          f"walk page and save): median {statistics.median(cold):.0f}, max {max(cold):.0f} ms; not in the table")
    one = [q.ms for q in alone.reqs]
    if one:
        print(f"  {'1 client alone':<15} {len(one):>5} requests  p50 {pct(one, 50):6.1f}  p95 {pct(one, 95):6.1f}  "
              f"p99 {pct(one, 99):6.1f}  max {max(one):6.1f} ms   (service time, no queueing; not in the table)")
    print(f"  {args.clients} clients together{', pausing ~%.0f ms between saves' % args.think_ms if args.think_ms else ''}:")
    by_kind = defaultdict(list)
    for q in run.reqs:
        by_kind[q.kind].append(q.ms)
    for kind, label in (("save", "saves"), ("tap", "double taps"), ("conflict", "conflict races")):
        v = by_kind.get(kind, [])
        if v:
            print(f"  {label:<15} {len(v):>5} requests  p50 {pct(v, 50):6.1f}  p95 {pct(v, 95):6.1f}  "
                  f"p99 {pct(v, 99):6.1f}  max {max(v):6.1f} ms")
    if app_ms:
        print(f"  {'inside the app':<15} {len(app_ms):>5} saves     p50 {pct(app_ms, 50):6.1f}  p95 {pct(app_ms, 95):6.1f}  "
              f"p99 {pct(app_ms, 99):6.1f}  max {max(app_ms):6.1f} ms   (before→after request in the worker)")
        print(f"  {'  of it in SQL':<15} {len(sql_ms):>5} saves     p50 {pct(sql_ms, 50):6.1f}  p95 {pct(sql_ms, 95):6.1f}  "
              f"p99 {pct(sql_ms, 99):6.1f}  max {max(sql_ms):6.1f} ms   (the rest of a client's wait is queueing "
              f"for a worker thread, the GIL and the CPUs)")
    if held_ms:
        print(f"  {'write tx open':<15} {len(held_ms):>5} saves     p50 {pct(held_ms, 50):6.1f}  p95 {pct(held_ms, 95):6.1f}  "
              f"p99 {pct(held_ms, 99):6.1f}  max {max(held_ms):6.1f} ms   (first write → COMMIT, 200s"
              + ("; every other writer waits meanwhile)" if url.startswith("sqlite") else ")"))
    if early:
        print(f"  early commits: {early} saves had their answer row committed by RELEASE SAVEPOINT (the "
              f"begin_nested in services/inspections.py _insert_answer) before the audit row, the inspection "
              f"update and the score were written: they then wait for the write lock a second time, and a failure "
              f"after that point leaves an answer without its audit row")
    print(f"  SQL statements ≥ 100 ms (whole run): {sum(slow.values())}"
          + ("; " + ", ".join(f"{n}× {st}…" for st, n in slow.most_common(5)) if slow else ""))
    statuses = Counter(q.status for q in run.reqs)
    print("  statuses: " + ", ".join(f"{st}×{n}" for st, n in sorted(statuses.items()))
          + (f"; keep-alive reconnects {run.reconnects}" if run.reconnects else ""))
    lp, dp = result["lost_parts"], result["dup_parts"]
    print(f"  lost: {result['lost']} (value/client_id/note differs {lp[0]}, row missing {lp[1]}, "
          f"version short {lp[2]})")
    print(f"  duplicated: {result['dup']} (extra rows {dp[0]}, version over distinct saves {dp[1]}, "
          f"double tap answered a new version {dp[2]}, extra audit rows {dp[3]})")
    print(f"  5xx: {result['five']}")
    for line in result["conflict_lines"]:
        print(f"  conflicts: {line}")
    print(f"  unexpected statuses on own items: {len(run.unexpected) + len(alone.unexpected)}")
    print(f"  'database is locked' in server log: {locked}")
    for line in run.errors + alone.errors:
        print(f"  CLIENT ERROR {line}")
    for q in result["five_reqs"][:10]:
        print(f"  5xx: {q.status} on POST {q.path} ({q.kind}, client {q.client}, {q.ms:.0f} ms): "
              f"{' '.join(q.detail.split())[:160]}")
    for line in (alone.unexpected + run.unexpected)[:10]:
        print(f"  unexpected: {line}")
    for line in (alone.tap_mismatch + run.tap_mismatch)[:10]:
        print(f"  double tap: {line}")
    for line in result["msgs"][:15]:
        print(f"  db: {line}")
    if len(result["msgs"]) > 15:
        print(f"  db: … {len(result['msgs']) - 15} more")
    for path, n in failed_reqs.most_common(10):
        print(f"  server log: {n}× exception on {path}")
    for line, n in exceptions.most_common(10):
        print(f"  server log: {n}× {line}")
    for line in other[:10]:
        print(f"  server log: {line}")
    ok = (not run.errors and not alone.errors and result["lost"] == 0 and result["dup"] == 0
          and result["five"] == 0 and result["conflict_bad"] == 0 and not run.unexpected and not alone.unexpected
          and len(run.reqs) > 0)
    rps = len(ms) / run.wall_s if run.wall_s else float("nan")
    cpu_ms = 1000 * cpu_s / len(ms) if ms else float("nan")
    mean = (lambda v: sum(v) / len(v) if v else float("nan"))
    print(f"  saturation: {rps:.0f} saves/s; server CPU {cpu_ms:.2f} ms per save (server master + workers, "
          f"user + system, {cpu_s:.1f} s over {len(ms)} requests); request threads' own CPU {mean(thread_cpu):.2f} ms "
          f"(p50 {pct(thread_cpu, 50):.2f}); SQL statements per save {mean(statements):.1f} "
          f"(p50 {pct([float(n) for n in statements], 50):.0f}, max {max(statements) if statements else 0})")
    db_ms, client_ms = (1000 * v / len(ms) if ms else float("nan") for v in (db_cpu_s, client_cpu_s))
    everyone = cpu_ms + db_ms + client_ms
    print(f"  CPU per save of everyone on the machine's side of the run: server {cpu_ms:.2f} + PostgreSQL backends "
          f"{db_ms:.2f} + this load generator {client_ms:.2f} = {everyone:.2f} ms, so at most "
          f"{1000 * (os.cpu_count() or 1) / everyone:.0f} saves/s on {os.cpu_count()} CPUs with nothing else running")
    open_row = {}
    if opened is not None:
        lat = opened.latencies_ms
        five_open = sum(n for st, n in opened.statuses.items() if st >= 500 or st == 0)
        bad_open = sum(n for st, n in opened.statuses.items() if st != 200)
        print(f"  open loop: {opened.inspectors} inspectors, {opened.rate:g} saves/s scheduled for {opened.duration_s:g} s "
              f"({len(lat)} saves, done in {opened.wall_s:.1f} s): from the scheduled time p50 {pct(lat, 50):.1f}  "
              f"p95 {pct(lat, 95):.1f}  p99 {pct(lat, 99):.1f}  max {max(lat) if lat else float('nan'):.1f} ms; "
              f"senders started late by p95 {pct(opened.late_start_ms, 95):.1f} ms; statuses "
              + ", ".join(f"{st}×{n}" for st, n in sorted(opened.statuses.items())))
        for line in opened.errors[:5]:
            print(f"  open loop error: {line}")
        ok = ok and five_open == 0 and bad_open == 0
        n_open = max(len(lat), 1)
        open_ms = [1000 * v / n_open for v in open_cpu]
        print(f"  open loop CPU per save (at {opened.rate:g} saves/s, not saturated): server {open_ms[0]:.2f} + "
              f"PostgreSQL backends {open_ms[1]:.2f} + this load generator {open_ms[2]:.2f} ms")
        open_row = dict(open_p95=pct(lat, 95), open_p50=pct(lat, 50), open_rate=len(lat) / opened.wall_s,
                        open_cpu_ms=open_ms[0])
    print(f"  checks: {'ok' if ok else 'FAILED'}")
    return dict(backend=name, phase=phase, requests=len(ms), alone_p50=pct(one, 50), alone_p95=pct(one, 95),
                p50=pct(ms, 50), p95=pct(ms, 95), p99=pct(ms, 99), max=max(ms) if ms else float("nan"), rps=rps,
                cpu_ms=cpu_ms, thread_cpu_ms=mean(thread_cpu), statements=mean(statements), db_ms=db_ms,
                client_ms=client_ms,
                lost=result["lost"], dup=result["dup"], five=result["five"], ok=ok, locked=locked, **open_row)


def _login_cookies(port: int) -> dict:
    """One signed-in session's cookies (the open-loop inspectors share it: argon2 is slow on purpose)."""
    client = Client(port)
    status, body, _ = client.request("POST", "/login", {"username": "inspector", "password": demo.DEMO_PASSWORD})
    client.close()
    if status != 303 or SESSION_COOKIE not in client.cookies:
        raise RuntimeError(f"login answered {status}: {body[:200]!r}")
    return dict(client.cookies)


def postgres_database() -> tuple[object, str, str] | str:
    """A fresh database on the PostgreSQL server, or the reason there is none."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"inspector_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        admin.dispose()
        return f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}"
    return admin, name, admin.url.set(database=name).render_as_string(hide_password=False)


def on_scratch_postgres(run, prefix: str) -> int:
    """run(url, database name, temporary folder) on a fresh PostgreSQL database that is dropped
    afterwards; 1 with the reason printed when there is no PostgreSQL (the helpers' entry)."""
    pg = postgres_database()
    if isinstance(pg, str):
        print(pg)
        return 1
    admin, name, url = pg
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmpdir:
            return run(url, name, Path(tmpdir))
    finally:
        drop_database(admin, name)


def drop_database(admin, name: str) -> None:
    """Drop a database made by postgres_database (its sessions ended first) and let go of the server."""
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--saves", type=int, default=20, help="saves per client (every 5th is double-tapped)")
    parser.add_argument("--items", type=int, default=8, help="items each client saves into")
    parser.add_argument("--conflict-clients", type=int, default=5)
    parser.add_argument("--conflict-rounds", type=int, default=3)
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause ~this long after each answer (default 0: every client saves flat out)")
    parser.add_argument("--no-server-timing", action="store_true",
                        help="do not time requests and SQL inside the workers (bench/_wsgi.py BENCH_TIMING)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"commit whose code runs the 'before' phase (default {BASELINE}; '' to skip it)")
    parser.add_argument("--servers", default=SERVERS,
                        help="app servers of the 'after' phases, comma-separated server:WORKERSxTHREADS "
                             f"(gunicorn or granian; default {SERVERS}); the 'before' phase runs under the first")
    parser.add_argument("--open-rate", type=float, default=100.0, help="open-loop saves/s in all (0: no open loop)")
    parser.add_argument("--open-inspectors", type=int, default=500, help="open-loop inspectors (each saves every "
                        "inspectors/rate seconds)")
    parser.add_argument("--open-seconds", type=float, default=30.0, help="how long the open-loop schedule runs")
    args = parser.parse_args()
    taps = args.saves // 5
    print(f"save latency: {args.clients} concurrent clients × {args.saves} saves (+{taps} double taps each), "
          f"{min(args.conflict_clients, args.clients)} clients racing on a shared item × {args.conflict_rounds} "
          f"rounds; then open loop {args.open_inspectors} inspectors at {args.open_rate:g} saves/s for "
          f"{args.open_seconds:g} s; servers {args.servers} (server:workers×threads); {os.cpu_count()} CPUs shared by server "
          f"and clients; before = code of {args.baseline or '(skipped)'}, after = this checkout; "
          f"aim p95 ≤ {AIM_P95_MS:.0f} ms, nothing lost or duplicated")
    load1 = os.getloadavg()[0]
    print(f"load average before the run: {load1:.2f}"
          + (f" — the machine is already busy ({os.cpu_count()} CPUs): latencies below include that" if
             load1 > 0.5 * (os.cpu_count() or 1) else ""))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-save-") as tmpdir:
        tmp = Path(tmpdir)
        failures = []

        def attempt(name: str, url: str) -> None:
            try:
                rows.extend(bench_backend(name, url, args, tmp))
            except Exception as exc:  # noqa: BLE001 - report it, go on with the other backend
                failures.append(name)
                print(f"\n== {name}: FAILED — {exc.__class__.__name__}: {exc}")

        if args.backend in ("both", "sqlite"):
            attempt("SQLite", f"sqlite:///{tmp / 'bench.db'}")
        if args.backend in ("both", "postgresql"):
            pg = postgres_database()
            if isinstance(pg, str):
                print(f"\n== PostgreSQL: UNREACHABLE at {PG_URL} ({pg}); continuing with SQLite only")
            else:
                admin, name, url = pg
                try:
                    attempt("PostgreSQL", url)
                finally:
                    drop_database(admin, name)
    if not rows:
        return 1
    print_table(rows)
    return 0 if all(r["ok"] for r in rows) and not failures else 1


def print_table(rows: list[dict]) -> None:
    """Every phase side by side, then after/before per backend."""
    print()
    head = (f"{'backend':<10} | {'phase':<18} | {'CPU ms/save':>11} | {'in request':>10} | {'PG ms':>5} | "
            f"{'client ms':>9} | {'stmts/save':>10} | "
            f"{'saves/s sat.':>12} | {'p95 sat. ms':>11} | {'open p95 ms':>11} | {'open CPU ms':>11} | {'alone p95':>9} | "
            f"{'lost':>4} | {'dup':>3} | {'5xx':>3}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['backend']:<10} | {r['phase'][:18]:<18} | {r['cpu_ms']:>11.2f} | {r['thread_cpu_ms']:>10.2f} | "
              f"{r['db_ms']:>5.2f} | {r['client_ms']:>9.2f} | "
              f"{r['statements']:>10.1f} | {r['rps']:>12.0f} | {r['p95']:>11.1f} | {r.get('open_p95', float('nan')):>11.1f} | "
              f"{r.get('open_cpu_ms', float('nan')):>11.2f} | "
              f"{r['alone_p95']:>9.1f} | {r['lost']:>4} | {r['dup']:>3} | {r['five']:>3}")
    print()
    for backend in dict.fromkeys(r["backend"] for r in rows):
        phases = [r for r in rows if r["backend"] == backend]
        before = phases[0] if phases[0]["phase"].startswith("before") else None
        for a in phases:
            if a is before:
                continue
            if before is not None:
                b = before
                print(f"{backend} {a['phase']} / before: saves/s at saturation {a['rps'] / b['rps']:.2f}×, CPU per save "
                      f"{a['cpu_ms'] / b['cpu_ms']:.2f}× ({b['cpu_ms']:.2f} → {a['cpu_ms']:.2f} ms), statements "
                      f"{b['statements']:.1f} → {a['statements']:.1f}, open-loop p95 "
                      f"{b.get('open_p95', float('nan')):.1f} → {a.get('open_p95', float('nan')):.1f} ms, server CPU "
                      f"per save at the open loop's rate {b.get('open_cpu_ms', float('nan')):.2f} → "
                      f"{a.get('open_cpu_ms', float('nan')):.2f} ms, "
                      f"1 client alone p95 {b['alone_p95']:.1f} → {a['alone_p95']:.1f} ms")
            if backend == "PostgreSQL":
                print(f"{backend} {a['phase']} against issue 19's aims: saves/s at saturation {a['rps']:.0f} "
                      f"(aim ≥ {AIM_SAVES_PER_S}: {'met' if a['rps'] >= AIM_SAVES_PER_S else 'missed'}), server CPU "
                      f"per save {a['cpu_ms']:.2f} ms (aim ≤ {AIM_CPU_MS:g}: "
                      f"{'met' if a['cpu_ms'] <= AIM_CPU_MS else 'missed'}), open-loop p95 "
                      f"{a.get('open_p95', float('nan')):.1f} ms (aim ≤ {AIM_OPEN_P95_MS:g})")
    for r in rows:
        print(f"{r['backend']} {r['phase']}: lost {r['lost']}, duplicated {r['dup']}, 5xx {r['five']}; "
              f"checks {'ok' if r['ok'] else 'FAILED'}")


if __name__ == "__main__":
    sys.exit(main())
