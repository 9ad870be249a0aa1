"""Accounting periods, account statements (movements with running balance) and the consistency check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.ledger import LedgerAccountRow
from suanli.db.repositories import ledger as repo
from suanli.domain.ledger.periods import check_month, month_bounds
from suanli.domain.money import Fen
from suanli.services.ledger.accounts import audit, get_account


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
