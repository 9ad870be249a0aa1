"""Money pages: an organisation's own charges and invoices, the disbursement batches with their
statements, reserve funds placed with providers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.ledger import (
    DisbursementBatchRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerAccountRow,
    LedgerChargeRow,
    SettlementStatementRow,
)
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import VoucherProgramRow
from suanli.db.repositories import ledger as ledger_repo
from suanli.db.repositories import vouchers as voucher_repo
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import NotFound
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import ledger, settlement
from suanli.services.views.common import require_role

PREPARERS = (Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER)
RESERVE_READERS = (Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR, Role.AUDITOR)


@dataclass
class OwnCharges:
    charges: Sequence[LedgerChargeRow]
    pools: dict[int, tuple[str, str]]
    invoices: Sequence[InvoiceRow]


def own_charges(session: Session, *, principal: Principal, month: str) -> OwnCharges:
    require_role(principal, Role.ORG_ADMIN)
    rows = ledger_repo.charges(session, organisation_id=principal.organisation_id, month=month)
    return OwnCharges(rows, web_repo.pool_names(session, [c.pool_id for c in rows]),
                      settlement.list_invoices(session, organisation_id=principal.organisation_id))


def get_invoice(session: Session, *, principal: Principal, invoice_id: int) -> tuple[InvoiceRow, Sequence[InvoiceLineRow]]:
    """An invoice and its lines; another organisation's invoice does not exist for this reader."""
    try:
        invoice = settlement.get_invoice(session, invoice_id=invoice_id) if 0 < invoice_id < 2**62 else None
    except NotFound:
        invoice = None
    if invoice is None or not principal.may_read_organisation(invoice.organisation_id):
        raise NotFound(f"invoice {invoice_id} does not exist")
    return invoice, settlement.invoice_lines(session, invoice_id=invoice_id)


@dataclass
class Batches:
    batches: Sequence[DisbursementBatchRow]
    statements: dict[int, Sequence[SettlementStatementRow]]
    names: dict[int, tuple[str, str]]


def batches(session: Session, *, principal: Principal) -> Batches:
    require_role(principal, *PREPARERS)
    rows = ledger_repo.list_batches(session)
    statements = {b.id: web_repo.statements_in_batch(session, b.id) for b in rows}
    names = web_repo.account_owners(session, [s.provider_account_id for group in statements.values() for s in group])
    return Batches(rows, statements, names)


def organisations_with_charges(session: Session, *, principal: Principal, month: str) -> list[int]:
    require_role(principal, *PREPARERS)
    return ledger_repo.charge_organisations(session, month)


@dataclass
class Reserves:
    accounts: Sequence[LedgerAccountRow]
    organisations: dict[int, OrganisationRow]
    providers: Sequence[OrganisationRow]
    balances: dict[int, int]
    programs: Sequence[VoucherProgramRow]
    cash: int


def reserves(session: Session, *, principal: Principal) -> Reserves:
    require_role(principal, *RESERVE_READERS)
    accounts = web_repo.provider_accounts(session, purpose="provider_reserve")
    return Reserves(accounts, web_repo.organisation_names(session, [a.owner_id for a in accounts if a.owner_id]),
                    web_repo.organisations_of_type(session, OrganisationType.PROVIDER.value),
                    {a.id: ledger.natural_balance(a) for a in accounts}, voucher_repo.list_programs(session),
                    ledger.natural_balance(ledger.get_account(session, account_id=settlement.cash_account(session))))
