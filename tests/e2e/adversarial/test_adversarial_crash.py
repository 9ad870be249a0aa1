"""Crash consistency: the REAL server process (`suanli serve --no-workers`) on SQLite and on a
PostgreSQL database of its own, a client streaming money-moving requests, SIGKILL at random points,
restart, replay of the client's log with the same idempotency keys; then nothing lost, nothing
doubled, invariants hold.

Three streams interleave: ledger transfers (`Idempotency-Key`: every request is replayed, each key
must end as exactly one transfer with the amount it asked for, and the replay of an acknowledged
key must answer the same transfer), voucher redemptions (contract claims, 核销, with an
`Idempotency-Key`: each key ends as exactly one redemption, an acknowledged one is answered again
by its replay, the wallet's balance plus what it redeemed is its grant, and the program's budget plus
its wallets plus what they redeemed is the budget it was funded with) and job submissions (no key:
every acknowledged job exists exactly once, unacknowledged ones at most once, and no job lacks its
first event).
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from adversarial_world import PROGRAM_TEXT
from sqlalchemy import func, select

from suanli.db.engine import make_engine
from suanli.db.migrate import upgrade
from suanli.db.models.base import utcnow
from suanli.db.models.jobs import JobEventRow, JobRow
from suanli.db.models.organisations import ApiTokenRow, UserRow
from suanli.db.models.vouchers import VoucherProgramRow, VoucherRedemptionRow, VoucherWalletRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.ledger import AccountPurpose, OwnerKind
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import accounts, federation, ledger, organisations, vouchers
from suanli_testing import migrated_postgres_database

ROOT = Path(__file__).resolve().parents[3]
SUANLI = ROOT / ".venv" / "bin" / "suanli"
KILLS = int(os.environ.get("SUANLI_CRASH_KILLS", "4"))
GRANT_FEN = 50_000_000  # far more than the stream can redeem, so every claim is paid
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
    with migrated_postgres_database(admin, "suanli_crash") as url:
        yield url


@dataclass
class Seed:
    operator: str
    member: str
    debit_account: int
    credit_account: int
    claimant: str  # an organisation admin's token: contract claims against the tenant's voucher wallet
    program_id: int
    tenant: int
    first_contract: int  # contract CT-n (a platform order the provider confirmed) has id first_contract + n - 1
    provider: int


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
                                                   city="成都", sme=True).id
        op = accounts.create_user(s, username="operator", password="crash-pass-42", role=Role.PLATFORM_OPERATOR,
                                  organisation_id=platform)
        member = accounts.create_user(s, username="member", password="crash-pass-42", role=Role.ORG_MEMBER,
                                      organisation_id=tenant)
        cash = ledger.open_account(s, purpose=AccountPurpose.CASH, owner_kind=OwnerKind.PLATFORM).id
        equity = ledger.open_account(s, purpose=AccountPurpose.EQUITY, owner_kind=OwnerKind.PLATFORM).id
        admin, program_id = _voucher(s, tenant)
        first, provider = _contracts(s, tenant, Principal(op.id, "operator", platform, Role.PLATFORM_OPERATOR))
        result = Seed(token(s, op.id), token(s, member.id), cash, equity, token(s, admin), program_id, tenant, first,
                      provider)
    engine.dispose()
    return result


def _voucher(s, tenant: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A bureau's program (Chengdu 2023, one review stage) and a granted wallet for the tenant, whose
    admin (a user written directly, signed in by a minted token) then claims contracts against it."""
    bureau = organisations.create_organisation(s, name="bureau", name_zh="数据局", type=OrganisationType.GOVERNMENT,
                                               city="成都").id
    people = []
    for name, role, org in (("officer", Role.PROGRAM_OFFICER, bureau), ("tenant-admin", Role.ORG_ADMIN, tenant)):
        user = UserRow(username=name, display_name=name, password_hash="x", role=role.value, organisation_id=org,
                       active=True)
        s.add(user)
        s.flush()
        people.append(Principal(user.id, name, org, role))
    officer, admin = people
    text = PROGRAM_TEXT[: PROGRAM_TEXT.index("  - name: expert-review")] + PROGRAM_TEXT[
        PROGRAM_TEXT.index("  - name: officer-approval"):]
    program_id = vouchers.load_program(s, text=text, actor=officer).id
    vouchers.set_window(s, program_id=program_id, open=True, actor=officer)
    application = vouchers.apply(s, command=vouchers.ApplyCommand(program_id, "crash model", GRANT_FEN), actor=admin)
    vouchers.review(s, application_id=application.id, actor=officer, approve=True)
    return admin.user_id, program_id


CONTRACTS = 400  # claims beyond this many are not sent (each needs a contract confirmed beforehand)


def _contracts(s, tenant: int, operator: Principal) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Platform orders CT-1..CT-N of the tenant at the designated center's provider, each confirmed by
    the provider: the stream claims them one by one (the claim names only program and contract)."""
    from datetime import date

    from suanli.db.models.federation import CenterRow

    provider = organisations.create_organisation(s, name="nscc", name_zh="国家超算成都中心", type=OrganisationType.PROVIDER,
                                                 city="成都").id
    s.add(CenterRow(name="nscc-chengdu", name_zh="国家超算成都中心", kind="supercomputing", city="成都",
                    backend_kind="local", backend_options={}, green_share=0.0, healthy=True, health_detail="",
                    provider_organisation_id=provider))
    admin = UserRow(username="nscc-admin", display_name="nscc", password_hash="x", role=Role.PROVIDER_ADMIN.value,
                    organisation_id=provider, active=True)
    s.add(admin)
    s.flush()
    confirmer = Principal(admin.id, admin.username, provider, Role.PROVIDER_ADMIN)
    ids = []
    for n in range(1, CONTRACTS + 1):
        row = vouchers.declare_contract(s, command=vouchers.DeclareContract(
            provider, f"CT-{n}", 1_000 + n, date(2024, 1, 2), buyer_organisation_id=tenant), actor=operator)
        vouchers.confirm_contract(s, contract_id=row.id, actor=confirmer)
        ids.append(row.id)
    assert ids == list(range(ids[0], ids[0] + CONTRACTS))
    return ids[0], provider


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
        while time.monotonic() < deadline:  # polled often: five restarts a run, each ready a moment sooner
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
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
    claims: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # key -> (n, redemption id or None)
    refused: list[str] = field(default_factory=list)
    sent: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def claim_body(s: Seed, n: int) -> dict[str, object]:
    return {"program_id": s.program_id, "contract_id": s.first_contract + n - 1}


def send_claim(client: httpx.Client, server: Server, s: Seed, key: str, n: int) -> httpx.Response:
    return client.post(f"{server.base}/api/v1/redemptions", json=claim_body(s, n),
                       headers={"Authorization": f"Bearer {s.claimant}", "Idempotency-Key": key})


def stream(server: Server, s: Seed, log: Log, stop: threading.Event) -> None:
    """Alternate transfers, voucher redemptions and job submissions until told to stop; unanswered
    requests stay in the log."""
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
        claim = f"crash-claim-{i}"
        if i <= CONTRACTS:
            log.claims[claim] = (i, None)
            try:
                answer = send_claim(client, server, s, claim, i)
                if answer.status_code in (200, 201):
                    log.claims[claim] = (i, answer.json()["id"])
                else:
                    log.refused.append(f"{claim}: {answer.status_code} {answer.text[:200]}")
            except httpx.HTTPError:
                time.sleep(0.05)
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
        for key, (n, acked) in log.claims.items():
            answer = send_claim(client, server, s, key, n)
            if answer.status_code not in (200, 201):
                problems.append(f"replay {key}: {answer.status_code} {answer.text[:200]}")
            elif acked is not None and (answer.status_code != 200 or answer.json()["id"] != acked):
                problems.append(f"replay {key}: acknowledged as redemption {acked}, replayed as "
                                f"{answer.status_code} {answer.json()['id']}")
            else:
                log.claims[key] = (n, answer.json()["id"])
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
        # The program's budget was funded out of the same platform equity account before the stream began.
        funded = int(session.get(VoucherProgramRow, s.program_id).budget_fen)
        expected = sum(amount for amount, _ in log.transfers.values()) - funded
        balance = ledger.natural_balance(ledger.get_account(session, account_id=s.credit_account))
        if balance != expected:
            problems.append(f"credit account balance {balance} != {expected} asked for (less the program's budget)")
        problems += [f"ledger check: {p}" for p in ledger.check_consistency(session)]
        counts = dict(session.execute(select(JobRow.name, func.count()).group_by(JobRow.name)).all())
        for name, acked in log.jobs.items():
            if acked is not None and counts.get(name) != 1:
                problems.append(f"acknowledged job {name} exists {counts.get(name, 0)} times")
            if acked is None and counts.get(name, 0) > 1:
                problems.append(f"unacknowledged job {name} exists {counts[name]} times")
        problems += check_vouchers(session, s, log)
        eventless = session.scalars(select(JobRow.id).where(~JobRow.id.in_(select(JobEventRow.job_id)))).all()
        if eventless:
            problems.append(f"half-written jobs without their first event: {eventless}")
    engine.dispose()
    return problems


def check_vouchers(session, s: Seed, log: Log) -> list[str]:  # type: ignore[no-untyped-def]
    """Every claim key is exactly one redemption of its contract; wallet + redeemed == granted; the
    program's budget + wallets + redeemed == the budget it was funded with."""
    problems = []
    rows = session.scalars(select(VoucherRedemptionRow).where(VoucherRedemptionRow.organisation_id == s.tenant)).all()
    by_key: dict[str | None, list[VoucherRedemptionRow]] = {}
    for r in rows:
        by_key.setdefault(r.idempotency_key, []).append(r)
    for key, (n, acked) in log.claims.items():
        found = by_key.get(key, [])
        bill = f"contract:{s.provider}:ct{n}"
        if len(found) != 1 or found[0].basis != bill or found[0].order_amount_fen != 1_000 + n:
            problems.append(f"claim {key}: expected one redemption of contract CT-{n}, found "
                            f"{[(r.id, r.basis, r.order_amount_fen) for r in found]}")
        elif acked is not None and found[0].id != acked:
            problems.append(f"claim {key}: acknowledged as {acked}, stored as {found[0].id}")
    if set(by_key) != set(log.claims):
        problems.append(f"redemptions nobody asked for: {sorted(set(by_key) - set(log.claims), key=str)[:10]}")
    redeemed = sum(int(r.amount_fen) for r in rows)
    program = session.get(VoucherProgramRow, s.program_id)
    wallets = session.scalars(select(VoucherWalletRow).where(VoucherWalletRow.program_id == s.program_id)).all()
    in_wallets = 0
    for w in wallets:
        balance = ledger.natural_balance(ledger.get_account(session, account_id=w.ledger_account_id))
        in_wallets += balance
        if balance + int(w.redeemed_fen) != int(w.granted_fen):
            problems.append(f"wallet {w.id}: balance {balance} + redeemed {w.redeemed_fen} != granted {w.granted_fen}")
    if sum(int(w.redeemed_fen) for w in wallets) != redeemed:
        problems.append(f"wallets count {sum(int(w.redeemed_fen) for w in wallets)} redeemed, redemptions {redeemed}")
    budget = ledger.natural_balance(ledger.get_account(session, account_id=program.budget_account_id))
    if budget + in_wallets + redeemed != int(program.budget_fen):
        problems.append(f"program: budget {budget} + wallets {in_wallets} + redeemed {redeemed} "
                        f"!= funded {program.budget_fen}")
    return problems


def _acknowledged(log: Log) -> tuple[int, int]:
    """(transfers, voucher claims) the server has acknowledged so far."""
    return (sum(1 for _, t in list(log.transfers.values()) if t is not None),
            sum(1 for _, r in list(log.claims.values()) if r is not None))


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
            # Kill once the stream flows (a restarted server on a busy machine can take a while to
            # answer its first payment), then at a random point of it, mid-request most of the time.
            transfers, claims = _acknowledged(log)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(
                    now > before for now, before in zip(_acknowledged(log), (transfers, claims), strict=True)):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.3, 1.2))
            server.kill()
            stop.set()
            client.join()
            server.start()
        claims_acked = sum(1 for _, r in log.claims.values() if r is not None)
        problems = replay(server, s, log)
    finally:
        server.stop()
    acked = sum(1 for _, t in log.transfers.values() if t is not None)
    print(f"\ncrash: {KILLS} kills survived; {len(log.transfers)} transfers ({acked} acknowledged before the "
          f"replay), {len(log.claims)} voucher redemptions ({claims_acked} acknowledged before the replay), "
          f"{len(log.jobs)} job submissions ({sum(1 for j in log.jobs.values() if j)} acknowledged)")
    problems += check(crash_db, s, log)
    assert not log.refused, log.refused[:10]
    assert not problems, "\n".join(problems[:40])
    assert acked >= KILLS and claims_acked >= KILLS
