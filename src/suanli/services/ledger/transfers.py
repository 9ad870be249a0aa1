"""Moving money one request at a time: immediate transfers, two-phase holds (reserve -> post -> void)
and reversals, each with its idempotency key; and reading transfers back.

Each call is the write path (`writes.write`) with a list of one request; `redeem_batch` is the same
path with many.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.db.repositories import ledger as repo
from suanli.domain.ledger import Leg, UnknownTransfer
from suanli.domain.ledger.requests import (
    Checked,
    Immediate,
    Post,
    Request,
    Reserve,
    Reverse,
    Void,
    body_of,
    check_request,
)
from suanli.domain.money import CURRENCY, Fen
from suanli.services.ledger.writes import TransferResult, result_of, write


def _one(session: Session, request: Request) -> TransferResult:
    request = check_request(request)
    return write(session, [Checked(0, request, body_of(request))])[0]


def transfer(session: Session, *, idempotency_key: str, legs: Sequence[Leg], memo: str = "",
             source_kind: str = "manual", source_id: str = "", currency: str = CURRENCY,
             effective_at: datetime | None = None) -> TransferResult:
    """Post a balanced transfer at once."""
    return _one(session, Immediate(idempotency_key, tuple(legs), memo, source_kind, source_id, currency, effective_at))


def reserve(session: Session, *, idempotency_key: str, debit_account_id: int, credit_account_id: int,
            amount_fen: Fen, memo: str = "", source_kind: str = "manual", source_id: str = "",
            currency: str = CURRENCY, effective_at: datetime | None = None) -> TransferResult:
    """Open a hold: `amount_fen` leaves the debit account now and waits in clearing for post or void."""
    return _one(session, Reserve(idempotency_key, debit_account_id, credit_account_id, amount_fen, memo, source_kind,
                                 source_id, currency, effective_at))


def post(session: Session, *, idempotency_key: str, pending_id: int, amount_fen: Fen | None = None,
         final: bool = True, memo: str = "", source_kind: str | None = None, source_id: str | None = None,
         effective_at: datetime | None = None) -> TransferResult:
    """Post `amount_fen` (default: all that remains) of a hold; when final, release the rest."""
    return _one(session, Post(idempotency_key, pending_id, amount_fen, final, memo, source_kind, source_id,
                              effective_at))


def void(session: Session, *, idempotency_key: str, pending_id: int, memo: str = "",
         effective_at: datetime | None = None) -> TransferResult:
    """Release all that remains of a hold back to the debit account."""
    return _one(session, Void(idempotency_key, pending_id, memo, effective_at))


def reverse(session: Session, *, idempotency_key: str, transfer_id: int, memo: str = "",
            effective_at: datetime | None = None) -> TransferResult:
    """Undo a posted transfer with a new transfer of negated legs; the original is marked reversed."""
    return _one(session, Reverse(idempotency_key, transfer_id, memo, effective_at))


def get_transfer(session: Session, *, transfer_id: int) -> TransferResult:
    rows, legs = repo.transfers_with_legs(session, [transfer_id])
    if transfer_id not in rows:
        raise UnknownTransfer(f"transfer {transfer_id} does not exist", transfer=transfer_id)
    return result_of(rows[transfer_id], legs[transfer_id])


def list_transfers(session: Session, *, account_id: int | None = None, source_kind: str | None = None,
                   source_id: str | None = None, after: int | None = None, offset: int = 0,
                   limit: int | None = 100) -> list[TransferResult]:
    """Transfers newest first, from before the cursor `after` (a transfer id); every one when `limit` is None."""
    rows = repo.list_transfers(session, account_id=account_id, source_kind=source_kind, source_id=source_id,
                               after=after, offset=offset, limit=limit)
    legs = repo.legs_of(session, [r.id for r in rows])
    return [result_of(r, legs[r.id]) for r in rows]
