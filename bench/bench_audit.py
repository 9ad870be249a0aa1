"""Transparency-log benchmarks: `audit_appends_per_s` (appends inside real transactions on SQLite and
PostgreSQL) and inclusion/consistency proof generation against a stored log of 1,000,000 entries.

The headline value is SQLite with ONE event per transaction (what a service call costs); batched
figures (several events under one lock and one commit, `record_events`) are reported beside it.
PostgreSQL uses a throwaway database created on SUANLI_TEST_POSTGRES_URL (or the local default) and
dropped afterwards. The 1M-entry log is bulk-loaded through the repository (same tables, same node
layout as appends) so the proof timing is measured at that size without a day of appends.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import make_url, text

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import upgrade
from suanli.db.repositories import audit as repo
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import append_to_frontier, leaf_hash
from suanli.domain.audit.proofs import consistency_proof, inclusion_proof
from suanli.domain.audit.signing import Signer
from suanli.services import audit

PG_DEFAULT = "postgresql://postgres@127.0.0.1/postgres"
PAYLOAD: dict[str, object] = {"voucher_id": 12345, "amount_fen": 180_000, "center": "gpu-cloud", "note": "核销"}


def appends_per_s(url: str, *, count: int, batch: int) -> float:
    engine = make_engine(url)
    sessions = session_factory(engine)
    events = [("voucher.redeemed", "voucher:12345", PAYLOAD, 7)] * batch
    started = time.perf_counter()
    for _ in range(count // batch):
        with unit_of_work(sessions) as s:
            audit.record_events(s, events)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return round(count / elapsed, 1)


def measure(url: str, single: int, batched: int) -> dict[str, float]:
    return {"one_per_tx": appends_per_s(url, count=single, batch=1),
            "batch_100": appends_per_s(url, count=batched, batch=100)}


def sqlite_url(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def postgres_figures() -> dict[str, float] | str:
    admin = os.environ.get("SUANLI_TEST_POSTGRES_URL", PG_DEFAULT)
    name = f"suanli_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin_engine = make_engine(admin, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # noqa: BLE001 - no server here: say so in the result
        return f"PostgreSQL unavailable: {str(err).splitlines()[0]}"
    url = make_url(normalise_url(admin)).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return measure(url, single=2000, batched=20_000)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def bulk_load(url: str, size: int, chunk: int = 50_000) -> None:
    """Write `size` events and their complete subtrees through the repository, chunk by chunk."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    frontier: list[bytes] = []
    from suanli.db.models.base import utcnow

    now = utcnow()
    for start in range(0, size, chunk):
        rows, nodes = [], []
        for seq in range(start, min(size, start + chunk)):
            data = canonical_json({"schema": "suanli.audit.event/1", "seq": seq, "kind": "voucher.redeemed",
                                   "subject": f"voucher:{seq}", "organisation_id": seq % 50,
                                   "recorded_at": "2026-05-01T08:00:00Z", "payload": PAYLOAD})
            leaf = leaf_hash(data)
            nodes.extend(append_to_frontier(frontier, seq, leaf))
            rows.append({"seq": seq, "kind": "voucher.redeemed", "subject": f"voucher:{seq}",
                         "organisation_id": seq % 50, "canonical": data, "leaf_hash": leaf, "created_at": now})
        with unit_of_work(sessions) as s:
            if start == 0:
                repo.lock_state(s)
            repo.insert_events(s, rows)
            repo.insert_nodes(s, nodes)
            repo.save_state(s, tree_size=min(size, start + chunk), frontier=frontier)
    engine.dispose()


def timed_ms(calls: list[Callable[[], object]]) -> dict[str, float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 3), "p99_ms": round(samples[int(len(samples) * 0.99)], 3)}


def proof_figures(url: str, size: int) -> dict[str, object]:
    bulk_started = time.perf_counter()
    bulk_load(url, size)
    bulk_s = time.perf_counter() - bulk_started
    engine = make_engine(url)
    rng = random.Random(42)
    with session_factory(engine)() as s:
        lookup = lambda keys: repo.fetch_nodes(s, keys)
        leaves = [rng.randrange(size) for _ in range(500)]
        inclusion = timed_ms([partial(inclusion_proof, i, size, lookup) for i in leaves])
        consistency = timed_ms([partial(consistency_proof, max(1, i), size, lookup) for i in leaves])
        receipt = timed_ms([partial(audit.issue_receipt, s, seq=i, signer=signer) for i in leaves[:200]])
        s.rollback()
    engine.dispose()
    return {"inclusion": inclusion, "consistency": consistency, "receipt": receipt, "bulk_load_s": round(bulk_s, 1)}


signer = Signer.generate()


def run() -> dict[str, dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sqlite = measure(sqlite_url(directory, "appends.db"), single=5000, batched=50_000)
        postgres = postgres_figures()
        size = int(os.environ.get("SUANLI_BENCH_AUDIT_SIZE", "1000000"))
        proofs = proof_figures(sqlite_url(directory, "million.db"), size)
    pg_value = postgres["one_per_tx"] if isinstance(postgres, dict) else None
    return {
        "audit_appends_per_s": {
            "value": sqlite["one_per_tx"], "unit": "appends/s (SQLite, one event per transaction)",
            "sqlite_batch_100_per_tx": sqlite["batch_100"],
            "postgres_value": pg_value,
            "postgres_batch_100_per_tx": postgres["batch_100"] if isinstance(postgres, dict) else postgres,
            "goal": ">= 10000 appends/s on SQLite",
        },
        "audit_proof_ms_at_1m": {
            "value": proofs["inclusion"]["p99_ms"], "unit": f"ms p99, inclusion proof from the database at {size} entries",
            "tree_size": size, "inclusion": proofs["inclusion"], "consistency": proofs["consistency"],
            "receipt_with_signed_head": proofs["receipt"], "bulk_load_s": proofs["bulk_load_s"],
            "goal": "< 5 ms",
        },
    }


if __name__ == "__main__":
    import json

    os.environ.setdefault("SUANLI_BENCH_AUDIT_SIZE", "20000")
    print(json.dumps(run(), indent=2, ensure_ascii=False))
