"""Accounts (open, find, list, balance from legs) and accounting periods (open, close, list)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from suanli.db.models.ledger import (
    LedgerAccountRow,
    LedgerPeriodRow,
)
from suanli.db.repositories.ledger._common import A, L, _insert
from suanli.db.repositories.paging import keyset

# --- accounts ---------------------------------------------------------------------------------------


def get_account(session: Session, account_id: int) -> LedgerAccountRow | None:
    return session.get(A, account_id, populate_existing=True)


def get_account_by_code(session: Session, code: str) -> LedgerAccountRow | None:
    return session.scalar(select(A).where(A.code == code).execution_options(populate_existing=True))


def account_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(A.id).where(A.code == code))


def insert_account(session: Session, values: dict[str, Any]) -> int:
    """Create the account unless one with the same code exists (concurrent openers both succeed)."""
    statement = _insert(session, A).values(balance_fen=0, **values).on_conflict_do_nothing(index_elements=["code"])
    session.execute(statement)
    found = account_id_by_code(session, values["code"])
    assert found is not None
    return found


def list_accounts(session: Session, *, owner_kind: str | None = None, owner_id: int | None = None,
                  purpose: str | None = None, after: int | None = None, offset: int = 0,
                  limit: int | None = None) -> Sequence[LedgerAccountRow]:
    query = keyset(select(A), A.id, after=after, offset=offset, limit=limit).execution_options(populate_existing=True)
    if owner_kind is not None:
        query = query.where(A.owner_kind == owner_kind)
    if owner_id is not None:
        query = query.where(A.owner_id == owner_id)
    if purpose is not None:
        query = query.where(A.purpose == purpose)
    return session.scalars(query).all()


def balance_from_legs(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(L.amount_fen), 0)).where(L.account_id == account_id)) or 0)


# --- periods ---------------------------------------------------------------------------------------------


def period_closed(session: Session, month: str) -> bool:
    return bool(session.scalar(select(LedgerPeriodRow.closed).where(LedgerPeriodRow.month == month)))


def close_period(session: Session, month: str, *, closed_at: datetime, closed_by: str) -> None:
    session.execute(_insert(session, LedgerPeriodRow).values(month=month, closed=False, created_at=closed_at)
                    .on_conflict_do_nothing(index_elements=["month"]))
    session.execute(update(LedgerPeriodRow).where(LedgerPeriodRow.month == month)
                    .values(closed=True, closed_at=closed_at, closed_by=closed_by))


def list_periods(session: Session) -> Sequence[LedgerPeriodRow]:
    return session.scalars(select(LedgerPeriodRow).order_by(LedgerPeriodRow.month)).all()
