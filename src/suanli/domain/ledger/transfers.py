"""Transfers: balanced sets of legs, and the checks every posting passes before it is written.

A transfer moves integer fen between at least two distinct accounts; its legs sum to zero (debits
positive, credits negative, see `accounts`), each leg is non-zero, the currency is CNY, and no
account that must stay non-negative ends below zero. Reversal is a new transfer with every leg negated;
nothing is ever edited or deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from suanli.domain.ledger.accounts import AccountState
from suanli.domain.ledger.errors import (
    InsufficientFunds,
    InvalidAmount,
    TransferNotReversible,
    UnbalancedTransfer,
    UnknownAccount,
    UnsupportedCurrency,
)
from suanli.domain.money import CURRENCY, Fen, format_yuan


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class TransferStatus(StrEnum):
    PENDING = "pending"  # a hold: reserved, not yet posted or voided
    POSTED = "posted"
    VOIDED = "voided"  # a hold released in full
    REVERSED = "reversed"  # posted, then undone by a reversal transfer


class TransferKind(StrEnum):
    IMMEDIATE = "immediate"
    RESERVE = "reserve"  # opens a hold (pending transfer)
    POST = "post"  # moves (part of) a hold to its destination
    VOID = "void"  # releases the rest of a hold
    REVERSAL = "reversal"


@dataclass(frozen=True, slots=True)
class Leg:
    account_id: int
    amount_fen: Fen  # > 0 debit, < 0 credit


def debit(account_id: int, amount_fen: Fen) -> Leg:
    return Leg(account_id, positive_amount(amount_fen))


def credit(account_id: int, amount_fen: Fen) -> Leg:
    return Leg(account_id, -positive_amount(amount_fen))


def leg(account_id: int, side: Side | str, amount_fen: Fen) -> Leg:
    """A leg from the outside form (side + positive amount) used by the API."""
    return debit(account_id, amount_fen) if Side(side) == Side.DEBIT else credit(account_id, amount_fen)


def positive_amount(amount_fen: object) -> Fen:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidAmount(f"amount must be an integer number of fen, got {amount_fen!r}")
    if amount_fen <= 0:
        raise InvalidAmount(f"amount must be more than zero fen, got {amount_fen}")
    return amount_fen


def check_currency(currency: str) -> str:
    if currency != CURRENCY:
        raise UnsupportedCurrency(f"currency {currency!r} is not supported; the ledger keeps {CURRENCY} only",
                                  currency=currency)
    return currency


def check_legs(legs: Sequence[Leg]) -> tuple[Leg, ...]:
    """Refuse a posting unless it has two or more non-zero legs on distinct accounts summing to zero."""
    if len(legs) < 2:
        raise UnbalancedTransfer("a transfer needs at least two legs")
    for one in legs:
        if isinstance(one.amount_fen, bool) or not isinstance(one.amount_fen, int) or one.amount_fen == 0:
            raise InvalidAmount(f"leg on account {one.account_id} has amount {one.amount_fen!r}; must be non-zero fen")
    accounts = [one.account_id for one in legs]
    if len(set(accounts)) != len(accounts):
        raise UnbalancedTransfer("each account may appear only once in a transfer")
    total = sum(one.amount_fen for one in legs)
    if total != 0:
        raise UnbalancedTransfer(f"legs sum to {total} fen, not zero", imbalance_fen=total)
    return tuple(legs)


def apply_legs(states: Mapping[int, AccountState], legs: Iterable[Leg]) -> dict[int, Fen]:
    """The raw balances after the legs; refuses unknown accounts, other currencies and overdrafts."""
    after: dict[int, Fen] = {}
    for one in legs:
        state = states.get(one.account_id)
        if state is None:
            raise UnknownAccount(f"account {one.account_id} does not exist", account=one.account_id)
        check_currency(state.currency)
        new = after.get(one.account_id, state.balance_fen) + one.amount_fen
        if state.non_negative and new * state.normal_sign < 0:
            raise InsufficientFunds(
                f"account {state.code} holds {format_yuan(state.natural_balance)}; "
                f"this transfer would take it to {format_yuan(new * state.normal_sign)}",
                account=state.id, balance_fen=state.natural_balance)
        after[one.account_id] = new
    return after


def reversal_legs(legs: Sequence[Leg]) -> tuple[Leg, ...]:
    return tuple(Leg(one.account_id, -one.amount_fen) for one in legs)


def check_reversible(status: TransferStatus, kind: TransferKind) -> None:
    """Only a posted movement of money can be reversed; holds are voided instead, and a reversal is
    itself reversed by posting the original again (a new transfer), never by reversing the reversal."""
    if status != TransferStatus.POSTED or kind in (TransferKind.RESERVE, TransferKind.REVERSAL):
        raise TransferNotReversible(f"a {kind.value} transfer in status {status.value} cannot be reversed")
