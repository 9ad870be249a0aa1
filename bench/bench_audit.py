"""Transparency-log benchmarks: `audit_appends_per_s` (appends inside real transactions on SQLite and
PostgreSQL), the sequencer's throughput and sequencing lag, and inclusion/consistency proof generation
against a stored log of 1,000,000 entries.

An append is what a business transaction does: `record_event` inserts the event into the audit outbox
(no log lock). The sequencer (`services.audit.sequence_pending`) then gives outbox events their seqs
and folds them into the tree, in batches, apart from business transactions:

* `sequencer.backlog_per_s`: events placed per second when it drains the backlog the append rounds
  left (batches of `audit.SEQUENCE_BATCH`, one transaction each).
* `sequencer.lag_ms`: with `suanli serve`'s in-process sequencer thread running (20 ms gather window)
  and `WRITERS` threads appending one event per unit of work, the time from each business commit to
  the commit of the batch that placed it (p50/p99/max), and the appends/s of that mixed run.

Every append figure is one event per committed transaction unless it says batch. The shapes:

* `connection`: on a held connection, `with connection.begin(), Session(bind=connection) as s:
  record_event(s, ...)` — the minimal real transaction (SQLite: BEGIN IMMEDIATE, the outbox insert, COMMIT
  in WAL with synchronous=NORMAL, the configuration db/engine.py gives the product). The headline.
* `session`: one Session on a held connection, `with session.begin(): record_event(session, ...)`
  (the Session's own transaction bookkeeping added).
* `unit_of_work`: a fresh Session per transaction from the engine's pool, as the HTTP, CLI and
  worker edges run (`unit_of_work`), so pool checkout and Session set-up are in the figure.
* `sqlite3_floor` (SQLite only): the same statement (the outbox insert) on the bare sqlite3 module, values computed in
  advance — what SQLite's own transaction costs, the ceiling for any implementation on this disk.
* `business`: a typical audited change in a unit of work — load a user, change their role, record
  `user.role_changed`, commit — next to the same transaction without the event, so the audit's own
  share of a business transaction is visible (`audit_cost_us`).

Batched figures append 100 events per transaction with `record_events`. The machine is shared, so
each shape runs in interleaved rounds and the median round is reported (all rounds are kept); on
SQLite, which runs inside this process, `per_cpu_second` also gives appends per CPU-second of the
process (what the shape does on an otherwise idle core; it leaves out waits for other load).
PostgreSQL uses a throwaway database created on SUANLI_TEST_POSTGRES_URL (or the local default) and
dropped afterwards. The 1M-entry log is bulk-loaded through the repository (same tables, same node
layout as appends) so the proof timing is measured at that size without a day of appends; appends
on top of it are then timed too.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, make_url, select, text
from sqlalchemy.orm import Session

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import upgrade
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.repositories import audit as repo
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.merkle import append_to_frontier, leaf_hash
from suanli.domain.audit.proofs import consistency_proof, inclusion_proof
from suanli.domain.audit.signing import Signer
from suanli.services import audit
from suanli.workers.sequencer import Sequencer, sequence_all

PG_DEFAULT = "postgresql://postgres@127.0.0.1/postgres"
PAYLOAD: dict[str, object] = {"voucher_id": 12345, "amount_fen": 180_000, "center": "gpu-cloud", "note": "核销"}
ROLES = ("auditor", "org_admin")


def on_connection(engine: Engine, count: int) -> None:
    """The minimal real transaction: BEGIN, record_event through a Session joined to it, COMMIT."""
    with engine.connect() as connection:
        for _ in range(count):
            with connection.begin(), Session(bind=connection) as session:
                audit.record_event(session, kind="voucher.redeemed", subject="voucher:12345", payload=PAYLOAD,
                                   organisation_id=7)


def on_session(engine: Engine, count: int, batch: int = 1) -> None:
    """`count` events, `batch` per transaction, through one Session on one held connection."""
    events = [("voucher.redeemed", "voucher:12345", PAYLOAD, 7)] * batch
    with engine.connect() as connection:
        session = Session(bind=connection)
        for _ in range(count // batch):
            with session.begin():
                if batch == 1:
                    audit.record_event(session, kind="voucher.redeemed", subject="voucher:12345",
                                       payload=PAYLOAD, organisation_id=7)
                else:
                    audit.record_events(session, events)
        session.close()


def in_units_of_work(engine: Engine, count: int) -> None:
    sessions = session_factory(engine)
    for _ in range(count):
        with unit_of_work(sessions) as s:
            audit.record_event(s, kind="voucher.redeemed", subject="voucher:12345", payload=PAYLOAD,
                               organisation_id=7)


def business(engine: Engine, count: int, *, audited: bool = True) -> None:
    """Change a user's role, one change per unit of work, with or without its audit event."""
    sessions = session_factory(engine)
    for i in range(count):
        with unit_of_work(sessions) as s:
            user = s.scalars(select(UserRow).where(UserRow.username == "bench-user")).one()
            old, user.role = user.role, ROLES[i % 2]
            if audited:
                audit.record_event(s, kind="user.role_changed", subject=f"user:{user.id}",
                                   payload={"from": old, "to": user.role}, organisation_id=user.organisation_id)


def seed_user(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as s:
        organisation = OrganisationRow(name="bench-org", name_zh="基准", type="enterprise", city="成都")
        s.add(organisation)
        s.flush()
        s.add(UserRow(username="bench-user", display_name="Bench", password_hash="-", role=ROLES[0],
                      organisation_id=organisation.id))


def sqlite3_floor(path: str, count: int) -> None:
    """The SQL an append runs, on the bare sqlite3 module with values computed in advance: what SQLite
    itself costs per transaction in this configuration, with no Python work on the log at all."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    payload = canonical_json(PAYLOAD)
    for _ in range(count):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO audit_outbox (kind, subject, organisation_id, payload, recorded_at) "
                           "VALUES (?, ?, ?, ?, ?) RETURNING id",
                           ("voucher.redeemed", "voucher:12345", 7, payload, "2026-05-01T08:00:00.000000Z")).fetchone()
        connection.execute("COMMIT")
    connection.close()


def drain(engine: Engine) -> tuple[int, float]:
    """Sequence the whole outbox, batch by batch; (events placed, seconds)."""
    started, placed = time.perf_counter(), 0
    placed = sequence_all(session_factory(engine), wait=True)
    return placed, time.perf_counter() - started


WRITERS = 4


def lag(engine: Engine, per_writer: int) -> dict[str, object]:
    """Business commits from `WRITERS` threads with the in-process sequencer thread running: the time
    from each commit to the commit of the batch that placed its event."""
    sessions = session_factory(engine)
    committed: dict[int, float] = {}
    placed: dict[int, float] = {}

    def on_placed(batch: list[audit.RecordedEvent]) -> None:
        now = time.perf_counter()
        placed.update((event.outbox_id, now) for event in batch if event.outbox_id is not None)

    def write() -> None:
        for _ in range(per_writer):
            with unit_of_work(sessions) as s:
                pending = audit.record_event(s, kind="voucher.redeemed", subject="voucher:12345", payload=PAYLOAD,
                                             organisation_id=7)
            committed[pending.outbox_id] = time.perf_counter()

    sequencer = Sequencer(sessions, gather_s=0.02, sweep_s=0.5, on_placed=on_placed)
    sequencer.start()
    try:
        started = time.perf_counter()
        writers = [threading.Thread(target=write) for _ in range(WRITERS)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        elapsed = time.perf_counter() - started
        deadline = time.monotonic() + 60
        while len(placed) < len(committed) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        sequencer.stop()
    lags = sorted((placed[i] - t) * 1000 for i, t in committed.items() if i in placed)
    return {"writers": WRITERS, "appends": len(committed), "appends_per_s_with_sequencer": round(len(committed) / elapsed, 1),
            "placed": len(lags), "p50_ms": round(statistics.median(lags), 1),
            "p99_ms": round(lags[int(len(lags) * 0.99)], 1), "max_ms": round(lags[-1], 1)}


def rates(url: str, count: int, rounds: int, floor_url: str | None = None) -> dict[str, object]:
    """Median appends/s per shape over interleaved rounds; the log is checked whole afterwards."""
    engine = make_engine(url)
    seed_user(engine)
    shapes: dict[str, tuple[Callable[[], None], int]] = {
        "connection": (partial(on_connection, engine, count), count),
        "session": (partial(on_session, engine, count), count),
        "unit_of_work": (partial(in_units_of_work, engine, count), count),
        "business": (partial(business, engine, count), count),
        "business_without_audit": (partial(business, engine, count, audited=False), count),
        "batch_100": (partial(on_session, engine, count * 10, 100), count * 10),
    }
    if floor_url is not None:
        path = str(make_url(floor_url).database)
        shapes["sqlite3_floor"] = (partial(sqlite3_floor, path, count), count)
    for run, _n in shapes.values():  # warm up: connections, statement caches, the log state cache
        run()
    samples: dict[str, list[float]] = {name: [] for name in shapes}
    cpu: dict[str, list[float]] = {name: [] for name in shapes}
    for _ in range(rounds):
        for name, (run, n) in shapes.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            run()
            samples[name].append(n / (time.perf_counter() - started))
            cpu[name].append(n / (time.process_time() - cpu_started))
    backlog, drain_s = drain(engine)
    sequencing = {"backlog_events": backlog, "backlog_per_s": round(backlog / drain_s, 1),
                  "lag_ms": lag(engine, per_writer=max(50, count // 4))}
    with unit_of_work(session_factory(engine)) as s:
        size, _frontier = repo.read_state(s)
        intact = (repo.count_events(s) == size and repo.count_outbox(s) == 0
                  and audit.check_log(s, public_key=signer.public_key).ok)
    engine.dispose()
    median = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    cost_us = 1e6 / median["business"] - 1e6 / median["business_without_audit"]
    figures: dict[str, object] = {**median, "audit_cost_us_in_business_tx": round(cost_us, 1), "sequencer": sequencing,
                                  "log_size_after": size, "log_intact_after": intact,
                                  "rounds": {name: [round(v) for v in values] for name, values in samples.items()}}
    if url.startswith("sqlite"):  # embedded: this process does all the work, so its CPU time is the cost
        figures["per_cpu_second"] = {name: round(statistics.median(values)) for name, values in cpu.items()}
    return figures


def sqlite_url(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def postgres_figures() -> dict[str, object] | str:
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
        return rates(url, count=1000, rounds=3)
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
    """Wall-clock median and p99, and the same for this process's CPU time (SQLite answers in-process,
    so CPU time is the proof's own cost without the pauses other load on the shared machine causes)."""
    wall, cpu = [], []
    for call in calls:
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    wall.sort()
    cpu.sort()
    p99 = int(len(wall) * 0.99)
    return {"median_ms": round(statistics.median(wall), 3), "p99_ms": round(wall[p99], 3),
            "cpu_median_ms": round(statistics.median(cpu), 3), "cpu_p99_ms": round(cpu[p99], 3)}


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
    on_connection(engine, 200)  # warm up, then appends on top of the big log, and their sequencing
    started = time.perf_counter()
    on_connection(engine, 3000)
    appends = round(3000 / (time.perf_counter() - started), 1)
    placed, drain_s = drain(engine)
    appends = {"appends_per_s": appends, "sequenced_per_s": round(placed / drain_s, 1)}
    engine.dispose()
    return {"inclusion": inclusion, "consistency": consistency, "receipt": receipt, "bulk_load_s": round(bulk_s, 1),
            "appends_per_s_on_top": appends}


signer = Signer.generate()


def run() -> dict[str, dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sqlite = rates(sqlite_url(directory, "appends.db"), count=2000, rounds=5,
                       floor_url=sqlite_url(directory, "floor.db"))
        postgres = postgres_figures()
        size = int(os.environ.get("SUANLI_BENCH_AUDIT_SIZE", "1000000"))
        proofs = proof_figures(sqlite_url(directory, "million.db"), size)
    return {
        "audit_appends_per_s": {
            "value": sqlite["connection"],
            "unit": "appends/s (SQLite WAL, synchronous=NORMAL; one event per transaction: BEGIN IMMEDIATE, "
                    "record_event (the outbox insert), COMMIT on a held connection; wall clock, median of 5 rounds)",
            "sqlite": sqlite, "postgres": postgres,
            "sequencing_lag_p99_ms": {"sqlite": sqlite["sequencer"]["lag_ms"]["p99_ms"],  # type: ignore[index]
                                      "postgres": postgres["sequencer"]["lag_ms"]["p99_ms"]  # type: ignore[index]
                                      if isinstance(postgres, dict) else None},
            "goal": ">= 10000 appends/s on SQLite",
        },
        "audit_proof_ms_at_1m": {
            "value": proofs["inclusion"]["p99_ms"], "unit": f"ms p99, inclusion proof from the database at {size} entries",
            "tree_size": size, "inclusion": proofs["inclusion"], "consistency": proofs["consistency"],
            "receipt_with_signed_head": proofs["receipt"], "bulk_load_s": proofs["bulk_load_s"],
            "appends_per_s_on_top_of_it": proofs["appends_per_s_on_top"],
            "goal": "< 5 ms",
        },
    }


if __name__ == "__main__":
    import json

    os.environ.setdefault("SUANLI_BENCH_AUDIT_SIZE", "20000")
    print(json.dumps(run(), indent=2, ensure_ascii=False))
