"""Ledger throughput: Suanli's redemption transfer against pgbench's TPC-B on the same server.

A redemption is the voucher's two-phase transfer through the service layer, each phase committed on
its own with its own idempotency key: reserve a hold on a wallet (at admission), then post it to a
provider's payable (at completion). Every transfer also appends its audit event. The figures count
ledger transfers per second (a redemption is two: its hold and its post; `redemptions_per_s` is half),
two ways:

- `value`: through `ledger.redeem_batch`, 100 holds in one transaction, then their 100 posts in the
  next (each item still its own key, transfer, legs and audit event; one lock pass per batch);
- `single_per_s` (and `ledger_single_transfers_per_s_postgres`): one request per transaction
  (`ledger.reserve`, commit, `ledger.post`, commit), so a transfer is a transaction -- the unit
  pgbench's tps counts.

- `ledger_transfers_per_s_sqlite`: one client on a fresh SQLite file (WAL, BEGIN IMMEDIATE);
- `ledger_transfers_per_s_postgres`: 4 client processes (one Python interpreter cannot feed
  PostgreSQL) on a throwaway PostgreSQL database, each with its own wallet, sharing 10 providers;
- `pgbench_tpcb_tps`: `pgbench -i -s 10` then `pgbench -c 4 -j 2 -T 15` on another throwaway
  database of the same server, in the same run.
Server: SUANLI_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1/postgres).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import upgrade
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.services import ledger

ADMIN_URL = os.environ.get("SUANLI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres")
PROVIDERS = 10
BATCH = 100  # redemptions per batch
PG_CLIENTS = 4  # client processes, as pgbench's -c 4
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
    """One redemption, one request per transaction: reserve (commit), then post (commit)."""
    with unit_of_work(sessions) as s:
        hold = ledger.reserve(s, idempotency_key=key + ":reserve", debit_account_id=wallet, credit_account_id=payable,
                              amount_fen=amount, source_kind="job", source_id=key)
    with unit_of_work(sessions) as s:
        ledger.post(s, idempotency_key=key + ":post", pending_id=hold.id, amount_fen=amount - 1,
                    source_kind="usage_record", source_id=key)


def redeem_many(sessions: sessionmaker[Session], wallet: int, payables: list[int], key: str, amounts: list[int]) -> None:
    """`len(amounts)` redemptions through the batch API: one batch of holds (commit), then one batch
    posting each of them (commit) -- the same two phases, keys and audit events as `redeem`."""
    with unit_of_work(sessions) as s:
        holds = ledger.redeem_batch(s, items=[
            ledger.Reserve(f"{key}:{n}:reserve", wallet, payables[n % len(payables)], amount, source_kind="job",
                           source_id=f"{key}:{n}") for n, amount in enumerate(amounts)])
    with unit_of_work(sessions) as s:
        ledger.redeem_batch(s, items=[
            ledger.Post(f"{key}:{n}:post", hold.id, amount - 1, source_kind="usage_record", source_id=f"{key}:{n}")
            for n, (hold, amount) in enumerate(zip(holds, amounts, strict=True))])


def client(url: str, wallet: int, payables: list[int], n: int, batch: int, seconds: float, start: Any,
           out: Any) -> None:
    """One client process (or the only client): its own engine, redeeming until the time is up."""
    postgres = make_url(normalise_url(url)).get_backend_name() == "postgresql"
    engine = make_engine(url, **({"pool_size": 2} if postgres else {}))
    sessions = session_factory(engine)
    start.wait()
    began, cpu, i = time.perf_counter(), time.process_time(), 0
    stop = began + seconds
    while time.perf_counter() < stop:
        if batch == 1:
            redeem(sessions, wallet, payables[(n + i) % PROVIDERS], f"c{n}:{i}", 1_000 + i % 500)
        else:
            redeem_many(sessions, wallet, payables, f"c{n}:{i}", [1_000 + (i + k) % 500 for k in range(batch)])
        i += 1
    out.put((i * batch, began, time.perf_counter(), time.process_time() - cpu))
    engine.dispose()


def backend_cpu_s(database: str) -> float | None:
    """CPU seconds the server's backends of `database` have used so far (None if the server is not
    on this machine): where the time goes, next to the clients' own CPU."""
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database}).scalars().all()
    admin.dispose()
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def measure(url: str, clients: int, seconds: float, batch: int = 1) -> dict[str, float]:
    """Transfers per second by `clients` client processes (fork; one Python interpreter cannot feed
    PostgreSQL), each with its own wallet, all paying the same providers."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    wallets, payables = prepare(sessions, clients)
    engine.dispose()
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    processes = [context.Process(target=client, args=(url, wallets[n], payables, n, batch, seconds, start, out))
                 for n in range(clients)]
    for process in processes:
        process.start()
    time.sleep(0.5)  # let every client connect before the clock starts
    start.set()
    server = make_url(normalise_url(url))
    database = server.database if server.get_backend_name() == "postgresql" else None
    # The backends' CPU over the run, read before the clients disconnect.
    cpu_s = (backend_cpu_s(database), time.perf_counter()) if database else None
    time.sleep(seconds - 1)
    cpu_e = (backend_cpu_s(database), time.perf_counter()) if database else None
    reports = [out.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    engine = make_engine(url)
    with unit_of_work(session_factory(engine)) as s:
        problems = ledger.check_consistency(s)
    engine.dispose()
    if problems:
        raise RuntimeError(f"ledger inconsistent after the benchmark: {problems[:3]}")
    done = sum(r[0] for r in reports)
    elapsed = max(r[2] for r in reports) - min(r[1] for r in reports)
    # Client CPU seconds: on a shared machine, wall-clock rates move with other people's load.
    cpu = sum(r[3] for r in reports)
    # A redemption is two transfers (its hold and its post); the figures count transfers.
    result = {"redemptions": done, "seconds": elapsed, "per_s": 2 * done / elapsed,
              "redemptions_per_s": done / elapsed, "client_cpu_us": 1e6 * cpu / (2 * done)}
    if cpu_s and cpu_e and cpu_s[0] is not None and cpu_e[0] is not None:
        result["server_cpu_us"] = 1e6 * (cpu_e[0] - cpu_s[0]) / (result["per_s"] * (cpu_e[1] - cpu_s[1]))
    return result


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


def pgbench_tps() -> tuple[float, float | None]:
    """pgbench's TPC-B tps, and its server CPU per transaction."""
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    name, _ = throwaway_database("suanli_pgbench")
    server = make_url(normalise_url(ADMIN_URL))
    args = ["-h", server.host or "127.0.0.1", "-U", server.username or "postgres", "-p", str(server.port or 5432)]
    try:
        subprocess.run([binary, *args, "-i", "-s", "10", "-q", name], check=True, capture_output=True, timeout=600)
        run = subprocess.Popen([binary, *args, "-c", "4", "-j", "2", "-T", "15", name], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
        time.sleep(2)
        first = (backend_cpu_s(name), time.perf_counter())
        time.sleep(11)
        last = (backend_cpu_s(name), time.perf_counter())
        out = run.communicate(timeout=120)[0]
        if run.returncode:
            raise RuntimeError(f"pgbench failed: {out}")
    finally:
        drop_database(name)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out) or re.search(r"tps = ([0-9.]+)", out)
    assert found, out
    tps = float(found.group(1))
    if first[0] is None or last[0] is None:
        return tps, None
    return tps, 1e6 * (last[0] - first[0]) / (tps * (last[1] - first[1]))


def fresh_sqlite(tmp: str, name: str) -> str:
    url = f"sqlite:///{Path(tmp) / name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def on_postgres(clients: int, seconds: float, batch: int) -> dict[str, float]:
    name, url = throwaway_database("suanli_bench_ledger")
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return measure(url, clients=clients, seconds=seconds, batch=batch)
    finally:
        drop_database(name)


def run() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        lite_single = measure(fresh_sqlite(tmp, "single.db"), clients=1, seconds=6)
        lite = measure(fresh_sqlite(tmp, "batch.db"), clients=1, seconds=8, batch=BATCH)
    pg_single = on_postgres(clients=PG_CLIENTS, seconds=10, batch=1)
    pg = on_postgres(clients=PG_CLIENTS, seconds=15, batch=BATCH)
    tps, pgbench_server_cpu_us = pgbench_tps()
    load = [round(x, 1) for x in os.getloadavg()]  # this machine is shared: say how busy it was
    what = ("ledger transfers/s through the service layer (a redemption = a hold (reserve) and its post, each "
            "its own transfer with its own idempotency key and audit event, in two phases committed separately)")
    single = "single_per_s: one request per transaction (a transfer = a transaction)"
    return {
        "ledger_transfers_per_s_sqlite": {
            "value": round(lite["per_s"], 1), "unit": "transfers/s", "clients": 1, "batch": BATCH,
            "redemptions": lite["redemptions"], "redemptions_per_s": round(lite["redemptions_per_s"], 1),
            "single_per_s": round(lite_single["per_s"], 1), "goal_single": 2000,
            "client_cpu_us": round(lite["client_cpu_us"]), "single_client_cpu_us": round(lite_single["client_cpu_us"]),
            "load_average": load,
            "note": f"{what}; value: batches of {BATCH} per transaction (redeem_batch), 1 client; {single}"},
        "ledger_transfers_per_s_postgres": {
            "value": round(pg["per_s"], 1), "unit": "transfers/s", "clients": PG_CLIENTS, "batch": BATCH,
            "redemptions": pg["redemptions"], "redemptions_per_s": round(pg["redemptions_per_s"], 1),
            "single_per_s": round(pg_single["per_s"], 1),
            "client_cpu_us": round(pg["client_cpu_us"]), "single_client_cpu_us": round(pg_single["client_cpu_us"]),
            "server_cpu_us": _round(pg.get("server_cpu_us")), "load_average": load,
            "peer": "pgbench TPC-B tps (-s 10 -c 4 -j 2 -T 15), same server, same run",
            "peer_value": round(tps, 1), "ratio": round(pg["per_s"] / tps, 3),
            "single_ratio": round(pg_single["per_s"] / tps, 3), "goal_ratio": 0.5,
            "note": (f"{what}; value: batches of {BATCH} per transaction (redeem_batch), "
                     f"{PG_CLIENTS} client processes; {single}, {PG_CLIENTS} client processes")},
        "ledger_single_transfers_per_s_postgres": {
            "value": round(pg_single["per_s"], 1), "unit": "transfers/s", "clients": PG_CLIENTS, "batch": 1,
            "redemptions": pg_single["redemptions"], "redemptions_per_s": round(pg_single["redemptions_per_s"], 1),
            "client_cpu_us": round(pg_single["client_cpu_us"]), "server_cpu_us": _round(pg_single.get("server_cpu_us")),
            "peer_server_cpu_us": _round(pgbench_server_cpu_us),
            "load_average": load, "peer": "pgbench TPC-B tps (-s 10 -c 4 -j 2 -T 15), same server, same run",
            "peer_value": round(tps, 1), "ratio": round(pg_single["per_s"] / tps, 3), "goal_ratio": 0.5,
            "note": f"{what}; one request per transaction: reserve, commit, post, commit; {PG_CLIENTS} processes"},
        "pgbench_tpcb_tps": {"value": round(tps, 1), "unit": "tps", "scale": 10, "clients": 4, "threads": 2,
                             "duration_s": 15, "server_cpu_us": _round(pgbench_server_cpu_us)},
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value)


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
