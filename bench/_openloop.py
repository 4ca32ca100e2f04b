"""Helpers of bench/save_latency.py: the baseline checkout, server CPU, an open-loop load.

- `export_baseline`: the app as it was at a commit (git archive into a folder), served by the
  same bench/_wsgi.py (BENCH_CODE_ROOT), so one run measures the old save path and the new one.
- `server_cpu_s`: CPU seconds (user + system) used so far by a gunicorn master and its workers;
  `database_cpu_s` the same of the PostgreSQL backends of one database.
- `open_loop`: saves sent on a fixed schedule (inspector i saves every `period` seconds, the
  inspectors spread evenly), each timed from the moment it was scheduled, not from when a sender
  got round to it: a slow server makes the next saves late, and that lateness is counted (no
  coordinated omission).
"""
from __future__ import annotations

import os
import random
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path


def export_baseline(root: Path, ref: str, dest: Path) -> Path | str:
    """The tree of commit `ref` in `dest`; or why not (no git, unknown commit)."""
    try:
        archive = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", ref], capture_output=True,
                                 check=True, timeout=120).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return f"git archive {ref} failed: {detail.decode(errors='replace').strip() or exc}"
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True, timeout=120)
    return dest


def server_cpu_s(master_pid: int) -> float:
    """CPU seconds of the gunicorn master and every process whose parent it is (the workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == master_pid or ppid == master_pid:
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


@dataclass
class OpenLoop:
    """What an open-loop run produced."""

    rate: float
    duration_s: float
    inspectors: int
    latencies_ms: list[float] = field(default_factory=list)  # from the scheduled time to the last byte
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    late_start_ms: list[float] = field(default_factory=list)  # how late a sender began a save
    wall_s: float = 0.0


def open_loop(port: int, cookies: dict, targets: list[tuple[int, list]], *, rate: float, duration_s: float,
              senders: int = 64, seed: int = 0, client_factory=None, host: str = "127.0.0.1") -> OpenLoop:
    """`len(targets)` inspectors, each (inspection id, items it fills in), saving at `rate` saves/s in
    all: inspector i at t0 + i/rate + k·period (period = inspectors/rate), for `duration_s`."""
    m = len(targets)
    period = m / rate
    schedule = sorted((i / rate + k * period, i, k) for i in range(m)
                      for k in range(int((duration_s - i / rate) / period) + 1) if i / rate + k * period < duration_s)
    out = OpenLoop(rate, duration_s, m)
    lock = threading.Lock()
    nxt = [0]
    known: dict[tuple[int, str], int] = {}
    rnd = random.Random(seed)
    values = [(f"{rnd.uniform(5, 900):.1f}", rnd.choice(["pass", "fail"])) for _ in range(len(schedule))]
    t0 = time.perf_counter() + 0.5

    def sender() -> None:
        client = client_factory(port)
        client.cookies = dict(cookies)
        try:
            while True:
                with lock:
                    if nxt[0] >= len(schedule):
                        return
                    at, i, k = schedule[nxt[0]]
                    measure, check = values[nxt[0]]
                    nxt[0] += 1
                inspection_id, items = targets[i]
                item = items[k % len(items)]
                wait = t0 + at - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                began = time.perf_counter()
                with lock:
                    base = known.get((i, item.id), 0)
                form = {"value": measure if item.kind == "measure" else check, "client_id": uuid.uuid4().hex,
                        "base_version": str(base), "device_id": f"open-loop-{i}", "note": f"open {i}/{k}"}
                try:
                    status, body, _ms = client.request("POST", f"/inspections/{inspection_id}/items/{item.id}", form,
                                                       {"HX-Request": "true"})
                except Exception as exc:  # noqa: BLE001 - counted, the load goes on
                    status, body = 0, b""
                    with lock:
                        out.errors.append(f"{exc.__class__.__name__}: {exc}")
                end = time.perf_counter()
                version = _version(body)
                with lock:
                    out.latencies_ms.append((end - (t0 + at)) * 1000)
                    out.late_start_ms.append(max(0.0, (began - (t0 + at)) * 1000))
                    out.statuses[status] = out.statuses.get(status, 0) + 1
                    if version is not None:
                        known[(i, item.id)] = max(known.get((i, item.id), 0), version)
        finally:
            client.close()

    threads = [threading.Thread(target=sender, name=f"open-loop-{n}") for n in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.wall_s = time.perf_counter() - t0
    return out


def _version(body: bytes) -> int | None:
    marker = b'data-saved-version="'
    at = body.find(marker)
    if at < 0:
        return None
    end = body.find(b'"', at + len(marker))
    return int(body[at + len(marker):end])


def database_cpu_s(database: str) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backends serving `database` (their
    process title names it; readable when the server runs on this machine, else 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    needle = f" {database} ".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ")
            if not title.startswith(b"postgres:") or needle not in title:
                continue
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total
