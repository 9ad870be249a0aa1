"""`check_consistency`: every violated ledger invariant in the database, as readable lines, and
`check_documents`: the settlement documents agree with the charges they claim."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.db.models.ledger import InvoiceLineRow as IL
from suanli.db.models.ledger import InvoiceRow as I
from suanli.db.models.ledger import LedgerChargeRow as C
from suanli.db.models.ledger import SettlementStatementRow as S
from suanli.db.repositories.ledger._common import A, L, T
from suanli.domain.ledger import TransferStatus


def check_consistency(session: Session) -> list[str]:
    """Every violated ledger invariant in the database, as readable lines (empty = consistent).

    Checks: each transfer's legs sum to zero over two or more legs and the transfer is sealed; each
    account's cached balance equals the sum of its legs; no account that must stay non-negative is
    below zero; each owner's clearing balance equals the holds it still carries; and `check_documents`.
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
    return problems + check_documents(session)


def _sums(*columns: Any) -> list[Any]:
    return [func.coalesce(func.sum(c), 0) for c in columns]


def check_documents(session: Session) -> list[str]:
    """Invoices and statements against the charges they claim (`ledger_charges.invoice_id` /
    `statement_id`): each invoice's totals and lines equal its charges, each organisation's invoices add
    up to its invoiced charges, each line's charge points back at the line's invoice, each statement's
    figures equal its charges, and a charge is only on documents of its own month and owner."""
    problems: list[str] = []
    charged = (select(C.invoice_id, *_sums(C.list_price_fen, C.subsidy_fen, C.amount_due_fen), func.count())
               .where(C.invoice_id.is_not(None)).group_by(C.invoice_id))
    by_invoice = {r[0]: tuple(int(x) for x in r[1:]) for r in session.execute(charged)}
    lined = (select(IL.invoice_id, *_sums(IL.list_price_fen, IL.subsidy_fen, IL.amount_due_fen), func.count())
             .group_by(IL.invoice_id))
    by_lines = {r[0]: tuple(int(x) for x in r[1:]) for r in session.execute(lined)}
    per_organisation: dict[int, list[int]] = {}
    for inv in session.execute(select(I.id, I.number, I.organisation_id, I.list_price_fen, I.subsidy_fen,
                                      I.amount_due_fen)):
        totals = (int(inv.list_price_fen), int(inv.subsidy_fen), int(inv.amount_due_fen))
        for name, found in (("its charges", by_invoice.get(inv.id, (0, 0, 0, 0))), ("its lines", by_lines.get(inv.id, (0, 0, 0, 0)))):
            if found[:3] != totals:
                problems.append(f"invoice {inv.number}: totals {totals} != {name} {found[:3]}")
        if by_invoice.get(inv.id, (0, 0, 0, 0))[3] != by_lines.get(inv.id, (0, 0, 0, 0))[3]:
            problems.append(f"invoice {inv.number}: {by_lines.get(inv.id, (0,) * 4)[3]} lines for "
                            f"{by_invoice.get(inv.id, (0,) * 4)[3]} charges")
        per_organisation.setdefault(inv.organisation_id, [0, 0])[0] += totals[0]
    for organisation_id, total in session.execute(select(C.organisation_id, func.sum(C.list_price_fen))
                                                  .where(C.invoice_id.is_not(None)).group_by(C.organisation_id)):
        per_organisation.setdefault(organisation_id, [0, 0])[1] += int(total)
    for organisation_id, (invoiced, charged_total) in sorted(per_organisation.items()):
        if invoiced != charged_total:
            problems.append(f"organisation {organisation_id}: invoices total {invoiced} fen, invoiced charges {charged_total} fen")
    for row in session.execute(select(IL.id, IL.charge_id, IL.invoice_id, C.invoice_id.label("claimed"))
                               .join(C, C.id == IL.charge_id).where((C.invoice_id != IL.invoice_id) | C.invoice_id.is_(None))):
        problems.append(f"invoice line {row.id}: charge {row.charge_id} is on invoice {row.claimed}, not {row.invoice_id}")
    stated = (select(C.statement_id, *_sums(C.list_price_fen, C.subsidy_fen, C.fee_fen, C.from_reserve_fen), func.count())
              .where(C.statement_id.is_not(None)).group_by(C.statement_id))
    by_statement = {r[0]: tuple(int(x) for x in r[1:]) for r in session.execute(stated)}
    for st in session.execute(select(S.id, S.number, S.gross_fen, S.subsidy_fen, S.fee_fen, S.from_reserve_fen, S.charges)):
        figures = (int(st.gross_fen), int(st.subsidy_fen), int(st.fee_fen), int(st.from_reserve_fen), int(st.charges))
        if by_statement.get(st.id, (0,) * 5) != figures:
            problems.append(f"statement {st.number}: figures {figures} != its charges {by_statement.get(st.id, (0,) * 5)}")
    mismatched = (select(C.id).outerjoin(I, I.id == C.invoice_id).outerjoin(S, S.id == C.statement_id)
                  .where(((I.id.is_not(None)) & ((I.month != C.month) | (I.organisation_id != C.organisation_id)))
                         | ((S.id.is_not(None)) & ((S.month != C.month) | (S.provider_account_id != C.provider_account_id)))))
    problems += [f"charge {cid}: on a document of another month or owner" for cid in session.scalars(mismatched)]
    return problems
