"""Ledger throughput: Suanli's redemption transfer against pgbench's TPC-B on the same server.

A redemption is the voucher's two-phase transfer through the service layer, each phase its own
committed unit of work with its own idempotency key: reserve a hold on a wallet (at admission), then
post it to a provider's payable (at completion). Every transfer also appends its audit event. The
figure counts completed redemptions (two commits each) per second.

- `ledger_transfers_per_s_sqlite`: one client on a fresh SQLite file (WAL, BEGIN IMMEDIATE);
- `ledger_transfers_per_s_postgres`: 4 concurrent clients on a throwaway PostgreSQL database;
- `pgbench_tpcb_tps`: `pgbench -i -s 10` then `pgbench -c 4 -j 2 -T 15` on another throwaway
  database of the same server, in the same run.
Server: SUANLI_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1/postgres).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.services import ledger

ADMIN_URL = os.environ.get("SUANLI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres")
PROVIDERS = 10
WALLET_FEN = 10**12


def prepare(sessions: sessionmaker[Session], clients: int) -> tuple[list[int], list[int]]:
    with unit_of_work(sessions) as s:
        budget = ledger.open_account(s, purpose=AccountPurpose.PROGRAM_BUDGET, owner_kind=OwnerKind.PROGRAM, owner_id=1)
        cash = ledger.open_account(s, purpose=AccountPurpose.CASH, owner_kind=OwnerKind.PLATFORM)
        ledger.transfer(s, idempotency_key="seed", legs=[debit(cash.id, WALLET_FEN * clients), credit(budget.id, WALLET_FEN * clients)])
        wallets = []
        for n in range(clients):
            wallet = ledger.open_account(s, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
                                         owner_id=100 + n, scope="program:1")
            ledger.transfer(s, idempotency_key=f"grant:{n}", legs=[debit(budget.id, WALLET_FEN), credit(wallet.id, WALLET_FEN)])
            ledger.clearing_account_for(s, wallet)
            wallets.append(wallet.id)
        payables = [ledger.open_account(s, purpose=AccountPurpose.PROVIDER_PAYABLE, owner_kind=OwnerKind.ORGANISATION,
                                        owner_id=n).id for n in range(PROVIDERS)]
    return wallets, payables


def redeem(sessions: sessionmaker[Session], wallet: int, payable: int, key: str, amount: int) -> None:
    with unit_of_work(sessions) as s:
        hold = ledger.reserve(s, idempotency_key=key + ":reserve", debit_account_id=wallet, credit_account_id=payable,
                              amount_fen=amount, source_kind="job", source_id=key)
    with unit_of_work(sessions) as s:
        ledger.post(s, idempotency_key=key + ":post", pending_id=hold.id, amount_fen=amount - 1,
                    source_kind="usage_record", source_id=key)


def measure(url: str, clients: int, seconds: float) -> dict[str, float]:
    postgres = make_url(normalise_url(url)).get_backend_name() == "postgresql"
    engine = make_engine(url, **({"pool_size": clients + 2} if postgres else {}))
    sessions = session_factory(engine)
    wallets, payables = prepare(sessions, clients)
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        i = 0
        while time.perf_counter() < stop:
            redeem(sessions, wallets[n], payables[(n + i) % PROVIDERS], f"c{n}:{i}", 1_000 + i % 500)
            i += 1
        counts[n] = i

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with unit_of_work(sessions) as s:
        problems = ledger.check_consistency(s)
    engine.dispose()
    if problems:
        raise RuntimeError(f"ledger inconsistent after the benchmark: {problems[:3]}")
    return {"redemptions": sum(counts), "seconds": elapsed, "per_s": sum(counts) / elapsed}


def throwaway_database(prefix: str) -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(normalise_url(ADMIN_URL)).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pgbench_tps() -> float:
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    name, _ = throwaway_database("suanli_pgbench")
    server = make_url(normalise_url(ADMIN_URL))
    args = ["-h", server.host or "127.0.0.1", "-U", server.username or "postgres", "-p", str(server.port or 5432)]
    try:
        subprocess.run([binary, *args, "-i", "-s", "10", "-q", name], check=True, capture_output=True, timeout=600)
        out = subprocess.run([binary, *args, "-c", "4", "-j", "2", "-T", "15", name], check=True,
                             capture_output=True, text=True, timeout=120).stdout
    finally:
        drop_database(name)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out) or re.search(r"tps = ([0-9.]+)", out)
    assert found, out
    return float(found.group(1))


def run() -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        lite = measure(url, clients=1, seconds=8)
    name, url = throwaway_database("suanli_bench_ledger")
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        pg = measure(url, clients=4, seconds=15)
    finally:
        drop_database(name)
    tps = pgbench_tps()
    note = "redemptions/s; one redemption = reserve + post, two commits, two audit events, idempotency keys"
    return {
        "ledger_transfers_per_s_sqlite": {"value": round(lite["per_s"], 1), "unit": "redemptions/s", "clients": 1,
                                          "redemptions": lite["redemptions"], "commits_per_s": round(2 * lite["per_s"], 1),
                                          "goal": 2000, "note": note},
        "ledger_transfers_per_s_postgres": {"value": round(pg["per_s"], 1), "unit": "redemptions/s", "clients": 4,
                                            "redemptions": pg["redemptions"], "commits_per_s": round(2 * pg["per_s"], 1),
                                            "peer": "pgbench TPC-B tps (-s 10 -c 4 -j 2 -T 15), same server, same run",
                                            "peer_value": round(tps, 1), "ratio": round(pg["per_s"] / tps, 3),
                                            "goal_ratio": 0.5, "note": note},
        "pgbench_tpcb_tps": {"value": round(tps, 1), "unit": "tps", "scale": 10, "clients": 4, "threads": 2,
                             "duration_s": 15},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
