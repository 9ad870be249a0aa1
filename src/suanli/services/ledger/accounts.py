"""Ledger accounts as use cases: open (idempotent, race-safe), look up, list, natural balances, and
the audit seam every ledger write goes through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.ledger import LedgerAccountRow
from suanli.db.repositories import ledger as repo
from suanli.domain.ledger import PURPOSES, AccountPurpose, OwnerKind, UnknownAccount, account_code
from suanli.domain.money import CURRENCY, Fen
from suanli.services.audit import record_event

Event = tuple[str, str, dict[str, Any], int | None]  # (kind, subject, payload, organisation_id)


def audit(session: Session, kind: str, subject: str, payload: dict[str, Any], organisation_id: int | None = None) -> None:
    """Append to the transparency log in this transaction (the seam to issue 7's `record_event`)."""
    record_event(session, kind=kind, subject=subject, payload=payload, organisation_id=organisation_id)


def open_account(session: Session, *, purpose: AccountPurpose | str, owner_kind: OwnerKind | str,
                 owner_id: int | None = None, scope: str = "", name: str | None = None,
                 events: list[Event] | None = None) -> LedgerAccountRow:
    """The account for this purpose and owner, created on first use (idempotent, race-safe).

    With `events`, the `ledger.account_opened` event is handed back there to be logged later with the
    caller's transfers (so the log's lock is still taken last), instead of being logged now."""
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
    event: Event = ("ledger.account_opened", f"ledger_account:{account_id}", {"code": code, "type": rule.type.value}, None)
    if events is None:
        audit(session, *event)
    else:
        events.append(event)
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
                  purpose: str | None = None, after: int | None = None, offset: int = 0,
                  limit: int | None = None) -> Sequence[LedgerAccountRow]:
    """Accounts in id order from after the cursor `after`; every one when `limit` is None."""
    return repo.list_accounts(session, owner_kind=owner_kind, owner_id=owner_id, purpose=purpose,
                              after=after, offset=offset, limit=limit)


def clearing_account_for(session: Session, account: LedgerAccountRow) -> int:
    """Holds are parked in a clearing account of the debited account's owner (one per owner, so
    unrelated holds never queue on one hot row)."""
    return open_account(session, purpose=AccountPurpose.CLEARING, owner_kind=account.owner_kind,
                        owner_id=account.owner_id).id
