"""Crash consistency: the REAL server process (`suanli serve --no-workers`) on SQLite and on a
PostgreSQL database of its own, a client streaming money-moving requests, SIGKILL at random points,
restart, replay of the client's log with the same idempotency keys; then nothing lost, nothing
doubled, invariants hold.

Two streams interleave: ledger transfers (`Idempotency-Key`: every request is replayed, each key
must end as exactly one transfer with the amount it asked for, and the replay of an acknowledged
key must answer the same transfer) and job submissions (no key: every acknowledged job exists
exactly once, unacknowledged ones at most once, and no job lacks its first event).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import secrets
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, make_url, select, text

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import upgrade
from suanli.db.models.base import utcnow
from suanli.db.models.jobs import JobEventRow, JobRow
from suanli.db.models.organisations import ApiTokenRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import accounts, federation, ledger, organisations

ROOT = Path(__file__).resolve().parents[3]
SUANLI = ROOT / ".venv" / "bin" / "suanli"
KILLS = int(os.environ.get("SUANLI_CRASH_KILLS", "4"))
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database the server owns: a SQLite file, or a PostgreSQL database created here."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin = os.environ.get("SUANLI_TEST_POSTGRES_URL")
    if not admin:
        pytest.skip("PostgreSQL crash test needs SUANLI_TEST_POSTGRES_URL (set by .ci/run)")
    name = f"suanli_crash_{uuid.uuid4().hex[:10]}"
    admin_engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(admin)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@dataclass
class Seed:
    operator: str
    member: str
    debit_account: int
    credit_account: int


def seed(url: str) -> Seed:
    engine = make_engine(url)
    sessions = session_factory(engine)

    def token(s, user_id: int) -> str:  # type: ignore[no-untyped-def]
        value = secrets.token_urlsafe(32)
        s.add(ApiTokenRow(token_hash=hashlib.sha256(value.encode()).hexdigest(), user_id=user_id,
                          expires_at=utcnow() + timedelta(hours=2)))
        return value

    with unit_of_work(sessions) as s:
        federation.load_federation(s, text=FEDERATION)
        platform = organisations.create_organisation(s, name="platform", name_zh="平台", type=OrganisationType.PLATFORM,
                                                     city="成都").id
        tenant = organisations.create_organisation(s, name="tenant", name_zh="租户", type=OrganisationType.ENTERPRISE,
                                                   city="成都").id
        op = accounts.create_user(s, username="operator", password="crash-pass-42", role=Role.PLATFORM_OPERATOR,
                                  organisation_id=platform)
        member = accounts.create_user(s, username="member", password="crash-pass-42", role=Role.ORG_MEMBER,
                                      organisation_id=tenant)
        cash = ledger.open_account(s, purpose=AccountPurpose.CASH, owner_kind=OwnerKind.PLATFORM).id
        equity = ledger.open_account(s, purpose=AccountPurpose.EQUITY, owner_kind=OwnerKind.PLATFORM).id
        result = Seed(token(s, op.id), token(s, member.id), cash, equity)
    engine.dispose()
    return result


class Server:
    """`suanli serve --no-workers` as a child process we start, SIGKILL and restart by its own PID."""

    def __init__(self, url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(data_dir)}
        self.process: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([str(SUANLI), "serve", "--no-workers", "--port", str(self.port)],
                                        env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not become ready in 60 s")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()


@dataclass
class Log:
    """What the client sent and what it heard back: key -> (amount, transfer id or None if unanswered)."""

    transfers: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    jobs: dict[str, int | None] = field(default_factory=dict)  # job name -> acknowledged id
    refused: list[str] = field(default_factory=list)
    sent: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def stream(server: Server, s: Seed, log: Log, stop: threading.Event) -> None:
    """Alternate transfers and job submissions until told to stop; unanswered requests stay in the log."""
    client = httpx.Client(timeout=5)
    while not stop.is_set():
        i = next(log.sent)
        key, name, amount = f"crash-{i}", f"crash-job-{i}", i
        body = {"legs": [{"account_id": s.debit_account, "side": "debit", "amount_fen": amount},
                         {"account_id": s.credit_account, "side": "credit", "amount_fen": amount}]}
        log.transfers[key] = (amount, None)
        try:
            answer = client.post(f"{server.base}/api/v1/ledger/transfers", json=body,
                                 headers={"Authorization": f"Bearer {s.operator}", "Idempotency-Key": key})
            if answer.status_code in (200, 201):
                log.transfers[key] = (amount, answer.json()["id"])
            else:
                log.refused.append(f"{key}: {answer.status_code} {answer.text[:200]}")
        except httpx.HTTPError:
            time.sleep(0.05)  # the server is down: leave it unanswered and carry on
        log.jobs[name] = None
        job = {"name": name, "command": "true", "time_limit_s": 60, "center": "local", "pool": "cpu",
               "resources": {"devices": 1}}
        try:
            answer = client.post(f"{server.base}/api/v1/jobs", json=job, headers={"Authorization": f"Bearer {s.member}"})
            if answer.status_code == 201:
                log.jobs[name] = answer.json()["id"]
            else:
                log.refused.append(f"{name}: {answer.status_code} {answer.text[:200]}")
        except httpx.HTTPError:
            time.sleep(0.05)
    client.close()


def replay(server: Server, s: Seed, log: Log) -> list[str]:
    """Send every transfer again with its key; an acknowledged one must come back as the same transfer."""
    problems = []
    with httpx.Client(timeout=10) as client:
        for key, (amount, acked) in log.transfers.items():
            body = {"legs": [{"account_id": s.debit_account, "side": "debit", "amount_fen": amount},
                             {"account_id": s.credit_account, "side": "credit", "amount_fen": amount}]}
            answer = client.post(f"{server.base}/api/v1/ledger/transfers", json=body,
                                 headers={"Authorization": f"Bearer {s.operator}", "Idempotency-Key": key})
            if answer.status_code not in (200, 201):
                problems.append(f"replay {key}: {answer.status_code} {answer.text[:200]}")
            elif acked is not None and (answer.status_code != 200 or answer.json()["id"] != acked):
                problems.append(f"replay {key}: acknowledged as {acked}, replayed as {answer.status_code} "
                                f"{answer.json()['id']}")
    return problems


def check(url: str, s: Seed, log: Log) -> list[str]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    problems: list[str] = []
    with sessions() as session:
        transfers = ledger.list_transfers(session, account_id=s.credit_account, offset=0, limit=100_000)
        by_key: dict[str, list[int]] = {}
        for t in transfers:
            by_key.setdefault(t.idempotency_key, []).append(t.amount_fen)
        for key, (amount, _acked) in log.transfers.items():
            if by_key.get(key) != [amount]:
                problems.append(f"transfer {key}: expected one of {amount} fen, found {by_key.get(key)}")
        expected = sum(amount for amount, _ in log.transfers.values())
        balance = ledger.natural_balance(ledger.get_account(session, account_id=s.credit_account))
        if balance != expected:
            problems.append(f"credit account balance {balance} != {expected} asked for")
        problems += [f"ledger check: {p}" for p in ledger.check_consistency(session)]
        counts = dict(session.execute(select(JobRow.name, func.count()).group_by(JobRow.name)).all())
        for name, acked in log.jobs.items():
            if acked is not None and counts.get(name) != 1:
                problems.append(f"acknowledged job {name} exists {counts.get(name, 0)} times")
            if acked is None and counts.get(name, 0) > 1:
                problems.append(f"unacknowledged job {name} exists {counts[name]} times")
        eventless = session.scalars(select(JobRow.id).where(~JobRow.id.in_(select(JobEventRow.job_id)))).all()
        if eventless:
            problems.append(f"half-written jobs without their first event: {eventless}")
    engine.dispose()
    return problems


def test_the_server_survives_sigkill_mid_payment_without_losing_or_doubling_anything(crash_db: str,
                                                                                     tmp_path: Path) -> None:
    s = seed(crash_db)
    server = Server(crash_db, tmp_path / "data")
    log, rng = Log(), random.Random(20240601)
    server.start()
    try:
        for _ in range(KILLS):
            stop = threading.Event()
            client = threading.Thread(target=stream, args=(server, s, log, stop))
            client.start()
            time.sleep(rng.uniform(0.3, 1.2))
            server.kill()  # SIGKILL at a random point of the stream, mid-request most of the time
            stop.set()
            client.join()
            server.start()
        problems = replay(server, s, log)
    finally:
        server.stop()
    acked = sum(1 for _, t in log.transfers.values() if t is not None)
    print(f"\ncrash: {KILLS} kills survived; {len(log.transfers)} transfers ({acked} acknowledged before the "
          f"replay), {len(log.jobs)} job submissions ({sum(1 for j in log.jobs.values() if j)} acknowledged)")
    problems += check(crash_db, s, log)
    assert not log.refused, log.refused[:10]
    assert not problems, "\n".join(problems[:40])
    assert acked >= KILLS
