"""Settlement (结算): monthly invoices per organisation, statements per provider, disbursement
batches (拨付批次) the finance officer approves and pays, reserve funds (备用金) and CSV/XLSX exports.
A batch also pays the claimants of `direct_to_claimant` voucher programs (Qingyang): each such
redemption of the month is owed on the claimant's payable account until its batch is paid; and, the
same way, the parties of the month's decided awards (政策兑现, `services.awards.payments`).

Money moves only through `services.ledger`; the rows here are documents derived from the priced
charges (`ledger_charges`), each transfer naming its source (grant, batch, reserve_fund).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.ledger import (
    DisbursementBatchRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerChargeRow,
    SettlementStatementRow,
)
from suanli.db.models.organisations import OrganisationRow
from suanli.db.repositories import ledger as repo
from suanli.db.repositories import vouchers as voucher_repo
from suanli.domain.billing import ChargeSplit, invoice_totals
from suanli.domain.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from suanli.domain.exports import neutralise_row
from suanli.domain.ledger import AccountPurpose, OwnerKind, credit, debit
from suanli.domain.ledger.periods import check_month, month_bounds
from suanli.domain.ledger.transfers import positive_amount
from suanli.domain.money import Fen
from suanli.services import ledger
from suanli.services.awards import payments as award_payments


class NothingToInvoice(Conflict):
    """Every charge of the month is already on an invoice (the month's first invoice exists)."""

    slug, title = "nothing-to-invoice", "Nothing new to invoice"


class NothingToState(Conflict):
    """Every charge of the month is already on a settlement statement (the first statement exists)."""

    slug, title = "nothing-to-state", "Nothing new to state"


def _account(session: Session, purpose: AccountPurpose, kind: OwnerKind, owner: int | None, scope: str = "") -> int:
    return ledger.open_account(session, purpose=purpose, owner_kind=kind, owner_id=owner, scope=scope).id


def cash_account(session: Session) -> int:
    return _account(session, AccountPurpose.CASH, OwnerKind.PLATFORM, None)


# --- program money: budget, grants, reserve funds --------------------------------------------------------


def deposit_program_budget(session: Session, *, program_id: int, amount_fen: Fen, idempotency_key: str) -> int:
    """The bureau pays the year's voucher budget into the platform's bank account."""
    budget = _account(session, AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, program_id)
    amount = positive_amount(amount_fen)
    return ledger.transfer(session, idempotency_key=idempotency_key, source_kind="program", source_id=str(program_id),
                           legs=[debit(cash_account(session), amount), credit(budget, amount)],
                           memo="program budget deposited").id


def grant_to_wallet(session: Session, *, program_id: int, organisation_id: int, amount_fen: Fen, grant_id: int) -> int:
    """A granted voucher (核定/发放): budget -> the organisation's wallet of this program. Returns the wallet."""
    budget = _account(session, AccountPurpose.PROGRAM_BUDGET, OwnerKind.PROGRAM, program_id)
    wallet = _account(session, AccountPurpose.VOUCHER_WALLET, OwnerKind.ORGANISATION, organisation_id,
                      f"program:{program_id}")
    amount = positive_amount(amount_fen)
    ledger.transfer(session, idempotency_key=f"grant:{grant_id}", legs=[debit(budget, amount), credit(wallet, amount)],
                    source_kind="grant", source_id=str(grant_id), memo=f"grant {grant_id}")
    return wallet


def prefund_reserve(session: Session, *, program_id: int, provider_organisation_id: int, amount_fen: Fen,
                    idempotency_key: str) -> int:
    """备用金: the program places money with a provider in advance; redemptions there draw it down."""
    reserve = _account(session, AccountPurpose.PROVIDER_RESERVE, OwnerKind.ORGANISATION, provider_organisation_id,
                       f"program:{program_id}")
    amount = positive_amount(amount_fen)
    ledger.transfer(session, idempotency_key=idempotency_key, legs=[debit(reserve, amount), credit(cash_account(session), amount)],
                    source_kind="reserve_fund", source_id=str(program_id), memo="reserve fund placed with provider")
    return reserve


def record_payment(session: Session, *, organisation_id: int, amount_fen: Fen, idempotency_key: str) -> int:
    """An organisation paid (part of) its invoice into the platform's bank account."""
    receivable = _account(session, AccountPurpose.ORG_RECEIVABLE, OwnerKind.ORGANISATION, organisation_id)
    amount = positive_amount(amount_fen)
    return ledger.transfer(session, idempotency_key=idempotency_key, source_kind="payment", source_id=str(organisation_id),
                           legs=[debit(cash_account(session), amount), credit(receivable, amount)]).id


# --- invoices and statements -------------------------------------------------------------------------------


def issue_invoice(session: Session, *, organisation_id: int, month: str) -> InvoiceRow:
    """The organisation's invoice for the month's charges not yet invoiced: one line per priced usage
    (list price, subsidy, to pay). The month's first invoice is issued even with no charges (a nil
    invoice); after it, each call issues a supplementary invoice (`sequence` 2, 3...) for the charges
    metered since, and refuses with `NothingToInvoice` (409) when there are none."""
    check_month(month)
    if session.get(OrganisationRow, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} not found")
    repo.lock_documents(session)
    charges = repo.unbilled_charges(session, month=month, organisation_id=organisation_id)
    sequence = repo.next_sequence(session, InvoiceRow, InvoiceRow.organisation_id, organisation_id, month)
    if not charges and sequence > 1:
        raise NothingToInvoice(f"organisation {organisation_id} has no charges in {month} that are not invoiced yet")
    totals = invoice_totals([ChargeSplit(c.list_price_fen, c.subsidy_fen, c.amount_due_fen) for c in charges])
    invoice = InvoiceRow(number=repo.next_number(session, InvoiceRow, f"INV{month.replace('-', '')}-"),
                         organisation_id=organisation_id, month=month, sequence=sequence,
                         list_price_fen=totals.list_price_fen, subsidy_fen=totals.subsidy_fen,
                         amount_due_fen=totals.amount_due_fen)
    session.add(invoice)
    session.flush()
    _claim(session, charges, invoice_id=invoice.id)
    session.add_all([InvoiceLineRow(
        invoice_id=invoice.id, charge_id=c.id, device_seconds=c.device_seconds,
        description=f"job {c.job_id}, pool {c.pool_id}" + (f", voucher {c.program}" if c.program else ""),
        price_fen_per_device_hour=c.price_fen_per_device_hour, list_price_fen=c.list_price_fen,
        subsidy_fen=c.subsidy_fen, amount_due_fen=c.amount_due_fen) for c in charges])
    session.flush()
    ledger.audit(session, "billing.invoice_issued", f"invoice:{invoice.id}",
                 {"number": invoice.number, "month": month, "sequence": sequence, "charges": len(charges),
                  "amount_due_fen": invoice.amount_due_fen}, organisation_id=organisation_id)
    return invoice


def issue_statement(session: Session, *, provider_account_id: int, month: str) -> SettlementStatementRow:
    """A provider's statement for the month's charges not yet stated: gross list price delivered,
    platform fee, paid from reserve, still payable. First statement even when empty; afterwards a
    supplementary one (`sequence` 2, 3...) or `NothingToState` (409) when nothing is new."""
    check_month(month)
    repo.lock_documents(session)
    charges = repo.unbilled_charges(session, month=month, provider_account_id=provider_account_id)
    sequence = repo.next_sequence(session, SettlementStatementRow, SettlementStatementRow.provider_account_id,
                                  provider_account_id, month)
    if not charges and sequence > 1:
        raise NothingToState(f"provider account {provider_account_id} has no charges in {month} that are not on a "
                             "statement yet")
    gross, fee, reserve = (sum(c.list_price_fen for c in charges), sum(c.fee_fen for c in charges),
                           sum(c.from_reserve_fen for c in charges))
    statement = SettlementStatementRow(
        number=repo.next_number(session, SettlementStatementRow, f"STM{month.replace('-', '')}-"),
        provider_account_id=provider_account_id, month=month, sequence=sequence, charges=len(charges),
        gross_fen=gross, subsidy_fen=sum(c.subsidy_fen for c in charges), fee_fen=fee, from_reserve_fen=reserve,
        payable_fen=gross - fee - reserve)
    session.add(statement)
    session.flush()
    _claim(session, charges, statement_id=statement.id)
    ledger.audit(session, "settlement.statement_issued", f"statement:{statement.id}",
                 {"number": statement.number, "month": month, "sequence": sequence, "charges": len(charges),
                  "payable_fen": statement.payable_fen})
    return statement


def _claim(session: Session, charges: Sequence[LedgerChargeRow], *, invoice_id: int | None = None,
           statement_id: int | None = None) -> None:
    """Put the charges on the document; only from NULL, so a charge another issuer took meanwhile (which
    `lock_documents` prevents) fails the whole document instead of landing on two."""
    if not charges:
        return
    claimed = repo.claim_charges(session, [c.id for c in charges], invoice_id=invoice_id, statement_id=statement_id)
    if claimed != len(charges):
        raise Conflict(f"{len(charges) - claimed} of {len(charges)} charges were put on another document "
                       "meanwhile; issue again")


# Lists in id order from after the cursor `after`; every row when `limit` is None (internal callers).
def list_invoices(session: Session, *, organisation_id: int | None = None, month: str | None = None,
                  after: int | None = None, limit: int | None = None) -> Sequence[InvoiceRow]:
    return repo.list_invoices(session, organisation_id=organisation_id, month=month, after=after, limit=limit)


def list_statements(session: Session, *, month: str | None = None, batch_id: int | None = None,
                    after: int | None = None, limit: int | None = None) -> Sequence[SettlementStatementRow]:
    return repo.list_statements(session, month=month, batch_id=batch_id, after=after, limit=limit)


def list_batches(session: Session, *, status: str | None = None, after: int | None = None,
                 limit: int | None = None) -> Sequence[DisbursementBatchRow]:
    return repo.list_batches(session, status=status, after=after, limit=limit)


def invoice_lines(session: Session, *, invoice_id: int) -> Sequence[InvoiceLineRow]:
    return repo.invoice_lines(session, invoice_id)


def get_invoice(session: Session, *, invoice_id: int) -> InvoiceRow:
    row = repo.get_invoice(session, invoice_id)
    if row is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    return row


def get_statement(session: Session, *, statement_id: int) -> SettlementStatementRow:
    row = repo.get_statement(session, statement_id)
    if row is None:
        raise NotFound(f"statement {statement_id} does not exist")
    return row


# --- disbursement batches -------------------------------------------------------------------------------------


def create_batch(session: Session, *, month: str, created_by: str) -> DisbursementBatchRow:
    """Issue statements (first or supplementary) for every provider with charges of the month not yet
    stated, and gather all unbatched statements of the month into a draft batch."""
    check_month(month)
    repo.lock_documents(session)
    for provider in repo.charge_providers(session, month, unstated=True):
        issue_statement(session, provider_account_id=provider, month=month)
    statements = repo.list_statements(session, month=month, unbatched=True)
    # The month in China time, as statements and periods count it: a payout at 01:30 on the 1st (Beijing)
    # belongs to the new month's batch, not to the old one's by its UTC clock.
    start, end = month_bounds(month)
    payouts = voucher_repo.unbatched_payouts(session, start=start, end=end)
    awarded = award_payments.unbatched_payouts(session, start=start, end=end)
    if not statements and not payouts and not awarded:
        raise InvalidInput(f"no unbatched settlement statements or claimant payouts for {month}")
    total = (sum(s.payable_fen + s.from_reserve_fen for s in statements) + sum(int(p.amount_fen) for p in payouts)
             + sum(int(a.amount_fen) for a in awarded))
    batch = DisbursementBatchRow(number=repo.next_number(session, DisbursementBatchRow, f"BAT{month.replace('-', '')}-"),
                                 month=month, status="draft", created_by=created_by, total_fen=total)
    session.add(batch)
    session.flush()
    for statement in statements:
        statement.batch_id = batch.id
    for payout in payouts:
        payout.batch_id = batch.id
    for award in awarded:
        award.batch_id = batch.id
    session.flush()
    ledger.audit(session, "settlement.batch_created", f"batch:{batch.id}",
                 {"number": batch.number, "total_fen": batch.total_fen, "statements": [s.id for s in statements],
                  "claimant_payouts": [p.id for p in payouts], "award_payouts": [a.id for a in awarded]})
    return batch


def approve_batch(session: Session, *, batch_id: int, approved_by: str) -> DisbursementBatchRow:
    """The finance officer's approval; whoever prepared a batch may not approve it (four eyes)."""
    batch = _batch(session, batch_id, expect="draft")
    if batch.created_by == approved_by:
        raise Forbidden("the person who prepared a batch cannot approve it")
    batch.status, batch.approved_by, batch.approved_at = "approved", approved_by, utcnow()
    session.flush()
    ledger.audit(session, "settlement.batch_approved", f"batch:{batch.id}", {"approved_by": approved_by})
    return batch


def pay_batch(session: Session, *, batch_id: int, paid_by: str) -> DisbursementBatchRow:
    """Pay each provider's payable, top its reserve funds back up by what redemptions drew, and pay
    each direct-to-claimant redemption in the batch to its claimant."""
    batch = _batch(session, batch_id, expect="approved")
    cash = cash_account(session)
    for statement in repo.list_statements(session, batch_id=batch.id):
        if statement.payable_fen > 0:
            ledger.transfer(session, idempotency_key=f"batch:{batch.id}:pay:{statement.id}", source_kind="batch",
                            source_id=str(batch.id), memo=f"statement {statement.number}",
                            legs=[debit(statement.provider_account_id, statement.payable_fen), credit(cash, statement.payable_fen)])
        _top_up_reserves(session, batch, statement, cash)
    for payout in voucher_repo.payouts_of_batch(session, batch.id):
        # direct_to_claimant: the claimant's payable -> the platform's bank account, to the claimant.
        assert payout.payee_account_id is not None
        ledger.transfer(session, idempotency_key=f"batch:{batch.id}:claimant:{payout.id}", source_kind="batch",
                        source_id=str(batch.id), memo=f"voucher redemption {payout.id} paid to its claimant",
                        legs=[debit(payout.payee_account_id, int(payout.amount_fen)),
                              credit(cash, int(payout.amount_fen))])
    award_payments.pay_batch_payouts(session, batch_id=batch.id, cash_account=cash)  # awards (政策兑现), same path
    batch.status, batch.paid_at = "paid", utcnow()
    session.flush()
    ledger.audit(session, "settlement.batch_paid", f"batch:{batch.id}", {"paid_by": paid_by, "total_fen": batch.total_fen})
    return batch


def _top_up_reserves(session: Session, batch: DisbursementBatchRow, statement: SettlementStatementRow, cash: int) -> None:
    """Reconciliation: each reserve fund gets back exactly what the statement's redemptions drew from it
    (its own charges only: a supplementary statement tops up only what was drawn after the previous)."""
    drawn: dict[int, Fen] = {}
    for charge in repo.statement_charges(session, statement.id):
        if charge.from_reserve_fen and charge.reserve_account_id:
            drawn[charge.reserve_account_id] = drawn.get(charge.reserve_account_id, 0) + charge.from_reserve_fen
    for reserve, total in sorted(drawn.items()):
        ledger.transfer(session, idempotency_key=f"batch:{batch.id}:topup:{statement.id}:{reserve}",
                        source_kind="batch", source_id=str(batch.id), memo=f"reserve top-up for {statement.number}",
                        legs=[debit(reserve, total), credit(cash, total)])


def _batch(session: Session, batch_id: int, *, expect: str) -> DisbursementBatchRow:
    batch = repo.get_batch(session, batch_id, for_update=True)
    if batch is None:
        raise NotFound(f"batch {batch_id} does not exist")
    if batch.status != expect:
        raise IllegalTransition(f"batch {batch.number} is {batch.status}; it must be {expect}")
    return batch


# --- exports ---------------------------------------------------------------------------------------------------


def table(rows: Sequence[Any], columns: Sequence[str]) -> list[list[Any]]:
    return [list(columns)] + [[getattr(r, c) for c in columns] for r in rows]


def to_csv(table_rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([neutralise_row(list(r)) for r in table_rows])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read Chinese text correctly


def to_xlsx(table_rows: list[list[Any]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in table_rows:
        sheet.append(neutralise_row(list(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


INVOICE_LINE_COLUMNS = ("id", "description", "device_seconds", "price_fen_per_device_hour", "list_price_fen",
                        "subsidy_fen", "amount_due_fen")
STATEMENT_COLUMNS = ("number", "provider_account_id", "month", "charges", "gross_fen", "subsidy_fen", "fee_fen",
                     "from_reserve_fen", "payable_fen", "batch_id")
