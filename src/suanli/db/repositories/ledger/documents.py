"""Priced charges and the settlement documents made from them: invoices, provider statements and
disbursement batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from suanli.db.models.ledger import (
    DisbursementBatchRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerChargeRow,
    SettlementStatementRow,
)
from suanli.db.repositories.paging import keyset

C = LedgerChargeRow
# Any constant shared by every issuer: the advisory lock key of settlement documents ("SLDOCS").
DOCUMENTS_LOCK = 0x534C444F4353


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


def charge_organisations(session: Session, month: str, *, uninvoiced: bool = True) -> list[int]:
    """Organisations with charges in the month not yet on an invoice (whom `issue_invoice` would bill);
    `uninvoiced=False`: every organisation with charges in the month."""
    query = select(C.organisation_id).where(C.month == month)
    if uninvoiced:
        query = query.where(C.invoice_id.is_(None))
    return list(session.scalars(query.distinct().order_by(C.organisation_id)))


def charge_providers(session: Session, month: str, *, unstated: bool = True) -> list[int]:
    """Provider accounts with charges in the month not yet on a statement (`unstated=False`: all)."""
    query = select(C.provider_account_id).where(C.month == month)
    if unstated:
        query = query.where(C.statement_id.is_(None))
    return list(session.scalars(query.distinct().order_by(C.provider_account_id)))


def lock_documents(session: Session) -> None:
    """Serialise issuing settlement documents until commit: numbers, sequences and the charges they
    claim are read and written by one issuer at a time. PostgreSQL: a transaction-level advisory lock
    (later statements of a READ COMMITTED transaction then see what the previous issuer committed);
    SQLite: BEGIN IMMEDIATE already serialises every writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DOCUMENTS_LOCK})


def unbilled_charges(session: Session, *, month: str, organisation_id: int | None = None,
                     provider_account_id: int | None = None) -> Sequence[LedgerChargeRow]:
    """The month's charges not yet invoiced (for an organisation) or not yet stated (for a provider)."""
    query = select(C).where(C.month == month).order_by(C.id).execution_options(populate_existing=True)
    if organisation_id is not None:
        query = query.where(C.organisation_id == organisation_id, C.invoice_id.is_(None))
    if provider_account_id is not None:
        query = query.where(C.provider_account_id == provider_account_id, C.statement_id.is_(None))
    return session.scalars(query).all()


def claim_charges(session: Session, charge_ids: Sequence[int], *, invoice_id: int | None = None,
                  statement_id: int | None = None) -> int:
    """Put the charges on a document, only those not yet on one of its kind; how many were claimed."""
    column, value = (C.invoice_id, invoice_id) if invoice_id is not None else (C.statement_id, statement_id)
    result = session.execute(update(C).where(C.id.in_(list(charge_ids)), column.is_(None)).values({column: value})
                             .execution_options(synchronize_session="fetch"))
    return int(cast(Any, result).rowcount)


def statement_charges(session: Session, statement_id: int) -> Sequence[LedgerChargeRow]:
    return session.scalars(select(C).where(C.statement_id == statement_id).order_by(C.id)).all()


def next_sequence(session: Session, table: Any, owner: Any, owner_id: int, month: str) -> int:
    """1 for the month's first document of this owner, then 2, 3... (supplementary)."""
    return int(session.scalar(select(func.coalesce(func.max(table.sequence), 0))
                              .where(owner == owner_id, table.month == month)) or 0) + 1


def get_invoice(session: Session, invoice_id: int) -> InvoiceRow | None:
    return session.get(InvoiceRow, invoice_id)


def find_invoice(session: Session, organisation_id: int, month: str) -> InvoiceRow | None:
    """The organisation's latest invoice of the month (the highest sequence)."""
    return session.scalar(select(InvoiceRow).where(InvoiceRow.organisation_id == organisation_id,
                                                   InvoiceRow.month == month).order_by(InvoiceRow.sequence.desc()))


def list_invoices(session: Session, *, organisation_id: int | None = None, month: str | None = None,
                  after: int | None = None, limit: int | None = None) -> Sequence[InvoiceRow]:
    query = keyset(select(InvoiceRow), InvoiceRow.id, after=after, limit=limit)
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
    """The provider's latest statement of the month (the highest sequence)."""
    return session.scalar(select(SettlementStatementRow).where(
        SettlementStatementRow.provider_account_id == provider_account_id, SettlementStatementRow.month == month)
        .order_by(SettlementStatementRow.sequence.desc()))


def list_statements(session: Session, *, provider_account_ids: Sequence[int] | None = None, month: str | None = None,
                    batch_id: int | None = None, unbatched: bool = False, after: int | None = None,
                    limit: int | None = None) -> Sequence[SettlementStatementRow]:
    query = keyset(select(SettlementStatementRow), SettlementStatementRow.id, after=after, limit=limit)
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


def list_batches(session: Session, *, status: str | None = None, after: int | None = None,
                 limit: int | None = None) -> Sequence[DisbursementBatchRow]:
    query = keyset(select(DisbursementBatchRow), DisbursementBatchRow.id, after=after, limit=limit)
    if status is not None:
        query = query.where(DisbursementBatchRow.status == status)
    return session.scalars(query).all()


def next_number(session: Session, table: Any, prefix: str) -> str:
    """The next document number after the highest with this prefix (`INV202611-000002` after `-000001`):
    per prefix, so each month counts from 1; call under `lock_documents`."""
    last = session.scalar(select(func.max(table.number)).where(table.number.like(f"{prefix}%")))
    return f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:06d}"
