"""64 and 256 concurrent clients against the real server (`suanli serve`, uvicorn on loopback) on
SQLite and PostgreSQL, a few seconds each: reads, job submissions, transfers and redemptions on four
hot wallets, with replayed idempotency keys (bench/bench_load.py is the harness).

What must hold whatever the machine's speed: no 500 and no dropped connection, every non-2xx a
409/422/429/503 problem (a 503 with `Retry-After`), refusals fast, `/healthz` answering throughout,
and in the database afterwards no negative wallet, the money conserved, each key stored once and
exactly the keys answered 2xx, ledger and transparency log consistent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import bench_load

DURATION_S = 4.0


@pytest.mark.parametrize("clients", [64, 256])
def test_many_clients_get_answers_not_500s_and_the_money_holds(db_url: str, tmp_path: Path, clients: int) -> None:
    world = bench_load.prepare(db_url, migrate=False)
    process, base = bench_load.start_server(db_url, tmp_path / "data")
    try:
        outcome = bench_load.run_load(base, world, clients=clients, duration_s=DURATION_S, seed=clients)
    finally:
        log = bench_load.stop_server(process)
    figures = bench_load.summary(outcome)
    print(f"\n{clients} clients: {figures}")
    assert outcome.violations == [], outcome.violations[:5]
    assert outcome.statuses[500] == 0 and "Traceback" not in log, log[-2000:]
    assert outcome.statuses[201] > 0, figures  # money moved: the run did not just refuse everything
    assert outcome.health_failures == []
    # `/healthz` kept answering, timed from a probe process of its own (the load clients' event loop
    # is the slowest thing on a small machine): several probes, none near a stall. The figure to
    # hold to (p99 < 100 ms) is bench_load's on a machine of its own; here other jobs share the cores.
    assert len(outcome.health) >= 3 and max(outcome.health) < 5, figures["healthz"]
    # Business requests from that idle probe are answered, 200 or 503, never after a 30 s stall.
    probe = outcome.probe_reads + outcome.probe_refusals
    assert max(probe, default=0) < 10, figures["probe"]
    assert bench_load.check_invariants(world, outcome, tmp_path / "data") == []
