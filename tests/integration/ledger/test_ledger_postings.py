"""Worked postings through the service layer on both databases: balances, holds, reversals,
idempotency, bad input with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.ledger import LedgerLegRow, LedgerTransferRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import IdempotencyConflict
from suanli.domain.ledger import (
    InsufficientFunds,
    InvalidAmount,
    PeriodClosed,
    PostExceedsReservation,
    TransferNotPending,
    UnbalancedTransfer,
    UnknownAccount,
    UnknownTransfer,
    UnsupportedCurrency,
    credit,
    debit,
)
from suanli.services import ledger


def natural(session: Session, account_id: int) -> int:
    return ledger.natural_balance(ledger.get_account(session, account_id=account_id))


def counts(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(LedgerTransferRow)) or 0,
            session.scalar(select(func.count()).select_from(LedgerLegRow)) or 0)


def test_a_voucher_redemption_moves_money_from_wallet_to_provider_through_a_hold(
        sessions: sessionmaker[Session], chart: Any, fund: Any) -> None:
    with unit_of_work(sessions) as s:
        fund(s, chart, 100_000)
        hold = ledger.reserve(s, idempotency_key="job:1:wallet", debit_account_id=chart.wallet,
                              credit_account_id=chart.payable, amount_fen=30_000, source_kind="job", source_id="1")
        assert hold.status == "pending" and natural(s, chart.wallet) == 70_000
        posted = ledger.post(s, idempotency_key="job:1:post", pending_id=hold.id, amount_fen=12_345)
        assert sum(x.amount_fen for x in posted.legs) == 0
    with unit_of_work(sessions) as s:
        assert natural(s, chart.wallet) == 100_000 - 12_345
        assert natural(s, chart.payable) == 12_345
        assert ledger.get_transfer(s, transfer_id=hold.id).status == "posted"
        assert ledger.check_consistency(s) == []


def test_partial_posts_keep_the_hold_open_until_it_is_voided(sessions: sessionmaker[Session], chart: Any, fund: Any) -> None:
    with unit_of_work(sessions) as s:
        fund(s, chart, 10_000)
        hold = ledger.reserve(s, idempotency_key="h", debit_account_id=chart.wallet, credit_account_id=chart.payable,
                              amount_fen=5_000)
        ledger.post(s, idempotency_key="p1", pending_id=hold.id, amount_fen=1_000, final=False)
        ledger.post(s, idempotency_key="p2", pending_id=hold.id, amount_fen=1_500, final=False)
        with pytest.raises(PostExceedsReservation):
            ledger.post(s, idempotency_key="p3", pending_id=hold.id, amount_fen=2_501)
        ledger.void(s, idempotency_key="v", pending_id=hold.id)
        with pytest.raises(TransferNotPending):
            ledger.void(s, idempotency_key="v2", pending_id=hold.id)
        assert natural(s, chart.wallet) == 7_500 and natural(s, chart.payable) == 2_500
        row = ledger.get_transfer(s, transfer_id=hold.id)
        assert (row.status, row.posted_fen, row.released_fen) == ("posted", 2_500, 2_500)
        assert ledger.check_consistency(s) == []


def test_a_reversal_is_a_new_transfer_and_the_original_stays(sessions: sessionmaker[Session], chart: Any, fund: Any) -> None:
    with unit_of_work(sessions) as s:
        fund(s, chart, 5_000)
        charge = ledger.transfer(s, idempotency_key="c", legs=[debit(chart.wallet, 2_000), credit(chart.payable, 2_000)])
        undo = ledger.reverse(s, idempotency_key="r", transfer_id=charge.id, memo="clawback")
        assert undo.parent_id == charge.id and undo.legs == tuple(type(x)(x.account_id, -x.amount_fen) for x in charge.legs)
        assert ledger.get_transfer(s, transfer_id=charge.id).status == "reversed"
        assert natural(s, chart.wallet) == 5_000 and natural(s, chart.payable) == 0
        assert ledger.check_consistency(s) == []


def test_same_key_and_body_replays_and_a_different_body_is_a_conflict(sessions: sessionmaker[Session],
                                                                       chart: Any, fund: Any) -> None:
    with unit_of_work(sessions) as s:
        fund(s, chart, 5_000)
        first = ledger.transfer(s, idempotency_key="k", legs=[debit(chart.wallet, 10), credit(chart.payable, 10)])
    with unit_of_work(sessions) as s:
        again = ledger.transfer(s, idempotency_key="k", legs=[debit(chart.wallet, 10), credit(chart.payable, 10)])
        assert again.id == first.id and again.replayed
        before = counts(s)
        with pytest.raises(IdempotencyConflict):
            ledger.transfer(s, idempotency_key="k", legs=[debit(chart.wallet, 11), credit(chart.payable, 11)])
        assert counts(s) == before and natural(s, chart.wallet) == 4_990


@pytest.mark.parametrize("key", ['quote"d', "back\\slash", "comma,{brace}", "space and 算力券", "NULL", "'"])
def test_a_key_with_array_or_json_syntax_in_it_is_found_again(sessions: sessionmaker[Session], chart: Any,
                                                              fund: Any, key: str) -> None:
    """The lock pass passes keys as one array literal (PostgreSQL) or JSON list (SQLite): a key that
    looks like that syntax is still one key, found again on replay, a hold and its post alike."""
    with unit_of_work(sessions) as s:
        fund(s, chart, 5_000)
        first = ledger.transfer(s, idempotency_key=key, legs=[debit(chart.wallet, 10), credit(chart.payable, 10)])
        hold = ledger.reserve(s, idempotency_key=key + ":hold", debit_account_id=chart.wallet,
                              credit_account_id=chart.payable, amount_fen=20)
    with unit_of_work(sessions) as s:
        again = ledger.transfer(s, idempotency_key=key, legs=[debit(chart.wallet, 10), credit(chart.payable, 10)])
        assert again.id == first.id and again.replayed
        with pytest.raises(IdempotencyConflict):
            ledger.transfer(s, idempotency_key=key, legs=[debit(chart.wallet, 11), credit(chart.payable, 11)])
    with unit_of_work(sessions) as s:
        assert ledger.reserve(s, idempotency_key=key + ":hold", debit_account_id=chart.wallet,
                              credit_account_id=chart.payable, amount_fen=20).id == hold.id
        posted = ledger.post(s, idempotency_key=key + ":post", pending_id=hold.id, amount_fen=15)
        assert ledger.post(s, idempotency_key=key + ":post", pending_id=hold.id, amount_fen=15).id == posted.id
        assert natural(s, chart.wallet) == 5_000 - 10 - 15 and ledger.check_consistency(s) == []


@pytest.mark.parametrize(("legs", "error"), [
    (lambda c: [debit(c.wallet, 10), credit(c.payable, 9)], UnbalancedTransfer),
    (lambda c: [debit(c.wallet, 0), credit(c.payable, 0)], InvalidAmount),
    (lambda c: [debit(c.wallet, 10), credit(999_999, 10)], UnknownAccount),
    (lambda c: [debit(c.wallet, 10_000), credit(c.payable, 10_000)], InsufficientFunds),
])
def test_bad_postings_are_refused_and_nothing_is_written(sessions: sessionmaker[Session], chart: Any,
                                                         legs: object, error: type[Exception], fund: Any) -> None:
    with unit_of_work(sessions) as s:
        fund(s, chart, 1_000)
        before = counts(s)
    with unit_of_work(sessions) as s, pytest.raises(error):
        ledger.transfer(s, idempotency_key="bad", legs=legs(chart))  # type: ignore[operator]
    with unit_of_work(sessions) as s:
        assert counts(s) == before and ledger.check_consistency(s) == []


def test_other_currencies_and_negative_holds_are_refused(session: Session, chart: Any) -> None:
    with pytest.raises(UnsupportedCurrency):
        ledger.transfer(session, idempotency_key="usd", legs=[debit(chart.cash, 1), credit(chart.budget, 1)],
                        currency="USD")
    with pytest.raises(InvalidAmount):
        ledger.reserve(session, idempotency_key="neg", debit_account_id=chart.receivable,
                       credit_account_id=chart.payable, amount_fen=-5)


def test_a_closed_period_refuses_postings_dated_inside_it(sessions: sessionmaker[Session], chart: Any) -> None:
    with unit_of_work(sessions) as s:
        ledger.close_period(s, month="2025-03", closed_by="finance")
    with unit_of_work(sessions) as s, pytest.raises(PeriodClosed):
        ledger.transfer(s, idempotency_key="late", legs=[debit(chart.cash, 5), credit(chart.budget, 5)],
                        effective_at=datetime(2025, 3, 15, tzinfo=UTC))
    with unit_of_work(sessions) as s:
        ledger.transfer(s, idempotency_key="now", legs=[debit(chart.cash, 5), credit(chart.budget, 5)],
                        effective_at=datetime(2025, 4, 1, tzinfo=UTC))
        assert counts(s) == (1, 2)


def test_an_account_statement_shows_a_running_balance(sessions: sessionmaker[Session], chart: Any, fund: Any) -> None:
    with unit_of_work(sessions) as s:
        fund(s, chart, 1_000)
        ledger.transfer(s, idempotency_key="x", legs=[debit(chart.wallet, 300), credit(chart.payable, 300)])
        statement = ledger.account_statement(s, account_id=chart.wallet)
        assert [e.amount_fen for e in statement.entries] == [1_000, -300]
        assert [e.balance_fen for e in statement.entries] == [1_000, 700] and statement.closing_fen == 700


def test_every_transfer_appends_its_event_once_and_a_replay_appends_none(
        sessions: sessionmaker[Session], chart: Any, fund: Any) -> None:
    """One transfer's event goes into the outbox in its write statement; the log keeps one entry per
    transfer, subject `ledger_transfer:<id>`, and a replayed request adds nothing."""
    from suanli.db.models.audit import AuditOutbox
    from suanli.services import audit

    def events(s: Session) -> list[tuple[str, str]]:
        return [(r.kind, r.subject) for r in s.scalars(select(AuditOutbox).order_by(AuditOutbox.id))]

    with unit_of_work(sessions) as s:
        fund(s, chart, 100_000)
        before = len(events(s))
    with unit_of_work(sessions) as s:
        hold = ledger.reserve(s, idempotency_key="job:9:wallet", debit_account_id=chart.wallet,
                              credit_account_id=chart.payable, amount_fen=30_000, source_kind="job", source_id="9")
    with unit_of_work(sessions) as s:
        posted = ledger.post(s, idempotency_key="job:9:post", pending_id=hold.id, amount_fen=1_000)
    with unit_of_work(sessions) as s:  # the same request again: a replay, nothing new
        again = ledger.post(s, idempotency_key="job:9:post", pending_id=hold.id, amount_fen=1_000)
        assert again.replayed and again.id == posted.id
    with unit_of_work(sessions) as s:
        clearing = hold.legs[1].account_id  # opened by the first hold on the wallet, and logged before it
        assert events(s)[before:] == [("ledger.account_opened", f"ledger_account:{clearing}"),
                                      ("ledger.reserve_posted", f"ledger_transfer:{hold.id}"),
                                      ("ledger.post_posted", f"ledger_transfer:{posted.id}")]
        sequenced = audit.sequence_pending(s)
    logged = {e.event["subject"]: e.event for e in sequenced}
    assert logged[f"ledger_transfer:{posted.id}"]["payload"]["idempotency_key"] == "job:9:post"
    assert logged[f"ledger_transfer:{hold.id}"]["payload"]["legs"] == [[x.account_id, x.amount_fen] for x in hold.legs]


def test_a_lone_post_or_void_answers_from_its_one_lock_statement_as_the_two_step_pass_would(
        sessions: sessionmaker[Session], chart: Any, fund: Any) -> None:
    """A lone post or void locks its hold and the hold's accounts in one statement, which also counts
    used keys and closed months: each of those answers, and a transfer that is no hold, still holds."""
    with unit_of_work(sessions) as s:
        fund(s, chart, 10_000)
        hold = ledger.reserve(s, idempotency_key="h", debit_account_id=chart.wallet, credit_account_id=chart.payable,
                              amount_fen=4_000, effective_at=datetime(2025, 3, 10, tzinfo=UTC))
        immediate = ledger.transfer(s, idempotency_key="i", legs=[debit(chart.wallet, 10), credit(chart.payable, 10)])
    for not_a_hold in (immediate.id, 999_999):
        for act in (lambda s, n: ledger.post(s, idempotency_key=f"p{n}", pending_id=n),
                    lambda s, n: ledger.void(s, idempotency_key=f"v{n}", pending_id=n)):
            with unit_of_work(sessions) as s, pytest.raises(UnknownTransfer):
                act(s, not_a_hold)
    with unit_of_work(sessions) as s:
        ledger.close_period(s, month="2025-03", closed_by="finance")
    with unit_of_work(sessions) as s, pytest.raises(PeriodClosed):
        ledger.post(s, idempotency_key="late", pending_id=hold.id, amount_fen=1_000,
                    effective_at=datetime(2025, 3, 20, tzinfo=UTC))
    with unit_of_work(sessions) as s:
        posted = ledger.post(s, idempotency_key="p", pending_id=hold.id, amount_fen=1_000)
    with unit_of_work(sessions) as s:
        again = ledger.post(s, idempotency_key="p", pending_id=hold.id, amount_fen=1_000)
        assert again.replayed and again.id == posted.id
        with pytest.raises(IdempotencyConflict):
            ledger.post(s, idempotency_key="p", pending_id=hold.id, amount_fen=999)
        assert natural(s, chart.wallet) == 10_000 - 10 - 1_000 and natural(s, chart.payable) == 1_010
        assert ledger.check_consistency(s) == []
