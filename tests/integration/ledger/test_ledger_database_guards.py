"""The database itself refuses bad postings written AROUND the code (raw SQL): unbalanced legs,
overdrafts, edits and deletions, postings into closed periods, tampered balances. On SQLite the
checks that cannot be deferred run when a transfer is sealed, and `check_consistency` finds the rest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.uow import unit_of_work
from suanli.services import ledger


def raw_transfer(conn: Connection, legs: list[tuple[int, int]], *, key: str = "raw", period: str = "2026-01",
                 currency: str = "CNY") -> int:
    """Write a transfer and its legs with plain SQL, as a buggy program or a careless operator would."""
    sqlite = conn.dialect.name == "sqlite"
    transfer_id = conn.execute(text(
        "INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, status, amount_fen, currency, memo,"
        " source_kind, source_id, period, effective_at, posted_fen, released_fen, sealed, created_at)"
        " VALUES (:key, 'raw', 'immediate', 'posted', 10, :currency, '', 'manual', '', :period, :now, 0, 0, :sealed,"
        " :now) RETURNING id"),
        {"key": key, "currency": currency, "period": period, "now": utcnow(), "sealed": not sqlite}).scalar_one()
    for account_id, amount in legs:
        conn.execute(text("INSERT INTO ledger_legs (transfer_id, account_id, amount_fen) VALUES (:t, :a, :x)"),
                     {"t": transfer_id, "a": account_id, "x": amount})
    if sqlite:
        conn.execute(text("UPDATE ledger_transfers SET sealed = 1 WHERE id = :t"), {"t": transfer_id})
    return int(transfer_id)


def rejected(engine: Engine, write: Any) -> None:
    """The write, committed in its own transaction, fails inside the database."""
    with pytest.raises(DBAPIError), engine.begin() as conn:
        write(conn)


def test_the_database_rejects_legs_that_do_not_sum_to_zero(engine: Engine, chart: Any) -> None:
    rejected(engine, lambda c: raw_transfer(c, [(chart.receivable, 10), (chart.payable, -9)]))
    with engine.begin() as conn:
        raw_transfer(conn, [(chart.receivable, 10), (chart.payable, -10)])  # the same, balanced, is accepted


def test_the_database_rejects_two_legs_of_one_transfer_on_one_account(engine: Engine, chart: Any) -> None:
    # An account's transfer list joins its legs to their transfers and shows each transfer once on this.
    rejected(engine, lambda c: raw_transfer(c, [(chart.receivable, 10), (chart.payable, -5), (chart.payable, -5)]))


def test_the_database_rejects_an_overdraft_on_an_account_that_must_stay_non_negative(engine: Engine,
                                                                                    chart: Any) -> None:
    rejected(engine, lambda c: raw_transfer(c, [(chart.wallet, 500), (chart.receivable, -500)]))


def test_the_database_rejects_a_transfer_in_another_currency(engine: Engine, chart: Any) -> None:
    rejected(engine, lambda c: raw_transfer(c, [(chart.receivable, 1), (chart.payable, -1)], currency="USD"))


def test_the_database_refuses_to_edit_or_delete_legs_and_transfers(engine: Engine, chart: Any) -> None:
    with engine.begin() as conn:
        raw_transfer(conn, [(chart.receivable, 10), (chart.payable, -10)])
    rejected(engine, lambda c: c.execute(text("UPDATE ledger_legs SET amount_fen = amount_fen * 2")))
    rejected(engine, lambda c: c.execute(text("DELETE FROM ledger_legs")))
    rejected(engine, lambda c: c.execute(text("DELETE FROM ledger_transfers")))


def test_the_database_refuses_postings_into_a_closed_period(engine: Engine, sessions: sessionmaker[Session],
                                                            chart: Any) -> None:
    with unit_of_work(sessions) as s:
        ledger.close_period(s, month="2026-01", closed_by="finance")
    rejected(engine, lambda c: raw_transfer(c, [(chart.receivable, 10), (chart.payable, -10)], period="2026-01"))


def test_a_tampered_cached_balance_is_refused_or_found(engine: Engine, sessions: sessionmaker[Session],
                                                       chart: Any) -> None:
    tamper = text("UPDATE ledger_accounts SET balance_fen = balance_fen - 100 WHERE id = :a")
    if engine.dialect.name == "postgresql":
        rejected(engine, lambda c: c.execute(tamper, {"a": chart.receivable}))
        return
    with engine.begin() as conn:  # SQLite cannot tell a trigger's update from a user's: the check finds it
        conn.execute(tamper, {"a": chart.receivable})
    with unit_of_work(sessions) as s:
        assert any("cached balance" in p for p in ledger.check_consistency(s))


def test_on_sqlite_a_sealed_transfer_takes_no_more_legs_and_an_unsealed_one_is_found(
        engine: Engine, sessions: sessionmaker[Session], chart: Any) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("sealing is SQLite's stand-in for PostgreSQL's deferred constraint trigger")
    with engine.begin() as conn:
        transfer_id = raw_transfer(conn, [(chart.receivable, 10), (chart.payable, -10)])
    rejected(engine, lambda c: c.execute(text(
        "INSERT INTO ledger_legs (transfer_id, account_id, amount_fen) VALUES (:t, :a, 5)"),
        {"t": transfer_id, "a": chart.cash}))
    with engine.begin() as conn:  # legs written but never sealed: the database cannot know it is finished
        conn.execute(text("INSERT INTO ledger_transfers (idempotency_key, request_hash, kind, status, amount_fen,"
                          " currency, memo, source_kind, source_id, period, effective_at, posted_fen, released_fen,"
                          " sealed, created_at) VALUES ('open', 'x', 'immediate', 'posted', 5, 'CNY', '', 'manual',"
                          " '', '2026-01', :now, 0, 0, 0, :now)"), {"now": utcnow()})
    with unit_of_work(sessions) as s:
        assert any("not sealed" in p for p in ledger.check_consistency(s))
