"""Reading transfers, legs, holds and account entries; updating a transfer's status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from suanli.db.models.ledger import (
    LedgerTransferRow,
)
from suanli.db.repositories.ledger._common import L, T
from suanli.db.repositories.ledger.writes import _LEGS, _TRANSFERS, TT, forget
from suanli.db.repositories.paging import keyset
from suanli.domain.ledger import Hold, Leg, TransferStatus


def transfers_with_legs(session: Session, transfer_ids: Sequence[int]) -> tuple[dict[int, Row[Any]], dict[int, list[Leg]]]:
    """Transfer rows and their legs (in posting order), by id, in two statements."""
    connection = session.connection()
    rows = {row.id: row for row in connection.execute(_TRANSFERS, {"ids": list(transfer_ids)})}
    legs: dict[int, list[Leg]] = {tid: [] for tid in transfer_ids}
    for row in connection.execute(_LEGS, {"ids": list(transfer_ids)}):
        legs[row.transfer_id].append(Leg(row.account_id, int(row.amount_fen)))
    return rows, legs


def legs_of(session: Session, transfer_ids: Sequence[int]) -> dict[int, list[Leg]]:
    return transfers_with_legs(session, transfer_ids)[1]


def get_transfer(session: Session, transfer_id: int) -> LedgerTransferRow | None:
    return session.scalar(select(T).where(T.id == transfer_id).execution_options(populate_existing=True))


def hold_of(row: Any) -> Hold:
    return Hold(row.id, row.debit_account_id, row.credit_account_id, row.clearing_account_id, int(row.amount_fen),
                int(row.posted_fen), int(row.released_fen), TransferStatus(row.status))


def update_transfer(session: Session, transfer_id: int, **values: Any) -> None:
    session.connection().execute(update(TT).where(TT.c.id == transfer_id).values(**values))
    forget(session, [transfer_id])


def list_transfers(session: Session, *, account_id: int | None = None, source_kind: str | None = None,
                   source_id: str | None = None, after: int | None = None, offset: int = 0,
                   limit: int | None = 100) -> Sequence[LedgerTransferRow]:
    """Transfers newest first (by id), from before the cursor `after`.

    By account, the page's ids come first from the legs index `(account_id, transfer_id, ...)`: an
    index range from the cursor down that stops after one page, then only those transfers are read.
    (`id IN (every leg of the account)` read and sorted all of them; a join with the keyset on the
    legs let PostgreSQL merge it with the transfers' primary key walked down from the newest, through
    every transfer above a deep cursor.) Each transfer appears once: a transfer has at most one leg
    per account (unique `(transfer_id, account_id)`)."""
    filters = []
    if source_kind is not None:
        filters.append(T.source_kind == source_kind)
    if source_id is not None:
        filters.append(T.source_id == source_id)
    if account_id is None:
        query = keyset(select(T).where(*filters), T.id, after=after, descending=True, offset=offset, limit=limit)
    else:
        ids = select(L.transfer_id).where(L.account_id == account_id)
        if filters:
            ids = ids.join(T, T.id == L.transfer_id).where(*filters)
        page = keyset(ids, L.transfer_id, after=after, descending=True, offset=offset, limit=limit)
        query = select(T).where(T.id.in_(page)).order_by(T.id.desc())
    return session.scalars(query.execution_options(populate_existing=True)).all()


def open_holds(session: Session, *, source_kind: str, source_id: str) -> Sequence[LedgerTransferRow]:
    return session.scalars(select(T).where(T.source_kind == source_kind, T.source_id == source_id,
                                           T.status == TransferStatus.PENDING.value, T.kind == "reserve")
                           .order_by(T.id).execution_options(populate_existing=True)).all()


def account_entries(session: Session, account_id: int, *, start: datetime | None, end: datetime | None,
                    limit: int = 1000) -> Sequence[Any]:
    """An account's legs in posting order, with the transfer each came from."""
    query = (select(L.id, L.amount_fen, T.id.label("transfer_id"), T.kind, T.status, T.memo, T.source_kind,
                    T.source_id, T.effective_at, T.period)
             .join(T, T.id == L.transfer_id).where(L.account_id == account_id).order_by(L.id).limit(limit))
    if start is not None:
        query = query.where(T.effective_at >= start)
    if end is not None:
        query = query.where(T.effective_at < end)
    return session.execute(query).all()


def sum_before(session: Session, account_id: int, start: datetime) -> int:
    query = (select(func.coalesce(func.sum(L.amount_fen), 0)).join(T, T.id == L.transfer_id)
             .where(L.account_id == account_id, T.effective_at < start))
    return int(session.scalar(query) or 0)
