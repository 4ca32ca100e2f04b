"""A/B of a save's server CPU between two code trees, interleaved (a helper, not run by bench/run).

    .venv/bin/python bench/_ab_save.py --a /tmp/base [--b .] [--rounds 12] [--batch 100]

This machine's speed moves by about 1.5× between runs, so two runs one after the other cannot
tell a 10 % change. Here both trees serve at once (gunicorn, one gthread worker each, keep-alive,
on one PostgreSQL database) and one client saves in alternating batches, A then B, round after
round; each server's CPU (/proc) is counted over its own batches only, so a slow minute of the
machine falls on both. Prints per round and the median ms of server CPU per save, and B/A."""
from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import save_latency as bench
from _openloop import server_cpu_s


class Side:
    """One tree served by one gunicorn worker, with its client and inspection."""

    def __init__(self, name: str, root: Path, url: str, tmp: Path, inspection_id: int):
        self.name, self.root, self.inspection_id = name, root, inspection_id
        self.port = bench.free_port()
        self.proc = bench.start_server(url, self.port, tmp / f"{name}.log", tmp, timing=False, code_root=root)
        self.client = bench.Client(self.port)
        status, _b, _ms = self.client.request("POST", "/login", {"username": "inspector",
                                                                "password": bench.demo.DEMO_PASSWORD})
        assert status == 303, status
        self.version: dict[str, int] = {}

    def save(self, item) -> None:
        form = {"value": "50" if item.kind == "measure" else "pass", "client_id": uuid.uuid4().hex,
                "base_version": str(self.version.get(item.id, 0)), "device_id": "ab", "note": "ab"}
        st, body, _ms = self.client.request("POST", f"/inspections/{self.inspection_id}/items/{item.id}", form,
                                            {"HX-Request": "true"})
        assert st == 200, (self.name, st, body[:300])
        self.version[item.id] = int(bench.VERSION_RE.search(body).group(1))

    def batch(self, pool, n: int) -> float:
        """CPU seconds of this server over n saves."""
        cpu0 = server_cpu_s(self.proc.pid)
        for i in range(n):
            self.save(pool[i % 12])
        return server_cpu_s(self.proc.pid) - cpu0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="the baseline tree (e.g. a git worktree)")
    parser.add_argument("--b", default=str(bench.ROOT), help="the changed tree (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    return bench.on_scratch_postgres(lambda url, _name, tmp: _run(url, args, tmp), "bench-ab-")


def _run(url: str, args, tmp: Path) -> int:
    bench.setup_database(url)
    own, _shared, pool, _items, _open = bench.prepare(url, 2, 0)
    sides = [Side("A", Path(args.a), url, tmp, own[0]), Side("B", Path(args.b), url, tmp, own[1])]
    try:
        for side in sides:  # warm: templates, statements, the checklist
            side.batch(pool, 24)
        per = {s.name: [] for s in sides}
        for r in range(args.rounds):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                per[side.name].append(1000 * side.batch(pool, args.batch) / args.batch)
            print(f"round {r + 1:2d}: A {per['A'][-1]:.3f}  B {per['B'][-1]:.3f}  B/A {per['B'][-1] / per['A'][-1]:.3f}",
                  flush=True)
    finally:
        for side in sides:
            side.client.close()
            bench.stop_server(side.proc)
    a, b = statistics.median(per["A"]), statistics.median(per["B"])
    ratios = sorted(y / x for x, y in zip(per["A"], per["B"]))
    print(f"median ms server CPU per save: A {a:.3f}  B {b:.3f}  B/A {b / a:.3f} "
          f"(per-round B/A {ratios[0]:.3f}–{ratios[-1]:.3f}, median {statistics.median(ratios):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
