"""Where a save's CPU goes in a real gunicorn worker (a helper, not run by bench/run).

    .venv/bin/python bench/_profile_save.py [--backend postgresql|sqlite] [--saves 400] [--top 40]

One sync gunicorn worker (HTTP parsing, the app and the reply all in its main thread) serving the
app of this checkout through bench/_wsgi.py with BENCH_PROFILE: cProfile on thread CPU time. One
client signs in, warms up, then saves `--saves` times into one inspection (htmx, as the phone);
the profile covers the saves only and is printed by cumulative and by own time, with the CPU ms
per save of the worker (from /proc) and of the profile."""
from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import save_latency as bench
from _openloop import server_cpu_s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--saves", type=int, default=400)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--out", help="keep the profile in this file (for pstats)")
    parser.add_argument("--no-profile", action="store_true",
                        help="no cProfile: only the worker's CPU per save (/proc), for quick A/B of a change")
    parser.add_argument("--code-root", help="serve another checkout (BENCH_CODE_ROOT), e.g. a git worktree")
    args = parser.parse_args()
    if args.backend == "postgresql":
        return bench.on_scratch_postgres(lambda url, _name, tmp: _run(url, args, tmp), "bench-profile-")
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmpdir:
        return _run(f"sqlite:///{Path(tmpdir) / 'bench.db'}", args, Path(tmpdir))


def _run(url: str, args, tmp: Path) -> int:
    bench.setup_database(url)
    own, _shared, pool, _items, _open = bench.prepare(url, 2, 0)
    port = bench.free_port()
    prof = tmp / "save.prof"
    every = args.saves
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-" + uuid.uuid4().hex, BENCH_MEDIA_DIR=str(tmp),
               **({} if args.no_profile else {"BENCH_PROFILE": str(prof), "BENCH_PROFILE_EVERY": str(every + 2)}),
               **({"BENCH_CODE_ROOT": args.code_root} if args.code_root else {}))
    cmd = [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", args.worker_class,
           "--bind", f"{bench.HOST}:{port}", "--pythonpath", str(bench.ROOT / "bench"), "--log-level", "warning",
           "_wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=bench.ROOT, env=env)
    try:
        _wait(port)
        client = bench.Client(port)
        status, _b, _ms = client.request("POST", "/login", {"username": "inspector",
                                                           "password": bench.demo.DEMO_PASSWORD})
        assert status == 303, status
        version: dict[str, int] = {}

        def save(inspection_id: int, item) -> None:
            form = {"value": "50" if item.kind == "measure" else "pass", "client_id": uuid.uuid4().hex,
                    "base_version": str(version.get(item.id, 0)), "device_id": "profile", "note": "p"}
            st, body, _ms = client.request("POST", f"/inspections/{inspection_id}/items/{item.id}", form,
                                           {"HX-Request": "true"})
            assert st == 200, (st, body[:300])
            m = bench.VERSION_RE.search(body)
            version[item.id] = int(m.group(1))

        save(own[0], pool[0])  # warm: templates, statements, checklist
        save(own[0], pool[1])  # (the profile's first dump comes at `every + 2`)
        cpu0, t0 = server_cpu_s(proc.pid), time.perf_counter()
        for i in range(args.saves):
            save(own[1], pool[i % 12])
        cpu = server_cpu_s(proc.pid) - cpu0
        wall = time.perf_counter() - t0
        time.sleep(0.5)
    finally:
        bench.stop_server(proc)
    dumps = list(tmp.glob("save.prof.*"))
    if args.no_profile:
        print(f"{1000 * cpu / args.saves:.3f} ms server CPU per save, {1000 * wall / args.saves:.2f} ms wall "
              f"({args.saves} saves, one client, one {args.worker_class} worker, no profiler)")
        return 0
    print(f"{args.saves} saves, one client, one {args.worker_class} worker: {1000 * cpu / args.saves:.2f} ms server "
          f"CPU per save (/proc, master + worker), {1000 * wall / args.saves:.2f} ms wall per save")
    if not dumps:
        print("no profile written")
        return 1
    if args.out:
        Path(args.out).write_bytes(dumps[0].read_bytes())
    stats = pstats.Stats(str(dumps[0]))
    print(f"profile: {1000 * stats.total_tt / (args.saves + 2):.2f} ms thread CPU per save (profiler overhead included)")
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


def _wait(port: int) -> None:
    import http.client
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(bench.HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


if __name__ == "__main__":
    sys.exit(main())
