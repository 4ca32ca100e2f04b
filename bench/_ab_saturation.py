"""A/B of saves/s at saturation between two app-server shapes, interleaved (a helper, not run by bench/run).

    .venv/bin/python bench/_ab_saturation.py --a gunicorn:4x4 --b granian:2x2 [--rounds 6] [--clients 50] [--burst 20]

This machine's speed moves by up to 1.6× between runs a minute apart, so two runs of
bench/save_latency.py cannot tell which server shape carries more saves. Here both servers run at
once on one PostgreSQL database (this checkout's code), each with its own signed-in clients and
their own inspections; the clients save flat out in bursts, A's then B's, B then A the next round,
so a slow minute of the machine falls on both. Per burst: saves/s (wall clock) and CPU ms per save
of that server, of PostgreSQL and of this load generator. Prints the medians and B/A."""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import save_latency as bench
from _openloop import database_cpu_s, server_cpu_s


class Side:
    """One server and its clients: one keep-alive connection, one inspection and a version map each."""

    def __init__(self, name: str, spec: str, url: str, tmp: Path, inspection_ids: list[int]):
        self.name, self.spec = name, spec
        self.port = bench.free_port()
        self.proc = bench.start_server(url, self.port, tmp / f"{name}.log", tmp, timing=False, spec=spec)
        self.clients = []
        for inspection_id in inspection_ids:
            client = bench.Client(self.port)
            status, _b, _ms = client.request("POST", "/login", {"username": "inspector",
                                                               "password": bench.demo.DEMO_PASSWORD})
            assert status == 303, status
            self.clients.append((client, inspection_id, {}))

    def burst(self, pool, saves: int, database: str) -> tuple[float, float, float, float]:
        """Every client saves `saves` times at once; (saves/s, server, PostgreSQL, generator CPU ms per save)."""
        errors: list[str] = []
        start = threading.Barrier(len(self.clients) + 1)

        def run(client, inspection_id, versions, offset) -> None:
            start.wait()
            try:
                for i in range(saves):
                    item = pool[(offset + i) % len(pool)]
                    form = {"value": "50" if item.kind == "measure" else "pass", "client_id": uuid.uuid4().hex,
                            "base_version": str(versions.get(item.id, 0)), "device_id": "ab", "note": "ab"}
                    st, body, _ms = client.request("POST", f"/inspections/{inspection_id}/items/{item.id}", form,
                                                   {"HX-Request": "true"})
                    if st != 200:
                        raise RuntimeError(f"{self.name}: {st} {body[:200]!r}")
                    versions[item.id] = int(bench.VERSION_RE.search(body).group(1))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(str(exc))

        threads = [threading.Thread(target=run, args=(*c, n)) for n, c in enumerate(self.clients)]
        for t in threads:
            t.start()
        cpu0 = (server_cpu_s(self.proc.pid), database_cpu_s(database), time.process_time())
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu1 = (server_cpu_s(self.proc.pid), database_cpu_s(database), time.process_time())
        if errors:
            raise RuntimeError(errors[0])
        n = saves * len(self.clients)
        return (n / wall, *(1000 * (b - a) / n for a, b in zip(cpu0, cpu1)))

    def close(self) -> None:
        for client, _i, _v in self.clients:
            client.close()
        bench.stop_server(self.proc)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", default="gunicorn:4x4", help="server:WORKERSxTHREADS (gunicorn or granian)")
    parser.add_argument("--b", default="granian:2x2")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--burst", type=int, default=20, help="saves per client per burst")
    args = parser.parse_args()
    return bench.on_scratch_postgres(lambda url, name, tmp: _run(url, name, args, tmp), "bench-ab-sat-")


def _run(url: str, database: str, args, tmp: Path) -> int:
    bench.setup_database(url)
    own, _shared, pool, _items, _open = bench.prepare(url, 2 * args.clients, 0)
    sides = [Side("A", args.a, url, tmp, own[:args.clients]),
             Side("B", args.b, url, tmp, own[args.clients:2 * args.clients])]
    per = {s.name: [] for s in sides}
    try:
        for side in sides:  # warm: templates, statements, the checklist, every worker
            side.burst(pool, 4, database)
        for r in range(args.rounds):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                per[side.name].append(side.burst(pool, args.burst, database))
            a, b = per["A"][-1], per["B"][-1]
            print(f"round {r + 1:2d}: A {a[0]:5.0f}/s {a[1]:.2f} ms  B {b[0]:5.0f}/s {b[1]:.2f} ms  "
                  f"B/A saves/s {b[0] / a[0]:.2f}", flush=True)
    finally:
        for side in sides:
            side.close()
    print(f"medians over {args.rounds} rounds, {args.clients} clients × {args.burst} saves a burst:")
    for side in sides:
        rows = per[side.name]
        med = [statistics.median(r[k] for r in rows) for k in range(4)]
        print(f"  {side.name} {side.spec:14s} {med[0]:5.0f} saves/s  server {med[1]:.2f}  PostgreSQL {med[2]:.2f}  "
              f"generator {med[3]:.2f} ms per save")
    ratios = sorted(b[0] / a[0] for a, b in zip(per["A"], per["B"]))
    print(f"  B/A saves/s: median {statistics.median(ratios):.2f} (rounds {ratios[0]:.2f}–{ratios[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
