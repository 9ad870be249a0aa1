"""`suanli serve --workers 2`: two uvicorn processes behind one port on one database, each with its
own pool and admission limit; both answer, and the money written through them holds."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import bench_load


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def frozen_objects(base: str) -> int:
    """What the process answering `/metrics` froze once started (`suanli_gc_frozen_objects`)."""
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith("suanli_gc_frozen_objects "):
            return int(float(line.split()[1]))
    raise AssertionError("no suanli_gc_frozen_objects on /metrics")


def test_a_served_process_keeps_what_starting_it_allocated_out_of_every_garbage_collection(
        tmp_path: Path) -> None:
    """Otherwise a full collection (60-85 ms for a fresh app's ~230,000 objects) lands inside
    whichever request triggered it: the one slow request in a hundred."""
    url = f"sqlite:///{tmp_path / 'suanli.db'}"
    bench_load.prepare(url)
    process, base = bench_load.start_server(url, tmp_path / "data")
    try:
        assert frozen_objects(base) > 100_000
    finally:
        bench_load.stop_server(process)


def test_two_api_processes_share_the_port_and_the_database(db_url: str, tmp_path: Path) -> None:
    world = bench_load.prepare(db_url, migrate=False)
    process, base = bench_load.start_server(db_url, tmp_path / "data", workers=2,
                                             ready_timeout_s=180)  # spawning is slow on a loaded machine
    try:
        deadline = time.monotonic() + 120
        while len(_children(process.pid)) < 2 and time.monotonic() < deadline:  # the second may come later
            time.sleep(0.5)
        assert len(_children(process.pid)) >= 2  # uvicorn's supervisor spawned two API processes
        outcome = bench_load.run_load(base, world, clients=16, duration_s=3, seed=7,
                                      mix={"read": 0.3, "transfer": 0.5, "redeem": 0.2})
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        assert frozen_objects(base) > 100_000  # each process froze what starting it allocated
    finally:
        log = bench_load.stop_server(process)
    assert outcome.violations == [] and "Traceback" not in log, (outcome.violations[:5], log[-2000:])
    assert outcome.statuses[201] > 0
    assert bench_load.check_invariants(world, outcome, tmp_path / "data") == []
