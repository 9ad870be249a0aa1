"""The ledger's use cases: open accounts, move money in balanced transfers, two-phase holds
(reserve -> post -> void), reversals, balances, account statements and accounting periods.

Every write follows one order so many writers are correct together: replay check by idempotency key,
lock the hold (if any), lock the involved accounts in id order (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), check the period and the balances
in the domain, insert, append an audit event. The database re-checks every invariant (migration 0002).
Services only flush; the caller's unit of work commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.ledger import LedgerAccountRow, LedgerTransferRow
from suanli.db.repositories import ledger as repo
from suanli.domain.ledger import (
    PURPOSES,
    AccountPurpose,
    Hold,
    Leg,
    OwnerKind,
    TransferKind,
    TransferStatus,
    UnknownAccount,
    UnknownTransfer,
    account_code,
    apply_legs,
    check_currency,
    check_legs,
    post_legs,
    reserve_legs,
    reversal_legs,
    status_after,
    void_legs,
)
from suanli.domain.ledger.idempotency import check_key, check_replay, request_hash
from suanli.domain.ledger.periods import check_month, check_open, month_bounds, period_of
from suanli.domain.ledger.transfers import check_reversible, positive_amount
from suanli.domain.money import CURRENCY, Fen
from suanli.services.audit import record_event


@dataclass(frozen=True, slots=True)
class TransferResult:
    id: int
    idempotency_key: str
    kind: str
    status: str
    amount_fen: Fen
    legs: tuple[Leg, ...]
    parent_id: int | None
    source_kind: str
    source_id: str
    memo: str
    period: str
    effective_at: datetime
    posted_fen: Fen = 0
    released_fen: Fen = 0
    replayed: bool = False  # True when this answers a repeated request with the original result


def audit(session: Session, kind: str, subject: str, payload: dict[str, Any], organisation_id: int | None = None) -> None:
    """Append to the transparency log in this transaction (the seam to issue 7's `record_event`)."""
    record_event(session, kind=kind, subject=subject, payload=payload, organisation_id=organisation_id)


# --- accounts ------------------------------------------------------------------------------------------


def open_account(session: Session, *, purpose: AccountPurpose | str, owner_kind: OwnerKind | str,
                 owner_id: int | None = None, scope: str = "", name: str | None = None) -> LedgerAccountRow:
    """The account for this purpose and owner, created on first use (idempotent, race-safe)."""
    purpose, owner_kind = AccountPurpose(purpose), OwnerKind(owner_kind)
    code = account_code(purpose, owner_kind, owner_id, scope)
    existing = repo.get_account_by_code(session, code)
    if existing is not None:
        return existing
    rule = PURPOSES[purpose]
    account_id = repo.insert_account(session, {
        "code": code, "name": name or code, "type": rule.type.value, "purpose": purpose.value,
        "owner_kind": owner_kind.value, "owner_id": owner_id, "scope": scope, "currency": CURRENCY,
        "normal_sign": rule.type.normal_sign, "non_negative": rule.non_negative, "created_at": utcnow()})
    audit(session, "ledger.account_opened", f"ledger_account:{account_id}", {"code": code, "type": rule.type.value})
    row = repo.get_account(session, account_id)
    assert row is not None
    return row


def get_account(session: Session, *, account_id: int) -> LedgerAccountRow:
    row = repo.get_account(session, account_id)
    if row is None:
        raise UnknownAccount(f"account {account_id} does not exist", account=account_id)
    return row


def natural_balance(row: LedgerAccountRow) -> Fen:
    return int(row.balance_fen) * row.normal_sign


def list_accounts(session: Session, *, owner_kind: str | None = None, owner_id: int | None = None,
                  purpose: str | None = None, offset: int = 0, limit: int = 500) -> Sequence[LedgerAccountRow]:
    return repo.list_accounts(session, owner_kind=owner_kind, owner_id=owner_id, purpose=purpose,
                              offset=offset, limit=limit)


def clearing_account_for(session: Session, account: LedgerAccountRow) -> int:
    """Holds are parked in a clearing account of the debited account's owner (one per owner, so
    unrelated holds never queue on one hot row)."""
    return open_account(session, purpose=AccountPurpose.CLEARING, owner_kind=account.owner_kind,
                        owner_id=account.owner_id).id


# --- transfers -------------------------------------------------------------------------------------------


def transfer(session: Session, *, idempotency_key: str, legs: Sequence[Leg], memo: str = "",
             source_kind: str = "manual", source_id: str = "", currency: str = CURRENCY,
             effective_at: datetime | None = None) -> TransferResult:
    """Post a balanced transfer at once."""
    check_currency(currency)
    legs = check_legs(legs)
    body = _body("transfer", legs=[[x.account_id, x.amount_fen] for x in legs], memo=memo,
                 source=[source_kind, source_id], effective_at=effective_at)
    amount = sum(x.amount_fen for x in legs if x.amount_fen > 0)
    return _write(session, key=idempotency_key, body=body, legs=legs, kind=TransferKind.IMMEDIATE,
                  status=TransferStatus.POSTED, amount=amount, memo=memo, source=(source_kind, source_id),
                  effective_at=effective_at)


def reserve(session: Session, *, idempotency_key: str, debit_account_id: int, credit_account_id: int,
            amount_fen: Fen, memo: str = "", source_kind: str = "manual", source_id: str = "",
            currency: str = CURRENCY, effective_at: datetime | None = None) -> TransferResult:
    """Open a hold: `amount_fen` leaves the debit account now and waits in clearing for post or void."""
    check_currency(currency)
    positive_amount(amount_fen)
    body = _body("reserve", debit=debit_account_id, credit=credit_account_id, amount=amount_fen, memo=memo,
                 source=[source_kind, source_id], effective_at=effective_at)
    replay = _replay(session, idempotency_key, body)
    if replay is not None:
        return replay
    owners = repo.owners(session, [debit_account_id, credit_account_id])
    for account_id in (debit_account_id, credit_account_id):
        if account_id not in owners:
            raise UnknownAccount(f"account {account_id} does not exist", account=account_id)
    if credit_account_id == debit_account_id:
        raise UnknownAccount("a hold needs a credit account other than its debit account", account=credit_account_id)
    kind, owner = owners[debit_account_id]
    clearing = (repo.account_id_by_code(session, account_code(AccountPurpose.CLEARING, OwnerKind(kind), owner))
                or open_account(session, purpose=AccountPurpose.CLEARING, owner_kind=kind, owner_id=owner).id)
    legs = reserve_legs(debit_account_id=debit_account_id, clearing_account_id=clearing, amount_fen=amount_fen)
    return _write(session, key=idempotency_key, body=body, legs=legs, kind=TransferKind.RESERVE,
                  status=TransferStatus.PENDING, amount=amount_fen, memo=memo, source=(source_kind, source_id),
                  effective_at=effective_at, checked=True,
                  extra={"debit_account_id": debit_account_id, "credit_account_id": credit_account_id,
                         "clearing_account_id": clearing})


def post(session: Session, *, idempotency_key: str, pending_id: int, amount_fen: Fen | None = None,
         final: bool = True, memo: str = "", source_kind: str | None = None, source_id: str | None = None,
         effective_at: datetime | None = None) -> TransferResult:
    """Post `amount_fen` (default: all that remains) of a hold; when final, release the rest."""
    body = _body("post", pending=pending_id, amount=amount_fen, final=final, memo=memo,
                 source=[source_kind, source_id], effective_at=effective_at)
    row, hold = _lock_hold(session, pending_id)  # first the hold, so a concurrent replay is seen after it
    replay = _replay(session, idempotency_key, body)
    if replay is not None:
        return replay
    amount = hold.remaining_fen if amount_fen is None else amount_fen
    legs, released = post_legs(hold, amount, final=final)
    return _settle(session, row, hold, key=idempotency_key, body=body, legs=legs, kind=TransferKind.POST,
                   posted=amount, released=released, memo=memo, source=(source_kind, source_id),
                   effective_at=effective_at)


def void(session: Session, *, idempotency_key: str, pending_id: int, memo: str = "",
         effective_at: datetime | None = None) -> TransferResult:
    """Release all that remains of a hold back to the debit account."""
    body = _body("void", pending=pending_id, memo=memo, effective_at=effective_at)
    row, hold = _lock_hold(session, pending_id)  # first the hold, so a concurrent replay is seen after it
    replay = _replay(session, idempotency_key, body)
    if replay is not None:
        return replay
    legs = void_legs(hold)
    return _settle(session, row, hold, key=idempotency_key, body=body, legs=legs, kind=TransferKind.VOID,
                   posted=0, released=hold.remaining_fen, memo=memo, source=(None, None), effective_at=effective_at)


def reverse(session: Session, *, idempotency_key: str, transfer_id: int, memo: str = "",
            effective_at: datetime | None = None) -> TransferResult:
    """Undo a posted transfer with a new transfer of negated legs; the original is marked reversed."""
    body = _body("reverse", transfer=transfer_id, memo=memo, effective_at=effective_at)
    row = repo.get_transfer(session, transfer_id, for_update=True)
    if row is None:
        raise UnknownTransfer(f"transfer {transfer_id} does not exist", transfer=transfer_id)
    replay = _replay(session, idempotency_key, body)
    if replay is not None:
        return replay
    check_reversible(TransferStatus(row.status), TransferKind(row.kind))
    legs = reversal_legs(repo.legs_of(session, [row.id])[row.id])
    result = _write(session, key=idempotency_key, body=body, legs=legs, kind=TransferKind.REVERSAL,
                    status=TransferStatus.POSTED, amount=int(row.amount_fen), memo=memo or f"reversal of {row.id}",
                    source=(row.source_kind, row.source_id), effective_at=effective_at, parent_id=row.id,
                    checked=True)
    if not result.replayed:
        repo.update_transfer(session, row.id, status=TransferStatus.REVERSED.value)
    return result


def get_transfer(session: Session, *, transfer_id: int) -> TransferResult:
    row = repo.get_transfer(session, transfer_id)
    if row is None:
        raise UnknownTransfer(f"transfer {transfer_id} does not exist", transfer=transfer_id)
    return _result(row, repo.legs_of(session, [row.id])[row.id])


def list_transfers(session: Session, *, account_id: int | None = None, source_kind: str | None = None,
                   source_id: str | None = None, offset: int = 0, limit: int = 100) -> list[TransferResult]:
    rows = repo.list_transfers(session, account_id=account_id, source_kind=source_kind, source_id=source_id,
                               offset=offset, limit=limit)
    legs = repo.legs_of(session, [r.id for r in rows])
    return [_result(r, legs[r.id]) for r in rows]


# --- periods and statements ---------------------------------------------------------------------------


def close_period(session: Session, *, month: str, closed_by: str) -> None:
    """Close an accounting month: no transfer dated inside it can be written any more."""
    repo.close_period(session, check_month(month), closed_at=utcnow(), closed_by=closed_by)
    audit(session, "ledger.period_closed", f"ledger_period:{month}", {"month": month, "closed_by": closed_by})


@dataclass(frozen=True, slots=True)
class StatementEntry:
    transfer_id: int
    effective_at: datetime
    kind: str
    memo: str
    source: str
    amount_fen: Fen  # natural sign: + increases this account's balance
    balance_fen: Fen


@dataclass(frozen=True, slots=True)
class AccountStatement:
    account: LedgerAccountRow
    month: str | None
    opening_fen: Fen
    entries: list[StatementEntry]
    closing_fen: Fen


def account_statement(session: Session, *, account_id: int, month: str | None = None) -> AccountStatement:
    """An account's movements (in natural sign) with running balance, for one month or all time."""
    account = get_account(session, account_id=account_id)
    start, end = month_bounds(month) if month else (None, None)
    running = repo.sum_before(session, account_id, start) * account.normal_sign if start else 0
    opening, entries = running, []
    for row in repo.account_entries(session, account_id, start=start, end=end):
        amount = int(row.amount_fen) * account.normal_sign
        running += amount
        entries.append(StatementEntry(row.transfer_id, row.effective_at, row.kind, row.memo,
                                      f"{row.source_kind}:{row.source_id}", amount, running))
    return AccountStatement(account, month, opening, entries, running)


def check_consistency(session: Session) -> list[str]:
    return repo.check_consistency(session)


# --- the write path -------------------------------------------------------------------------------------


def _body(op: str, *, effective_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"op": op, "currency": CURRENCY, **fields}
    if effective_at is not None:  # a defaulted "now" must not make a retry look like a new request
        body["effective_at"] = effective_at.isoformat()
    return body


def _replay(session: Session, key: str, body: dict[str, Any]) -> TransferResult | None:
    check_key(key)
    found = repo.find_transfer_by_key(session, key)
    if found is None:
        return None
    check_replay(key, found.request_hash, request_hash(body))
    row = repo.get_transfer(session, found.id)
    assert row is not None
    return replace(_result(row, repo.legs_of(session, [row.id])[row.id]), replayed=True)


def _lock_hold(session: Session, pending_id: int) -> tuple[LedgerTransferRow, Hold]:
    row = repo.get_transfer(session, pending_id, for_update=True)
    if row is None or row.kind != TransferKind.RESERVE.value:
        raise UnknownTransfer(f"transfer {pending_id} is not a hold", transfer=pending_id)
    return row, repo.hold_of(row)


def _settle(session: Session, row: LedgerTransferRow, hold: Hold, *, key: str, body: dict[str, Any],
            legs: Sequence[Leg], kind: TransferKind, posted: Fen, released: Fen, memo: str,
            source: tuple[str | None, str | None], effective_at: datetime | None) -> TransferResult:
    source = (source[0] or row.source_kind, source[1] if source[1] is not None else row.source_id)
    result = _write(session, key=key, body=body, legs=legs, kind=kind, status=TransferStatus.POSTED,
                    amount=posted + released, memo=memo, source=source, effective_at=effective_at,
                    parent_id=row.id, checked=True)
    if result.replayed:
        return result
    repo.update_transfer(session, row.id, posted_fen=hold.posted_fen + posted, released_fen=hold.released_fen + released,
                         status=status_after(hold, posted_fen=posted, released_fen=released).value)
    return result


def _write(session: Session, *, key: str, body: dict[str, Any], legs: Sequence[Leg], kind: TransferKind,
           status: TransferStatus, amount: Fen, memo: str, source: tuple[str, str],
           effective_at: datetime | None, parent_id: int | None = None, checked: bool = False,
           extra: dict[str, Any] | None = None) -> TransferResult:
    if not checked:
        replay = _replay(session, key, body)
        if replay is not None:
            return replay
    moment = effective_at or utcnow()
    period = period_of(moment)
    check_open(period, repo.period_closed(session, period))
    states = repo.lock_accounts(session, [x.account_id for x in legs])
    apply_legs(states, legs)
    values = {"idempotency_key": key, "request_hash": request_hash(body), "kind": kind.value,
              "status": status.value, "amount_fen": amount, "currency": CURRENCY, "memo": memo[:500],
              "source_kind": source[0], "source_id": source[1], "period": period, "effective_at": moment,
              "parent_id": parent_id, "created_at": utcnow(), **(extra or {})}
    transfer_id = repo.insert_transfer(session, values, legs)
    if transfer_id is None:  # the same key was committed by a concurrent writer: answer as a replay
        replay = _replay(session, key, body)
        assert replay is not None
        return replay
    audit(session, f"ledger.{kind.value}_posted", f"ledger_transfer:{transfer_id}",
          {"idempotency_key": key, "kind": kind.value, "amount_fen": amount, "parent_id": parent_id,
           "source": f"{source[0]}:{source[1]}", "legs": [[x.account_id, x.amount_fen] for x in legs]})
    return TransferResult(transfer_id, key, kind.value, status.value, amount, tuple(legs), parent_id, source[0],
                          source[1], values["memo"], period, moment)


def _result(row: LedgerTransferRow, legs: Sequence[Leg]) -> TransferResult:
    return TransferResult(row.id, row.idempotency_key, row.kind, row.status, int(row.amount_fen), tuple(legs),
                          row.parent_id, row.source_kind, row.source_id, row.memo, row.period, row.effective_at,
                          int(row.posted_fen), int(row.released_fen))
