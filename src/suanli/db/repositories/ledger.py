"""All SQL of the ledger: accounts, transfers and legs, holds, periods, charges, invoices, statements
and batches, and `check_consistency`, the audit of the ledger's invariants over the whole database.

The hot path (lock accounts, insert a transfer and its legs) uses Core statements: the balance cache
is maintained by a database trigger, so ORM objects would only go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from suanli.db.models.ledger import (
    DisbursementBatchRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerAccountRow,
    LedgerChargeRow,
    LedgerLegRow,
    LedgerPeriodRow,
    LedgerTransferRow,
    SettlementStatementRow,
)
from suanli.domain.ledger import AccountState, Hold, Leg, TransferStatus

A, T, L = LedgerAccountRow, LedgerTransferRow, LedgerLegRow


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session, table: Any) -> Any:
    return (postgresql.insert(table) if _dialect(session) == "postgresql" else sqlite.insert(table))


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
                  purpose: str | None = None, offset: int = 0, limit: int = 500) -> Sequence[LedgerAccountRow]:
    query = select(A).order_by(A.id).offset(offset).limit(limit).execution_options(populate_existing=True)
    if owner_kind is not None:
        query = query.where(A.owner_kind == owner_kind)
    if owner_id is not None:
        query = query.where(A.owner_id == owner_id)
    if purpose is not None:
        query = query.where(A.purpose == purpose)
    return session.scalars(query).all()


_STATE_COLUMNS = (A.id, A.code, A.normal_sign, A.non_negative, A.balance_fen, A.currency)


def lock_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, AccountState]:
    """Lock the accounts in id order (a stable order, so two writers never deadlock) and return their states.

    `FOR NO KEY UPDATE`, not `FOR UPDATE`: a transfer that merely references an account by foreign key
    (KEY SHARE) must not wait behind, or deadlock with, a writer holding that account."""
    ids = sorted(set(account_ids))
    rows = session.execute(select(*_STATE_COLUMNS).where(A.id.in_(ids)).order_by(A.id).with_for_update(key_share=True)).all()
    return {row.id: AccountState(row.id, row.code, row.normal_sign, bool(row.non_negative), int(row.balance_fen),
                                 row.currency) for row in rows}


def owners(session: Session, account_ids: Sequence[int]) -> dict[int, tuple[str, int | None]]:
    """Owner (kind, id) of each existing account among `account_ids`."""
    rows = session.execute(select(A.id, A.owner_kind, A.owner_id).where(A.id.in_(account_ids)))
    return {row.id: (row.owner_kind, row.owner_id) for row in rows}


def balances(session: Session, account_ids: Sequence[int]) -> dict[int, int]:
    return {row.id: int(row.balance_fen) for row in session.execute(
        select(A.id, A.balance_fen).where(A.id.in_(account_ids)))}


def balance_from_legs(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(L.amount_fen), 0)).where(L.account_id == account_id)))


# --- transfers and legs -------------------------------------------------------------------------------


def find_transfer_by_key(session: Session, key: str) -> Row[Any] | None:
    return session.execute(select(T.id, T.request_hash).where(T.idempotency_key == key)).first()


def insert_transfer(session: Session, values: dict[str, Any], legs: Sequence[Leg]) -> int | None:
    """Insert a transfer and its legs; None when the idempotency key was taken meanwhile.

    On SQLite the transfer is sealed after its legs (the seal trigger checks they sum to zero); on
    PostgreSQL the deferred constraint trigger checks at commit, so it is born sealed.
    """
    on_sqlite = _dialect(session) == "sqlite"
    statement = (_insert(session, T).values(sealed=not on_sqlite, **values)
                 .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(T.id))
    transfer_id = session.execute(statement).scalar()
    if transfer_id is None:
        return None
    session.execute(insert(L), [{"transfer_id": transfer_id, "account_id": one.account_id,
                                 "amount_fen": one.amount_fen} for one in legs])
    if on_sqlite:
        session.execute(update(T).where(T.id == transfer_id).values(sealed=True))
    return int(transfer_id)


def get_transfer(session: Session, transfer_id: int, *, for_update: bool = False) -> LedgerTransferRow | None:
    query = select(T).where(T.id == transfer_id).execution_options(populate_existing=True)
    if for_update:  # NO KEY UPDATE: children's foreign keys (KEY SHARE) must not queue behind it
        query = query.with_for_update(key_share=True)
    return session.scalar(query)


def legs_of(session: Session, transfer_ids: Sequence[int]) -> dict[int, list[Leg]]:
    found: dict[int, list[Leg]] = {tid: [] for tid in transfer_ids}
    rows = session.execute(select(L.transfer_id, L.account_id, L.amount_fen)
                           .where(L.transfer_id.in_(transfer_ids)).order_by(L.id))
    for row in rows:
        found[row.transfer_id].append(Leg(row.account_id, int(row.amount_fen)))
    return found


def hold_of(row: LedgerTransferRow) -> Hold:
    assert row.debit_account_id and row.credit_account_id and row.clearing_account_id
    return Hold(row.id, row.debit_account_id, row.credit_account_id, row.clearing_account_id, int(row.amount_fen),
                int(row.posted_fen), int(row.released_fen), TransferStatus(row.status))


def update_transfer(session: Session, transfer_id: int, **values: Any) -> None:
    session.execute(update(T).where(T.id == transfer_id).values(**values))


def list_transfers(session: Session, *, account_id: int | None = None, source_kind: str | None = None,
                   source_id: str | None = None, offset: int = 0, limit: int = 100) -> Sequence[LedgerTransferRow]:
    query = select(T).order_by(T.id.desc()).offset(offset).limit(limit).execution_options(populate_existing=True)
    if account_id is not None:
        query = query.where(T.id.in_(select(L.transfer_id).where(L.account_id == account_id)))
    if source_kind is not None:
        query = query.where(T.source_kind == source_kind)
    if source_id is not None:
        query = query.where(T.source_id == source_id)
    return session.scalars(query).all()


def open_holds(session: Session, *, source_kind: str, source_id: str) -> Sequence[LedgerTransferRow]:
    return session.scalars(select(T).where(T.source_kind == source_kind, T.source_id == source_id,
                                           T.status == TransferStatus.PENDING.value, T.kind == "reserve")
                           .order_by(T.id).execution_options(populate_existing=True)).all()


def account_entries(session: Session, account_id: int, *, start: datetime | None, end: datetime | None,
                    limit: int = 1000) -> Sequence[Row[Any]]:
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
    return int(session.scalar(query))


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


# --- charges, invoices, statements, batches ------------------------------------------------------------


def get_charge_for_usage(session: Session, usage_record_id: int) -> LedgerChargeRow | None:
    return session.scalar(select(LedgerChargeRow).where(LedgerChargeRow.usage_record_id == usage_record_id))


def charges(session: Session, *, organisation_id: int | None = None, provider_account_id: int | None = None,
            month: str | None = None) -> Sequence[LedgerChargeRow]:
    query = select(LedgerChargeRow).order_by(LedgerChargeRow.id)
    if organisation_id is not None:
        query = query.where(LedgerChargeRow.organisation_id == organisation_id)
    if provider_account_id is not None:
        query = query.where(LedgerChargeRow.provider_account_id == provider_account_id)
    if month is not None:
        query = query.where(LedgerChargeRow.month == month)
    return session.scalars(query).all()


def charge_organisations(session: Session, month: str) -> list[int]:
    return list(session.scalars(select(LedgerChargeRow.organisation_id).where(LedgerChargeRow.month == month)
                                .distinct().order_by(LedgerChargeRow.organisation_id)))


def charge_providers(session: Session, month: str) -> list[int]:
    return list(session.scalars(select(LedgerChargeRow.provider_account_id).where(LedgerChargeRow.month == month)
                                .distinct().order_by(LedgerChargeRow.provider_account_id)))


def get_invoice(session: Session, invoice_id: int) -> InvoiceRow | None:
    return session.get(InvoiceRow, invoice_id)


def find_invoice(session: Session, organisation_id: int, month: str) -> InvoiceRow | None:
    return session.scalar(select(InvoiceRow).where(InvoiceRow.organisation_id == organisation_id,
                                                   InvoiceRow.month == month))


def list_invoices(session: Session, *, organisation_id: int | None = None, month: str | None = None) -> Sequence[InvoiceRow]:
    query = select(InvoiceRow).order_by(InvoiceRow.id)
    if organisation_id is not None:
        query = query.where(InvoiceRow.organisation_id == organisation_id)
    if month is not None:
        query = query.where(InvoiceRow.month == month)
    return session.scalars(query).all()


def invoice_lines(session: Session, invoice_id: int) -> Sequence[InvoiceLineRow]:
    return session.scalars(select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice_id)
                           .order_by(InvoiceLineRow.id)).all()


def get_statement(session: Session, statement_id: int) -> SettlementStatementRow | None:
    return session.get(SettlementStatementRow, statement_id)


def find_statement(session: Session, provider_account_id: int, month: str) -> SettlementStatementRow | None:
    return session.scalar(select(SettlementStatementRow).where(
        SettlementStatementRow.provider_account_id == provider_account_id, SettlementStatementRow.month == month))


def list_statements(session: Session, *, provider_account_ids: Sequence[int] | None = None, month: str | None = None,
                    batch_id: int | None = None, unbatched: bool = False) -> Sequence[SettlementStatementRow]:
    query = select(SettlementStatementRow).order_by(SettlementStatementRow.id)
    if provider_account_ids is not None:
        query = query.where(SettlementStatementRow.provider_account_id.in_(provider_account_ids))
    if month is not None:
        query = query.where(SettlementStatementRow.month == month)
    if batch_id is not None:
        query = query.where(SettlementStatementRow.batch_id == batch_id)
    if unbatched:
        query = query.where(SettlementStatementRow.batch_id.is_(None))
    return session.scalars(query).all()


def get_batch(session: Session, batch_id: int, *, for_update: bool = False) -> DisbursementBatchRow | None:
    query = select(DisbursementBatchRow).where(DisbursementBatchRow.id == batch_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def list_batches(session: Session, *, status: str | None = None) -> Sequence[DisbursementBatchRow]:
    query = select(DisbursementBatchRow).order_by(DisbursementBatchRow.id)
    if status is not None:
        query = query.where(DisbursementBatchRow.status == status)
    return session.scalars(query).all()


def next_number(session: Session, table: Any, prefix: str) -> str:
    count = session.scalar(select(func.count()).select_from(table)) or 0
    return f"{prefix}{count + 1:06d}"


# --- consistency -------------------------------------------------------------------------------------------


def check_consistency(session: Session) -> list[str]:
    """Every violated ledger invariant in the database, as readable lines (empty = consistent).

    Checks: each transfer's legs sum to zero over two or more legs and the transfer is sealed; each
    account's cached balance equals the sum of its legs; no account that must stay non-negative is
    below zero; each owner's clearing balance equals the holds it still carries.
    """
    problems: list[str] = []
    sums = (select(L.transfer_id, func.sum(L.amount_fen).label("total"), func.count().label("n"))
            .group_by(L.transfer_id).subquery())
    for row in session.execute(select(T.id, T.sealed, sums.c.total, sums.c.n).outerjoin(sums, sums.c.transfer_id == T.id)):
        if not row.n or row.n < 2 or row.total != 0:
            problems.append(f"transfer {row.id}: {row.n or 0} legs summing to {row.total or 0} fen")
        if not row.sealed:
            problems.append(f"transfer {row.id}: not sealed")
    leg_sums = select(L.account_id, func.sum(L.amount_fen).label("total")).group_by(L.account_id).subquery()
    accounts = session.execute(select(A.id, A.code, A.balance_fen, A.normal_sign, A.non_negative, leg_sums.c.total)
                               .outerjoin(leg_sums, leg_sums.c.account_id == A.id)).all()
    for row in accounts:
        derived = int(row.total or 0)
        if int(row.balance_fen) != derived:
            problems.append(f"account {row.code}: cached balance {row.balance_fen} != sum of legs {derived}")
        if row.non_negative and derived * row.normal_sign < 0:
            problems.append(f"account {row.code}: below zero ({derived * row.normal_sign} fen)")
    held = dict(session.execute(select(T.clearing_account_id, func.sum(T.amount_fen - T.posted_fen - T.released_fen))
                                .where(T.status == TransferStatus.PENDING.value, T.kind == "reserve")
                                .group_by(T.clearing_account_id)).all())
    for row in accounts:
        if row.code.startswith("clearing:") and -int(row.total or 0) != int(held.get(row.id, 0) or 0):
            problems.append(f"account {row.code}: holds {-(row.total or 0)} fen but open holds add to {held.get(row.id, 0)}")
    return problems
