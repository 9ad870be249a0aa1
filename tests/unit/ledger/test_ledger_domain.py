"""Worked accounting examples for the pure ledger rules: balanced legs, sign convention, overdrafts,
holds, reversals, idempotency, periods."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from suanli.domain.errors import IdempotencyConflict
from suanli.domain.ledger import (
    AccountPurpose,
    AccountState,
    AccountType,
    Hold,
    InsufficientFunds,
    InvalidAmount,
    Leg,
    OwnerKind,
    PostExceedsReservation,
    TransferNotPending,
    TransferStatus,
    UnbalancedTransfer,
    UnknownAccount,
    UnsupportedCurrency,
    account_code,
    apply_legs,
    check_currency,
    check_legs,
    credit,
    debit,
    leg,
    post_legs,
    reserve_legs,
    reversal_legs,
    status_after,
    void_legs,
)
from suanli.domain.ledger.idempotency import check_replay, request_hash
from suanli.domain.ledger.periods import month_bounds, period_of

WALLET = AccountState(1, "voucher_wallet:organisation:7:program:1", -1, True, -1_000)  # holds ¥10.00
PAYABLE = AccountState(2, "provider_payable:organisation:9", -1, True, 0)
RECEIVABLE = AccountState(3, "org_receivable:organisation:7", 1, False, 0)


def test_debits_are_positive_and_credits_negative() -> None:
    assert debit(1, 5) == Leg(1, 5) and credit(1, 5) == Leg(1, -5) and leg(1, "credit", 5) == Leg(1, -5)


def test_liabilities_and_income_are_credit_normal() -> None:
    assert [t.normal_sign for t in AccountType] == [1, -1, -1, 1, -1]


def test_a_transfer_must_balance_over_distinct_accounts() -> None:
    assert check_legs([debit(1, 5), credit(2, 3), credit(3, 2)])
    with pytest.raises(UnbalancedTransfer):
        check_legs([debit(1, 5), credit(2, 4)])
    with pytest.raises(UnbalancedTransfer):
        check_legs([debit(1, 5), credit(1, 5)])
    with pytest.raises(UnbalancedTransfer):
        check_legs([debit(1, 5)])


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "5"])
def test_leg_amounts_are_positive_whole_fen(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        debit(1, amount)  # type: ignore[arg-type]


def test_only_cny_is_accepted() -> None:
    assert check_currency("CNY") == "CNY"
    with pytest.raises(UnsupportedCurrency):
        check_currency("USD")


def test_a_wallet_can_pay_what_it_holds_and_not_a_fen_more() -> None:
    states = {1: WALLET, 2: PAYABLE}
    assert apply_legs(states, [debit(1, 1_000), credit(2, 1_000)]) == {1: 0, 2: -1_000}
    with pytest.raises(InsufficientFunds):
        apply_legs(states, [debit(1, 1_001), credit(2, 1_001)])


def test_a_receivable_may_go_negative_when_an_organisation_prepays() -> None:
    cash = AccountState(4, "cash:platform", 1, True, 0)
    assert apply_legs({3: RECEIVABLE, 4: cash}, [credit(3, 50), debit(4, 50)]) == {3: -50, 4: 50}
    with pytest.raises(UnknownAccount):
        apply_legs({3: RECEIVABLE}, [credit(3, 50), debit(99, 50)])


def hold(amount: int = 1_000, posted: int = 0, released: int = 0) -> Hold:
    return Hold(10, 1, 2, 5, amount, posted, released, TransferStatus.PENDING)


def test_a_hold_parks_money_in_clearing_and_posting_releases_the_rest() -> None:
    assert reserve_legs(debit_account_id=1, clearing_account_id=5, amount_fen=1_000) == (Leg(1, 1_000), Leg(5, -1_000))
    legs, released = post_legs(hold(), 600)
    assert legs == (Leg(5, 1_000), Leg(2, -600), Leg(1, -400)) and released == 400
    assert status_after(hold(), posted_fen=600, released_fen=400) == TransferStatus.POSTED


def test_partial_posts_keep_a_hold_pending_and_void_releases_what_remains() -> None:
    legs, released = post_legs(hold(), 300, final=False)
    assert legs == (Leg(5, 300), Leg(2, -300)) and released == 0
    assert status_after(hold(), posted_fen=300, released_fen=0) == TransferStatus.PENDING
    assert void_legs(hold(posted=300)) == (Leg(5, 700), Leg(1, -700))
    assert status_after(hold(), posted_fen=0, released_fen=1_000) == TransferStatus.VOIDED


def test_a_hold_cannot_post_more_than_it_reserved_or_after_it_is_done() -> None:
    with pytest.raises(PostExceedsReservation):
        post_legs(hold(posted=500), 501)
    with pytest.raises(TransferNotPending):
        void_legs(hold(posted=400, released=600))


def test_a_reversal_negates_every_leg() -> None:
    assert reversal_legs([debit(1, 5), credit(2, 5)]) == (Leg(1, -5), Leg(2, 5))


def test_the_same_key_with_another_body_is_a_conflict() -> None:
    first = request_hash({"b": 1, "a": [1, 2]})
    assert first == request_hash({"a": [1, 2], "b": 1})  # canonical: key order does not matter
    check_replay("k", first, first)
    with pytest.raises(IdempotencyConflict):
        check_replay("k", first, request_hash({"a": [1, 2], "b": 2}))


def test_periods_are_months_in_china_standard_time() -> None:
    assert period_of(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == "2026-02"  # 00:30 on 1 Feb in Chengdu
    start, end = month_bounds("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-11-30T16:00:00+00:00", "2026-12-31T16:00:00+00:00")


def test_account_codes_name_purpose_owner_and_scope() -> None:
    assert account_code(AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, 7, "program:1") == \
        "voucher_wallet:organisation:7:program:1"
