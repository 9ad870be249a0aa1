"""Pending (two-phase) transfers: reserve a hold, post (part of) it, void the rest.

A hold moves the amount from the debit account into the owner's clearing account at once, so an
account that must stay non-negative cannot promise the same fen twice. Posting moves up to the
remaining hold from clearing to the credit account; `final=True` (the default) releases whatever is
left back to the debit account in the same transfer. Voiding releases all that is left. Every step is
its own balanced transfer; the original hold row only changes status.
"""

from __future__ import annotations

from dataclasses import dataclass

from suanli.domain.ledger.errors import InvalidAmount, PostExceedsReservation, TransferNotPending
from suanli.domain.ledger.transfers import Leg, TransferStatus, credit, debit
from suanli.domain.money import Fen, format_yuan


@dataclass(frozen=True, slots=True)
class Hold:
    transfer_id: int
    debit_account_id: int
    credit_account_id: int
    clearing_account_id: int
    amount_fen: Fen  # reserved
    posted_fen: Fen  # moved to the credit account so far
    released_fen: Fen  # returned to the debit account
    status: TransferStatus

    @property
    def remaining_fen(self) -> Fen:
        return self.amount_fen - self.posted_fen - self.released_fen


def reserve_legs(*, debit_account_id: int, clearing_account_id: int, amount_fen: Fen) -> tuple[Leg, ...]:
    return (debit(debit_account_id, amount_fen), credit(clearing_account_id, amount_fen))


def post_legs(hold: Hold, amount_fen: Fen, *, final: bool = True) -> tuple[tuple[Leg, ...], Fen]:
    """Legs that post `amount_fen` of the hold (and release the rest when final), and the amount released."""
    _require_pending(hold)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise InvalidAmount(f"posted amount must be zero or more fen, got {amount_fen!r}")
    if amount_fen > hold.remaining_fen:
        raise PostExceedsReservation(
            f"cannot post {format_yuan(amount_fen)}: only {format_yuan(hold.remaining_fen)} remains reserved",
            reserved_fen=hold.remaining_fen)
    released = hold.remaining_fen - amount_fen if final else 0
    if amount_fen == 0 and released == 0:
        raise InvalidAmount("posting zero fen without releasing anything moves nothing")
    legs = [debit(hold.clearing_account_id, amount_fen + released)]
    if amount_fen:
        legs.append(credit(hold.credit_account_id, amount_fen))
    if released:
        legs.append(credit(hold.debit_account_id, released))
    return tuple(legs), released


def void_legs(hold: Hold) -> tuple[Leg, ...]:
    _require_pending(hold)
    return (debit(hold.clearing_account_id, hold.remaining_fen), credit(hold.debit_account_id, hold.remaining_fen))


def status_after(hold: Hold, *, posted_fen: Fen, released_fen: Fen) -> TransferStatus:
    """Still pending while something stays reserved; afterwards posted if anything was posted, else voided."""
    if hold.remaining_fen - posted_fen - released_fen > 0:
        return TransferStatus.PENDING
    return TransferStatus.POSTED if hold.posted_fen + posted_fen > 0 else TransferStatus.VOIDED


def _require_pending(hold: Hold) -> None:
    if hold.status != TransferStatus.PENDING or hold.remaining_fen <= 0:
        raise TransferNotPending(f"transfer {hold.transfer_id} is {hold.status.value}, not pending",
                                 transfer=hold.transfer_id, transfer_status=hold.status.value)
