"""Reads for printed documents (invoices, statements, batches): each charge on a document with the
job's name and the center and pool it ran on, and the platform's own name as the issuer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import LedgerChargeRow
from suanli.db.models.organisations import OrganisationRow


@dataclass(frozen=True)
class ChargeLine:
    charge: LedgerChargeRow
    job_name: str
    center_zh: str
    center_en: str
    model: str


def _lines(session: Session, where: object) -> list[ChargeLine]:
    rows = session.execute(
        select(LedgerChargeRow, JobRow.name, CenterRow.name_zh, CenterRow.name, PoolRow.model)
        .join(JobRow, JobRow.id == LedgerChargeRow.job_id)
        .join(PoolRow, PoolRow.id == LedgerChargeRow.pool_id).join(CenterRow, CenterRow.id == PoolRow.center_id)
        .where(where).order_by(LedgerChargeRow.id)).all()  # type: ignore[arg-type]
    return [ChargeLine(c, job, zh, en, model) for c, job, zh, en, model in rows]


def charges_on_invoice(session: Session, invoice_id: int) -> list[ChargeLine]:
    return _lines(session, LedgerChargeRow.invoice_id == invoice_id)


def charges_on_statement(session: Session, statement_id: int) -> list[ChargeLine]:
    return _lines(session, LedgerChargeRow.statement_id == statement_id)


def platform_names(session: Session) -> tuple[str, str] | None:
    """(Chinese, English) name of the platform operator's organisation, the issuer of documents."""
    row = session.execute(select(OrganisationRow.name_zh, OrganisationRow.name).where(OrganisationRow.type == "platform")
                          .order_by(OrganisationRow.id).limit(1)).first()
    return (row[0], row[1]) if row else None
