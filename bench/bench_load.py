"""Load benchmark (`load_concurrency`): many concurrent clients against the real server.

Starts `suanli serve --no-workers` (uvicorn, loopback, a free port) over a prepared database: one
federation, one organisation with a few hot voucher wallets, a finance officer and a member with
tokens. Then `clients` closed-loop asyncio clients run for `duration_s` seconds, each picking an
operation at random: a read of a hot wallet, a job submission, an immediate transfer between two hot
wallets, or a redemption (a hold on a hot wallet, then its post); one request in ten re-sends an
earlier transfer with the same `Idempotency-Key` (must answer the same transfer). A client answered
503 waits the `Retry-After` it was given (a tenth of it: the test wants pressure) before going on. A
separate poller asks `/healthz` every 50 ms the whole time.

`measure` returns the status counts, throughput, latency percentiles, the `/healthz` latencies and
every answer that breaks the contract (a 500, a non-problem error, a 503 without `Retry-After`, a
replay answering another transfer); `check_invariants` reads the database afterwards: no negative
wallet, the money conserved, each key once and exactly the keys answered 2xx, ledger and audit log
consistent. tests/integration/load uses the same harness at 64 and 256 clients on both databases.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

SUANLI = Path(sys.executable).parent / "suanli"
FEDERATION = """
centers:
  - name: local
    name_zh: 本机
    kind: local
    city: 成都
    backend: {kind: local}
    pools:
      - {name: cpu, model: CPU, nodes: 1, devices_per_node: 2, cpus_per_node: 2, memory_gb_per_node: 8, price_fen_per_device_hour: 36}
"""
JOB = {"command": "true", "time_limit_s": 60, "center": "local", "pool": "cpu", "resources": {"devices": 1}}
WALLETS, START_FEN = 4, 1_000_000
ALLOWED = {200, 201, 409, 422, 429, 503}
# The probe process: /healthz every 50 ms; every fifth round also one business read, to time from an
# idle client how fast a refusal (503) comes.
HEALTH_POLLER = """
import sys, time, httpx
base, duration, path, token = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
stop_at = time.perf_counter() + duration
with httpx.Client(base_url=base, timeout=10) as probe:
    i = 0
    while time.perf_counter() < stop_at:
        i += 1
        started = time.perf_counter()
        try:
            answer = probe.get("/healthz")
            took = time.perf_counter() - started
            print(f"ok {took}" if answer.status_code == 200 else f"failed {answer.status_code}", flush=True)
            if i % 5 == 0:
                started = time.perf_counter()
                answer = probe.get(path, headers={"Authorization": "Bearer " + token})
                print(f"business{answer.status_code} {time.perf_counter() - started}", flush=True)
        except httpx.HTTPError as exc:
            print(f"failed {type(exc).__name__}", flush=True)
        time.sleep(0.05)
"""


@dataclass
class World:
    url: str
    finance_token: str
    member_token: str
    wallets: list[int]


def _token(s: Any, user_id: int) -> str:
    from suanli.db.models.base import utcnow
    from suanli.db.models.organisations import ApiTokenRow

    token = secrets.token_urlsafe(32)
    s.add(ApiTokenRow(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user_id,
                      expires_at=utcnow() + timedelta(hours=2)))
    return token


def prepare(url: str, *, migrate: bool = True) -> World:
    """Migrate, load a one-center federation, an organisation with hot wallets and two tokens."""
    from suanli.db.engine import make_engine
    from suanli.db.migrate import upgrade
    from suanli.db.uow import session_factory, unit_of_work
    from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
    from suanli.domain.organisations import OrganisationType, Role
    from suanli.services import accounts, federation, ledger, organisations

    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    with unit_of_work(session_factory(engine)) as s:
        federation.load_federation(s, text=FEDERATION)
        org = organisations.create_organisation(s, name="load", name_zh="压测", type=OrganisationType.ENTERPRISE,
                                                city="成都").id
        holder = organisations.create_organisation(s, name="load-wallets", name_zh="压测钱包",
                                                   type=OrganisationType.ENTERPRISE, city="成都").id
        operator = organisations.create_organisation(s, name="load-operator", name_zh="压测运营",
                                                     type=OrganisationType.PLATFORM, city="成都").id
        finance = accounts.create_user(s, username="load-finance", password="load-pass-42",
                                       role=Role.FINANCE_OFFICER, organisation_id=operator)
        member = accounts.create_user(s, username="load-member", password="load-pass-42", role=Role.ORG_MEMBER,
                                      organisation_id=org)
        budget = ledger.open_account(s, purpose=AccountPurpose.EQUITY, owner_kind=OwnerKind.PLATFORM).id
        wallets = []
        for i in range(WALLETS):
            wallet = ledger.open_account(s, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
                                         owner_id=holder, scope=f"load-{i}").id
            ledger.transfer(s, idempotency_key=f"seed:{i}", legs=[debit(budget, START_FEN), credit(wallet, START_FEN)])
            ledger.clearing_account_for(s, ledger.get_account(s, account_id=wallet))
            wallets.append(wallet)
        world = World(url, _token(s, finance.id), _token(s, member.id), wallets)
    engine.dispose()
    return world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, data_dir: Path, *, workers: int = 1, extra_env: dict[str, str] | None = None,
                 ready_timeout_s: float = 60) -> tuple[subprocess.Popen[bytes], str]:
    """`suanli serve --no-workers` on a free loopback port; returns once `/readyz` answers 200."""
    port = free_port()
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(data_dir), **(extra_env or {})}
    command = [str(SUANLI), "serve", "--no-workers", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    # The server's log goes to a file, never a pipe: nobody reads a pipe during the run, and once its
    # 64 KiB fill up (the access log writes a line per request) the server's event loop blocks on write.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the process, in stop_server)
    # A session of its own: with --workers uvicorn spawns children, stopped with it by process group.
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    _SERVER_LOGS[process.pid] = log
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {_read_log(process)[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"server did not become ready in {ready_timeout_s:g} s")


def stop_server(process: subprocess.Popen[bytes]) -> str:
    """Stop the server and every process it spawned (its process group); return its stderr."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # children that outlived the supervisor
        os.killpg(process.pid, signal.SIGKILL)
    return _read_log(process, close=True)


_SERVER_LOGS: dict[int, Any] = {}  # pid -> the temporary file holding that server's stderr


def _read_log(process: subprocess.Popen[bytes], *, close: bool = False) -> str:
    log = _SERVER_LOGS[process.pid]
    log.seek(0)
    text = log.read().decode(errors="replace")
    if close:
        log.close()
        del _SERVER_LOGS[process.pid]
    return text


@dataclass
class Outcome:
    statuses: Counter[int] = field(default_factory=Counter)
    by_op: Counter[str] = field(default_factory=Counter)
    busy: Counter[str] = field(default_factory=Counter)  # why 503s said they were busy
    latencies: list[float] = field(default_factory=list)
    refusals: list[float] = field(default_factory=list)  # how long each 503 took to come
    probe_refusals: list[float] = field(default_factory=list)  # the same, seen from the idle probe process
    probe_reads: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    health_failures: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    committed: dict[str, int] = field(default_factory=dict)  # idempotency key -> transfer id answered
    unanswered: set[str] = field(default_factory=set)  # keys whose answer never came (client timeout)
    wall_s: float = 0.0


async def _load(base: str, world: World, clients: int, duration_s: float, mix: dict[str, float],
                seed: int) -> Outcome:
    out = Outcome()
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    finance = {"Authorization": f"Bearer {world.finance_token}"}
    member = {"Authorization": f"Bearer {world.member_token}"}
    ops, weights = list(mix), list(mix.values())
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        stop_at = time.perf_counter() + duration_s

        def check(op: str, answer: httpx.Response) -> None:
            out.statuses[answer.status_code] += 1
            out.by_op[f"{op} {answer.status_code}"] += 1
            if answer.status_code not in ALLOWED:
                out.violations.append(f"{op}: {answer.status_code} {answer.text[:200]}")
            elif answer.status_code >= 400:
                if not answer.headers.get("content-type", "").startswith("application/problem+json"):
                    out.violations.append(f"{op}: {answer.status_code} without problem+json")
                if answer.status_code == 503:
                    if not answer.headers.get("retry-after", "").isdigit():
                        out.violations.append(f"{op}: 503 without Retry-After")
                    out.busy[str(answer.json().get("detail", ""))[:60]] += 1

        async def request(op: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                answer = await http.request(method, path, **kw)
            except httpx.HTTPError as exc:
                out.violations.append(f"{op}: {type(exc).__name__} (no answer)")
                return None
            out.latencies.append(time.perf_counter() - started)
            if answer.status_code == 503:
                out.refusals.append(out.latencies[-1])
            check(op, answer)
            if answer.status_code == 503:
                await asyncio.sleep(int(answer.headers.get("retry-after", "1")) * random.uniform(0.05, 0.2))
            return answer

        async def transfer(rng: random.Random, key: str, body: dict[str, Any]) -> None:
            answer = await request("transfer", "POST", "/api/v1/ledger/transfers", json=body,
                                   headers={**finance, "Idempotency-Key": key})
            if answer is None:
                out.unanswered.add(key)
            elif answer.status_code in (200, 201):
                tid = answer.json()["id"]
                if out.committed.setdefault(key, tid) != tid:
                    out.violations.append(f"replay of {key} answered transfer {tid}, not {out.committed[key]}")

        async def client(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            sent: list[tuple[str, dict[str, Any]]] = []
            i = 0
            while time.perf_counter() < stop_at:
                i += 1
                op = rng.choices(ops, weights)[0]
                src, dst = rng.sample(world.wallets, 2)
                amount = rng.randint(1, 5_000)
                if op == "read":
                    await request("read", "GET", f"/api/v1/ledger/accounts/{src}", headers=finance)
                elif op == "submit":
                    await request("submit", "POST", "/api/v1/jobs", json={**JOB, "name": f"load-{n}-{i}"},
                                  headers=member)
                elif op == "transfer":
                    if sent and rng.random() < 0.1:
                        key, body = rng.choice(sent)
                    else:
                        key = f"load:{seed}:{n}:{i}"
                        body = {"legs": [{"account_id": src, "side": "debit", "amount_fen": amount},
                                         {"account_id": dst, "side": "credit", "amount_fen": amount}]}
                        sent.append((key, body))
                    await transfer(rng, key, body)
                else:  # redemption: a hold on a hot wallet, then its post
                    key = f"load:{seed}:{n}:{i}:hold"
                    answer = await request("hold", "POST", "/api/v1/ledger/holds",
                                           json={"debit_account_id": src, "credit_account_id": dst,
                                                 "amount_fen": amount}, headers={**finance, "Idempotency-Key": key})
                    if answer is None:
                        out.unanswered.add(key)
                    elif answer.status_code == 201:
                        out.committed[key] = answer.json()["id"]
                        post_key = key + ":post"
                        posted = await request("post", "POST", f"/api/v1/ledger/holds/{answer.json()['id']}/post",
                                               json={"amount_fen": rng.randint(0, amount)},
                                               headers={**finance, "Idempotency-Key": post_key})
                        if posted is None:
                            out.unanswered.add(post_key)
                        elif posted.status_code in (200, 201):
                            out.committed[post_key] = posted.json()["id"]

        async def health() -> None:
            # Its own process, so the clients' CPU does not count into the server's /healthz latency.
            poller = await asyncio.create_subprocess_exec(
                sys.executable, "-c", HEALTH_POLLER, base, str(duration_s),
                f"/api/v1/ledger/accounts/{world.wallets[0]}", world.finance_token, stdout=asyncio.subprocess.PIPE)
            output, _ = await poller.communicate()
            for line in output.decode().splitlines():
                kind, _, value = line.partition(" ")
                if kind == "ok":
                    out.health.append(float(value))
                elif kind == "business503":
                    out.probe_refusals.append(float(value))
                elif kind == "business200":
                    out.probe_reads.append(float(value))
                else:
                    out.health_failures.append(value)

        started = time.perf_counter()
        await asyncio.gather(health(), *(client(n) for n in range(clients)))
        out.wall_s = time.perf_counter() - started
    return out


def run_load(base: str, world: World, *, clients: int, duration_s: float, mix: dict[str, float] | None = None,
             seed: int = 1) -> Outcome:
    mix = mix or {"read": 0.3, "submit": 0.1, "transfer": 0.4, "redeem": 0.2}
    return _run_in_own_loop(_load(base, world, clients, duration_s, mix, seed))


def percentiles(values: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in values)
    if not ms:
        return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    p = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"p50_ms": round(p[49], 2), "p99_ms": round(p[98], 2), "max_ms": round(ms[-1], 2)}


def check_invariants(world: World, outcome: Outcome, data_dir: Path) -> list[str]:
    """What must hold in the database after the run; the broken ones, as sentences."""
    from sqlalchemy import func, select

    from suanli.db.engine import make_engine
    from suanli.db.models.ledger import LedgerTransferRow
    from suanli.db.uow import session_factory, unit_of_work
    from suanli.services import audit, ledger

    problems: list[str] = []
    engine = make_engine(world.url)
    try:
        with unit_of_work(session_factory(engine)) as s:
            wallets = [ledger.get_account(s, account_id=w) for w in world.wallets]
            balances = [ledger.natural_balance(w) for w in wallets]
            clearing_ids = {ledger.clearing_account_for(s, w) for w in wallets}  # one per owner
            clearing = [ledger.natural_balance(ledger.get_account(s, account_id=c)) for c in clearing_ids]
            if min(balances) < 0:
                problems.append(f"a wallet went negative: {balances}")
            if sum(balances) + sum(clearing) != WALLETS * START_FEN:
                problems.append(f"money not conserved: {sum(balances) + sum(clearing)} != {WALLETS * START_FEN}")
            rows = s.execute(select(LedgerTransferRow.idempotency_key, func.count(), func.min(LedgerTransferRow.id))
                             .where(LedgerTransferRow.idempotency_key.like("load:%"))
                             .group_by(LedgerTransferRow.idempotency_key)).all()
            stored = {key: int(first) for key, count, first in rows}
            if any(count != 1 for _key, count, _first in rows):
                problems.append("an idempotency key was stored twice")
            answered = dict(outcome.committed)
            missing = {k for k in answered if stored.get(k) != answered[k]}
            if missing:
                problems.append(f"{len(missing)} keys answered 2xx are not stored as answered, e.g. {sorted(missing)[:3]}")
            extra = set(stored) - set(answered) - outcome.unanswered
            if extra:
                problems.append(f"{len(extra)} keys stored though never answered 2xx, e.g. {sorted(extra)[:3]}")
            bad = ledger.check_consistency(s)
            if bad:
                problems.append(f"ledger inconsistent: {bad[:3]}")
            verdict = audit.check_log(s, public_key=audit.init_signer(data_dir).public_key)
            if not verdict.ok:
                problems.append(f"audit log does not verify: {verdict.message}")
    finally:
        engine.dispose()
    return problems


def summary(outcome: Outcome) -> dict[str, Any]:
    requests = sum(outcome.statuses.values())
    return {"requests": requests, "throughput_rps": round(requests / outcome.wall_s, 1) if outcome.wall_s else 0,
            "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())},
            "by_op": dict(sorted(outcome.by_op.items())), "busy": dict(outcome.busy.most_common(5)),
            **percentiles(outcome.latencies),
            "refusals_503": percentiles(outcome.refusals),
            "probe": {"refusals_503": len(outcome.probe_refusals), **percentiles(outcome.probe_refusals),
                      "reads_200": len(outcome.probe_reads), "reads": percentiles(outcome.probe_reads)},
            "healthz": {"probes": len(outcome.health), "failures": len(outcome.health_failures),
                        **percentiles(outcome.health)},
            "violations": len(outcome.violations), "first_violations": outcome.violations[:5]}


def measure(url: str | None = None, *, clients: int = 256, duration_s: float = 60,
            extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """One load run on a fresh PostgreSQL database (SUANLI_BENCH_POSTGRES_URL, SUANLI_TEST_POSTGRES_URL
    or the local server, as the other benchmarks), or on SQLite with SUANLI_BENCH_LOAD_DATABASE=sqlite."""
    admin = None if os.environ.get("SUANLI_BENCH_LOAD_DATABASE") == "sqlite" else (
        url or os.environ.get("SUANLI_BENCH_POSTGRES_URL") or os.environ.get("SUANLI_TEST_POSTGRES_URL")
        or "postgresql://postgres@127.0.0.1/postgres")
    with tempfile.TemporaryDirectory(prefix="suanli-bench-load-") as tmp:
        if admin:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from suanli_testing import migrated_postgres_database

            with migrated_postgres_database(admin, "suanli_bench_load") as db:
                return _measure(db, Path(tmp), clients, duration_s, extra_env, "postgresql")
        return _measure(f"sqlite:///{Path(tmp) / 'load.db'}", Path(tmp), clients, duration_s, extra_env, "sqlite")


def _measure(url: str, tmp: Path, clients: int, duration_s: float, extra_env: dict[str, str] | None,
             database: str) -> dict[str, Any]:
    world = prepare(url, migrate=database == "sqlite")
    process, base = start_server(url, tmp / "data", extra_env=extra_env)
    try:
        outcome = run_load(base, world, clients=clients, duration_s=duration_s)
    finally:
        stop_server(process)
    figures = summary(outcome)
    figures["invariant_failures"] = check_invariants(world, outcome, tmp / "data")
    figures["database"] = database
    return figures


def run() -> dict[str, dict[str, Any]]:
    figures = measure(clients=int(os.environ.get("SUANLI_BENCH_LOAD_CLIENTS", "256")),
                      duration_s=float(os.environ.get("SUANLI_BENCH_LOAD_SECONDS", "60")))
    return {"load_concurrency": {"value": figures["statuses"].get("500", 0), "unit": "responses 500",
                                 "goal": "0 responses 500, /healthz p99 < 100 ms, every non-2xx a 409/422/429/503",
                                 "clients": 256, "server": "suanli serve --no-workers (one uvicorn process)",
                                 "load": "closed-loop: 30% wallet reads, 10% job submits, 40% transfers, "
                                         "20% hold+post on 4 hot wallets; 10% of transfers replay a key",
                                 **figures}}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))


def _run_in_own_loop(coroutine: Any) -> Any:
    """asyncio.run in a thread of its own: the caller's thread may already run an event loop (a sync
    Playwright session in the same test process does)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
