"""Back-pressure pieces one by one: the admission limit answers 503 + Retry-After within a second
and never holds back `/healthz`; a lock another transaction holds past `lock_timeout` (PostgreSQL)
or the busy timeout (SQLite) is a 503 problem, not a 500 after 30 s; pool sizes follow settings."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import make_url, text

from suanli.api.app import Admission
from suanli.config import Settings
from suanli.db.engine import engine_from_settings, make_engine
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.errors import ServiceBusy
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.domain.organisations import OrganisationType, Role
from suanli.services import ledger


def test_requests_past_the_limit_get_503_with_retry_after_quickly_and_healthz_still_answers() -> None:
    app = FastAPI()
    release = asyncio.Event()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await release.wait()
        return {"done": "yes"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    admitted = Admission(app, limit=2, wait_s=0.2, retry_after_s=1)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=admitted)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=5) as client:
            held = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            refused = await client.get("/slow")
            took = time.perf_counter() - started
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["type"].endswith("/service-busy")
            assert 0.15 <= took < 1.0
            assert (await client.get("/healthz")).status_code == 200  # never behind the slots
            release.set()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
            assert (await client.get("/slow")).status_code == 200  # slots came back

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own loop: a sync Playwright session may hold one
        pool.submit(asyncio.run, scenario()).result()
    assert admitted.refused == 1


def test_the_request_limit_never_exceeds_what_the_pool_holds() -> None:
    assert Settings(database_url="postgresql://h/d", db_pool_size=10, db_max_overflow=10,  # type: ignore[arg-type]
                    db_reserved_connections=2).request_limit == 18
    assert Settings(db_pool_size=10, db_max_overflow=10).request_limit == 8  # SQLite: one writer at a time
    assert Settings(db_pool_size=4, db_max_overflow=0, max_concurrent_requests=64).request_limit == 2
    assert Settings(db_pool_size=20, db_max_overflow=0, max_concurrent_requests=5).request_limit == 5
    assert Settings(db_pool_size=1, db_max_overflow=0).request_limit == 1


@pytest.mark.postgres
def test_postgres_sessions_carry_the_configured_timeouts(postgres_database: str, tmp_path: Path) -> None:
    settings = Settings(database_url=postgres_database, data_dir=tmp_path, db_pool_size=3,  # type: ignore[arg-type]
                        db_max_overflow=1, db_lock_timeout_ms=750, db_statement_timeout_ms=9000,
                        db_idle_in_transaction_timeout_ms=11000, db_pool_recycle_s=600)
    engine = engine_from_settings(settings)
    try:
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
        assert engine.pool._recycle == 600  # type: ignore[attr-defined]
        with engine.connect() as conn:
            shown = [conn.execute(text(f"SHOW {name}")).scalar() for name in
                     ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")]
        assert shown == ["750ms", "9s", "11s"]
    finally:
        engine.dispose()


def _finance_api(db_url: str, tmp_path: Path, **limits: object) -> tuple[httpx.Client, dict[str, str], list[int]]:
    from fastapi.testclient import TestClient

    from suanli.api.app import create_app
    from suanli.services import accounts, organisations

    settings = Settings(database_url=db_url, data_dir=tmp_path / "data", **limits)  # type: ignore[arg-type]
    app = create_app(settings)
    with unit_of_work(app.state.sessions) as s:
        operator = organisations.create_organisation(s, name="op", name_zh="运营", type=OrganisationType.PLATFORM,
                                                     city="成都").id
        accounts.create_user(s, username="fin", password="correct-horse-42", role=Role.FINANCE_OFFICER,
                             organisation_id=operator)
        budget = ledger.open_account(s, purpose=AccountPurpose.EQUITY, owner_kind=OwnerKind.PLATFORM).id
        wallets = [ledger.open_account(s, purpose=AccountPurpose.VOUCHER_WALLET, owner_kind=OwnerKind.ORGANISATION,
                                       owner_id=operator, scope=f"w{i}").id for i in range(2)]
        ledger.transfer(s, idempotency_key="seed", legs=[debit(budget, 1000), credit(wallets[0], 1000)])
    client = TestClient(app)
    client.__enter__()
    token = client.post("/api/v1/auth/login", json={"username": "fin", "password": "correct-horse-42"}).json()["token"]
    return client, {"Authorization": f"Bearer {token}"}, wallets


def _move(client: httpx.Client, auth: dict[str, str], wallets: list[int], key: str) -> httpx.Response:
    return client.post("/api/v1/ledger/transfers", headers={**auth, "Idempotency-Key": key},
                       json={"legs": [{"account_id": wallets[0], "side": "debit", "amount_fen": 10},
                                      {"account_id": wallets[1], "side": "credit", "amount_fen": 10}]})


def _assert_busy(answer: httpx.Response, took: float) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["type"].endswith("/service-busy")
    assert took < 5


def test_a_wallet_locked_past_the_lock_timeout_is_a_503_problem_not_a_500(db_url: str, tmp_path: Path) -> None:
    postgres = make_url(db_url).get_backend_name() == "postgresql"
    client, auth, wallets = _finance_api(db_url, tmp_path, db_lock_timeout_ms=300, sqlite_busy_timeout_ms=300)
    try:
        assert _move(client, auth, wallets, "before").status_code == 201
        holder_engine = make_engine(db_url)
        holding, done = threading.Event(), threading.Event()

        def hold_the_lock() -> None:
            if postgres:
                with holder_engine.begin() as conn:
                    conn.execute(text("SELECT id FROM ledger_accounts WHERE id = :id FOR UPDATE"), {"id": wallets[0]})
                    holding.set()
                    done.wait(10)
            else:  # another process's writer: SQLite's own file lock, outside this engine's writer path
                raw = sqlite3.connect(make_url(db_url).database, isolation_level=None)
                raw.execute("BEGIN IMMEDIATE")
                holding.set()
                done.wait(10)
                raw.rollback()
                raw.close()

        thread = threading.Thread(target=hold_the_lock)
        thread.start()
        assert holding.wait(10)
        try:
            started = time.perf_counter()
            answer = _move(client, auth, wallets, "during")
            _assert_busy(answer, time.perf_counter() - started)
        finally:
            done.set()
            thread.join()
        holder_engine.dispose()
        assert _move(client, auth, wallets, "during").status_code == 201  # nothing of the refused try stayed
        assert _move(client, auth, wallets, "during").status_code == 200
    finally:
        client.__exit__(None, None, None)


def test_sqlite_threads_take_turns_on_one_writer_path_and_give_up_after_the_busy_timeout(sqlite_url: str,
                                                                                          tmp_path: Path) -> None:
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path, sqlite_busy_timeout_ms=200)  # type: ignore[arg-type]
    sessions = session_factory(engine_from_settings(settings))
    inside, leave = threading.Event(), threading.Event()

    def long_writer() -> None:
        with unit_of_work(sessions) as s:
            s.execute(text("SELECT 1"))
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=long_writer)
    thread.start()
    assert inside.wait(5)
    started = time.perf_counter()
    with pytest.raises(ServiceBusy), unit_of_work(sessions) as s:
        s.execute(text("SELECT 1"))
    assert 0.15 < time.perf_counter() - started < 2
    leave.set()
    thread.join()
    counted = []
    patient = session_factory(make_engine(sqlite_url))  # the default busy timeout: 30 s

    def short_writer(n: int) -> None:
        with unit_of_work(patient) as s:
            s.execute(text("SELECT 1"))
            counted.append(n)

    threads = [threading.Thread(target=short_writer, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counted) == list(range(32))


@pytest.mark.parametrize("pages", [200, 100_000])
def test_sqlite_checkpoints_the_wal_once_it_holds_the_configured_number_of_pages(sqlite_url: str, tmp_path: Path,
                                                                                 pages: int) -> None:
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path, sqlite_wal_autocheckpoint_pages=pages)  # type: ignore[arg-type]
    engine = engine_from_settings(settings)
    sessions = session_factory(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == pages
    with unit_of_work(sessions) as s:
        s.execute(text("CREATE TABLE scratch (body BLOB NOT NULL)"))
    for _ in range(150):  # three pages or so a transaction: ~450 pages of WAL in all
        with unit_of_work(sessions) as s:
            s.execute(text("INSERT INTO scratch (body) VALUES (randomblob(9000))"))
    wal = Path(make_url(sqlite_url).database + "-wal")
    frames = wal.stat().st_size // (4096 + 24)  # a frame is a page and its header
    engine.dispose()
    # Checkpointed and restarted on the way, the WAL file holds fewer pages than were written; never
    # checkpointed, all of them.
    assert (frames < 400) if pages == 200 else (frames >= 450)
