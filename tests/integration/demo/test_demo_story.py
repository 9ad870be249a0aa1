"""`make demo` tells the whole story, on SQLite and PostgreSQL: right after `load_demo` there are
invoices whose list price, subsidy and amount to pay add up, voucher redemptions that took money out
of the wallets and the program's budget, a provider's reserve fund (备用金) drawn, a disbursement
batch awaiting the finance officer, a budget forecast, a redemption receipt that verifies offline
with the log's public key, live jobs for the worker, a clean ledger and a clean audit log; and a job the
worker settles after the load lands on a supplementary invoice and statement, not on none."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.awards import AwardApplicationRow, AwardPayoutRow
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import DisbursementBatchRow, LedgerAccountRow, LedgerChargeRow, LedgerTransferRow
from suanli.db.models.vouchers import (
    VoucherApplicationRow,
    VoucherProgramRow,
    VoucherRedemptionRow,
    VoucherReservationRow,
    VoucherWalletRow,
)
from suanli.db.repositories.organisations import user_by_username
from suanli.db.uow import unit_of_work
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.errors import Forbidden
from suanli.domain.jobs import JobSpec
from suanli.domain.resources import ResourceRequest
from suanli.domain.vouchers import VoucherRuleViolation
from suanli.services import accounts, audit, demo, dispatch, jobs, ledger, settlement, vouchers


def test_after_load_demo_the_whole_voucher_story_is_there(sessions: sessionmaker[Session], tmp_path) -> None:
    """One load per database (loading hashes every demo password with argon2, the slow part)."""
    with unit_of_work(sessions) as s:
        demo.load_demo(s)
    invoices_add_up(sessions)
    redemptions_took_the_money_out_of_the_wallets_and_the_program(sessions)
    history_jobs_released_their_holds_and_live_jobs_wait_for_the_worker(sessions)
    the_ineligible_applicant_is_refused_with_the_rule_named_and_nothing_written(sessions)
    a_redemption_receipt_verifies_offline_and_the_ledger_and_log_are_clean(sessions, tmp_path)
    awards_are_decided_paid_awaiting_review_and_refused(sessions)
    the_reserve_fund_was_drawn_and_a_batch_awaits_the_finance_officer(sessions)  # it approves the batch
    a_job_settled_after_the_load_lands_on_a_supplementary_invoice_and_statement(sessions)


def awards_are_decided_paid_awaiting_review_and_refused(loaded: sessionmaker[Session]) -> None:
    """Award applications in every stage; the paid one went through a batch the operator prepared and
    finance approved and paid (four eyes), moving payable -> cash on the ledger."""
    with loaded() as s:
        apps = s.scalars(select(AwardApplicationRow).order_by(AwardApplicationRow.id)).all()
        assert sorted(a.status for a in apps) == ["decided", "decided", "refused", "submitted"]
        (refused,) = [a for a in apps if a.status == "refused"]
        assert refused.rules[0][0] == "award.refused" and "主导起草单位" in refused.rules[0][1]
        payouts = s.scalars(select(AwardPayoutRow).order_by(AwardPayoutRow.id)).all()
        assert [p.status for p in payouts] == ["paid", "owed"]
        paid = payouts[0]
        batch = s.get(DisbursementBatchRow, paid.batch_id)
        assert batch is not None and batch.status == "paid"
        assert (batch.created_by, batch.approved_by, batch.total_fen) == ("operator", "finance", int(paid.amount_fen))
        payee = s.get(LedgerAccountRow, paid.payee_account_id)
        assert payee is not None
        s.refresh(payee)
        assert ledger.natural_balance(payee) == 0  # owed, then paid out of cash


def _balance(s: Session, account_id: int | None) -> int:
    assert account_id is not None
    return ledger.natural_balance(ledger.get_account(s, account_id=account_id))


def invoices_add_up(loaded: sessionmaker[Session]) -> None:
    with loaded() as s:
        invoices = settlement.list_invoices(s)
        assert len(invoices) >= 4
        for invoice in invoices:
            lines = settlement.invoice_lines(s, invoice_id=invoice.id)
            assert lines and invoice.list_price_fen == invoice.subsidy_fen + invoice.amount_due_fen
            assert sum(x.list_price_fen for x in lines) == invoice.list_price_fen
            assert sum(x.subsidy_fen for x in lines) == invoice.subsidy_fen
        assert any(i.subsidy_fen > 0 for i in invoices) and any(i.subsidy_fen == 0 for i in invoices)
        redeemed = s.scalar(select(func.sum(VoucherRedemptionRow.amount_fen)))
        assert redeemed and sum(i.subsidy_fen for i in invoices) == redeemed


def redemptions_took_the_money_out_of_the_wallets_and_the_program(loaded: sessionmaker[Session]) -> None:
    with loaded() as s:
        program = s.scalars(select(VoucherProgramRow).where(VoucherProgramRow.code == "chengdu-2023")).one()
        wallets = s.scalars(select(VoucherWalletRow).where(VoucherWalletRow.program_id == program.id)).all()
        redeemed = 0
        for wallet in wallets:
            spent = s.scalar(select(func.coalesce(func.sum(VoucherRedemptionRow.amount_fen), 0))
                             .where(VoucherRedemptionRow.wallet_id == wallet.id))
            assert wallet.redeemed_fen == spent and wallet.reserved_fen == 0
            assert _balance(s, wallet.ledger_account_id) == wallet.granted_fen - spent
            redeemed += spent
        assert redeemed > 0
        # The program's money (budget not yet granted + what the wallets still hold) fell by exactly
        # what was redeemed; the budget itself fell by what was granted.
        in_wallets = sum(_balance(s, w.ledger_account_id) for w in wallets)
        assert _balance(s, program.budget_account_id) == program.budget_fen - program.granted_fen
        assert _balance(s, program.budget_account_id) + in_wallets == program.budget_fen - redeemed
        result, burn = vouchers.forecast(s, program_id=program.id)
        assert result.remaining_fen == vouchers.budget_left(program) and result.runs_out_on is not None and burn
        # The earlier round's wallet passed its last day (2023-12-31): expired, its money back in the budget.
        earlier = s.scalars(select(VoucherProgramRow).where(VoucherProgramRow.code == "chengdu-2023-h1")).one()
        expired = s.scalars(select(VoucherWalletRow).where(VoucherWalletRow.program_id == earlier.id)).one()
        assert (expired.status, expired.returned_fen, _balance(s, expired.ledger_account_id)) == (
            "expired", expired.granted_fen, 0)
        assert earlier.returned_fen == expired.granted_fen > 0
        assert _balance(s, earlier.budget_account_id) == earlier.budget_fen


def the_reserve_fund_was_drawn_and_a_batch_awaits_the_finance_officer(loaded: sessionmaker[Session]) -> None:
    with loaded() as s:
        drawn = s.scalar(select(func.sum(LedgerChargeRow.from_reserve_fen)))
        assert drawn and drawn > 0
        reserves = ledger.list_accounts(s, purpose="provider_reserve")
        placed = sum(yuan * 100 for yuan in demo.RESERVE_FUNDS.values())
        assert sum(ledger.natural_balance(a) for a in reserves) == placed - drawn
        statements = settlement.list_statements(s)
        assert statements and all(st.gross_fen == st.fee_fen + st.from_reserve_fen + st.payable_fen for st in statements)
        assert sum(st.from_reserve_fen for st in statements) == drawn
        (batch,) = settlement.list_batches(s, status="draft")
        assert batch.created_by == "operator" and batch.total_fen > 0
    with pytest.raises(Forbidden), unit_of_work(loaded) as s:
        settlement.approve_batch(s, batch_id=batch.id, approved_by="operator")  # the preparer may not approve
    with unit_of_work(loaded) as s:
        assert settlement.approve_batch(s, batch_id=batch.id, approved_by="finance").status == "approved"


def history_jobs_released_their_holds_and_live_jobs_wait_for_the_worker(loaded: sessionmaker[Session]) -> None:
    with loaded() as s:
        states = dict(s.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all())
        assert states["succeeded"] >= 5 and states["failed"] >= 1 and states["queued"] >= 4
        assert s.scalar(select(func.count()).select_from(LedgerTransferRow)
                        .where(LedgerTransferRow.status == "pending")) == 0
        reservations = s.scalars(select(VoucherReservationRow)).all()
        assert reservations and {r.status for r in reservations} == {"closed"}
        statuses = {a.status for a in s.scalars(select(VoucherApplicationRow))}
        assert {"granted", "in_review", "submitted"} <= statuses


def the_ineligible_applicant_is_refused_with_the_rule_named_and_nothing_written(loaded: sessionmaker[Session]) -> None:
    before = _count(loaded)
    with pytest.raises(VoucherRuleViolation) as refused, unit_of_work(loaded) as s:
        user = user_by_username(s, "jinjiang-admin")
        assert user is not None
        program_id = s.scalars(select(VoucherProgramRow.id).where(VoucherProgramRow.code == "chengdu-2023")).one()
        vouchers.apply(s, command=vouchers.ApplyCommand(program_id, "视觉质检", 10_000_000),
                       actor=accounts.principal_of(user))
    assert refused.value.rule == "org.tech-sme" and _count(loaded) == before


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(VoucherApplicationRow)) or 0)


def a_redemption_receipt_verifies_offline_and_the_ledger_and_log_are_clean(loaded: sessionmaker[Session], tmp_path) -> None:
    signer = audit.init_signer(tmp_path)
    with unit_of_work(loaded) as s:
        redemption = s.scalars(select(VoucherRedemptionRow).order_by(VoucherRedemptionRow.id)).first()
        assert redemption is not None
        receipt = vouchers.redemption_receipt(s, redemption_id=redemption.id, signer=signer)
    receipt = json.loads(json.dumps(receipt))  # as an auditor receives it: plain JSON
    assert receipt["event"]["kind"] == "voucher.redeemed"
    assert verify_receipt(receipt, signer.public_key).ok
    with loaded() as s:
        assert ledger.check_consistency(s) == []
        assert audit.check_log(s, public_key=signer.public_key).ok


def a_job_settled_after_the_load_lands_on_a_supplementary_invoice_and_statement(loaded: sessionmaker[Session]) -> None:
    """What the worker does after `make demo` started: submit, dispatch (hold), run, follow and meter
    (usage priced, voucher share redeemed, reserve fund drawn); then the finance side issues again."""
    centers = demo._HistoryCenters()
    try:
        with unit_of_work(loaded) as s:
            user = user_by_username(s, "zhixing-admin")
            assert user is not None
            spec = JobSpec(name="补充结算演示", command=f"sleep {2 * 3600}", resources=ResourceRequest(devices=8),
                           time_limit_s=4 * 3600, center="nscc-chengdu", pool="gpu-a100")
            job_id = jobs.submit_job(s, principal=accounts.principal_of(user), spec=spec).id
            dispatch.dispatch_job(s, job_id=job_id, backends=centers)  # type: ignore[arg-type]
            centers.now = time.time()  # dispatched in the virtual past (three days ago), finished by now
            dispatch.follow_job(s, job_id=job_id, backends=centers)  # type: ignore[arg-type]
    finally:
        centers.close()
    with unit_of_work(loaded) as s:
        charge = s.scalars(select(LedgerChargeRow).where(LedgerChargeRow.job_id == job_id)).one()
        assert charge.subsidy_fen > 0 and charge.invoice_id is None and charge.statement_id is None
        month = charge.month
        assert user is not None and user.organisation_id is not None
        invoice = settlement.issue_invoice(s, organisation_id=user.organisation_id, month=month)
        batch = settlement.create_batch(s, month=month, created_by="operator")
    with loaded() as s:
        charge = s.get(LedgerChargeRow, charge.id)
        assert charge is not None and (charge.invoice_id, invoice.sequence) == (invoice.id, 2)
        assert [x.charge_id for x in settlement.invoice_lines(s, invoice_id=invoice.id)] == [charge.id]
        assert invoice.list_price_fen == charge.list_price_fen and invoice.subsidy_fen == charge.subsidy_fen
        (statement,) = settlement.list_statements(s, batch_id=batch.id)
        assert (statement.id, statement.sequence, statement.charges) == (charge.statement_id, 2, 1)
        # -000001 the vouchers' batch awaiting finance, -000002 the awards' batch already paid
        assert statement.gross_fen == charge.list_price_fen and batch.number.endswith("-000003")
        assert ledger.check_consistency(s) == []
