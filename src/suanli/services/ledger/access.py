"""Who may read which money record: the tenant scope of accounts and invoices, in one place for every
edge. Another organisation's account or invoice is "not found" (404), exactly like one that does not
exist, so an id never confirms that another tenant's record is there."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from suanli.db.models.ledger import InvoiceRow, LedgerAccountRow
from suanli.domain.errors import NotFound
from suanli.domain.ledger import OwnerKind
from suanli.domain.ledger.errors import UnknownAccount
from suanli.domain.organisations import Principal
from suanli.services import settlement
from suanli.services.ledger.accounts import get_account, list_accounts


def readable_account(session: Session, *, principal: Principal, account_id: int) -> LedgerAccountRow:
    """The account when the principal may read it; `UnknownAccount` (404) otherwise."""
    row = get_account(session, account_id=account_id)
    if principal.sees_all_tenants:
        return row
    if row.owner_kind != OwnerKind.ORGANISATION.value or row.owner_id != principal.organisation_id:
        raise UnknownAccount(f"account {account_id} does not exist", account=account_id)
    return row


def readable_accounts(session: Session, *, principal: Principal, owner_kind: str | None = None,
                      owner_id: int | None = None, purpose: str | None = None, after: int | None = None,
                      offset: int = 0, limit: int | None = 50) -> Sequence[LedgerAccountRow]:
    """Accounts the principal may read: a tenant sees only its own organisation's, whatever it asks."""
    if not principal.sees_all_tenants:
        owner_kind, owner_id = OwnerKind.ORGANISATION.value, principal.organisation_id
    return list_accounts(session, owner_kind=owner_kind, owner_id=owner_id, purpose=purpose, after=after,
                         offset=offset, limit=limit)


def readable_invoices(session: Session, *, principal: Principal, organisation_id: int | None = None,
                      month: str | None = None, after: int | None = None,
                      limit: int | None = 50) -> Sequence[InvoiceRow]:
    """Invoices the principal may read: a tenant sees only its own organisation's, whatever it asks."""
    if not principal.sees_all_tenants:
        organisation_id = principal.organisation_id
    return settlement.list_invoices(session, organisation_id=organisation_id, month=month, after=after,
                                    limit=limit)


def readable_invoice(session: Session, *, principal: Principal, invoice_id: int) -> InvoiceRow:
    """The invoice when the principal may read its organisation; `NotFound` (404) otherwise."""
    invoice = settlement.get_invoice(session, invoice_id=invoice_id)
    if not principal.may_read_organisation(invoice.organisation_id):
        raise NotFound(f"invoice {invoice_id} does not exist")
    return invoice
