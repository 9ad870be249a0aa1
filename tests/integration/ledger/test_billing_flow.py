"""A job's money from admission to the provider's payout, on both databases: hold at admission,
priced usage posted with a voucher share (through the seam) and a reserve-fund draw-down, the hold
released at the end, a monthly invoice and provider statement, a batch approved and paid, exports."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import Forbidden
from suanli.domain.ledger.periods import period_of
from suanli.domain.subsidy import NoSubsidy, SubsidyPolicy
from suanli.services import billing, ledger, ports, settlement

PRICE = 1_200  # fen per device-hour


def make_world(session: Session) -> tuple[JobRow, PoolRow, int]:
    buyer = OrganisationRow(name="Rongcheng AI", name_zh="蓉城智能", type="enterprise", city="Chengdu")
    provider = OrganisationRow(name="Chengdu ICC", name_zh="成都智算中心", type="provider", city="Chengdu")
    session.add_all([buyer, provider])
    session.flush()
    user = UserRow(username="u", display_name="U", password_hash="x", role="org_member", organisation_id=buyer.id)
    center = CenterRow(name="cdicc", name_zh="成都智算", kind="ai", city="Chengdu", backend_kind="simulated",
                       provider_organisation_id=provider.id)
    session.add_all([user, center])
    session.flush()
    pool = PoolRow(center_id=center.id, name="a800", model="A800", ecosystem="cuda", device_memory_gb=80,
                   fp16_tflops=312.0, nodes=2, devices_per_node=8, cpus_per_node=64, memory_gb_per_node=512,
                   price_fen_per_device_hour=PRICE)
    session.add(pool)
    session.flush()
    job = JobRow(name="train", command="python train.py", organisation_id=buyer.id, user_id=user.id, state="queued",
                 request={}, devices=2, time_limit_s=3_600, pool_id=pool.id)
    session.add(job)
    session.flush()
    return job, pool, provider.id


def usage_for(job: JobRow, pool: PoolRow, step: str, device_seconds: int) -> UsageRecordRow:
    now = datetime.now(UTC)
    return UsageRecordRow(job_id=job.id, center_id=pool.center_id, pool_id=pool.id, organisation_id=job.organisation_id,
                          backend_job_id="b1", step=step, device_seconds=device_seconds, core_seconds=0,
                          wall_seconds=device_seconds // 2, started_at=now, ended_at=now, source="test")


@pytest.fixture
def thirty_percent_voucher() -> Iterator[None]:
    """Stands in for the voucher engine (issue 6) through its typed seam: 30% from program 1, no
    admission holds (so billing's own hold covers the whole expected charge)."""
    class ThirtyPercent:
        def subsidy_policy(self, session: Session, *, organisation_ids: Sequence[int]) -> SubsidyPolicy:
            return NoSubsidy()

        def voucher_share(self, session: Session, *, usage: UsageRecordRow, charge_fen: int) -> ports.VoucherShare:
            return ports.VoucherShare(charge_fen * 3 // 10, program_id=1, program="Chengdu 2023", reasons=("30%",))

        def hold_for_job(self, session: Session, **_: object) -> int:
            return 0

        def release_job_hold(self, session: Session, *, job_id: int, reason: str) -> int:
            return 0

    before = ports.installed()
    ports.install(ports.Capabilities(lifecycle=before.lifecycle, placer=before.placer, vouchers=ThirtyPercent()))
    yield
    ports.install(before)


def test_a_subsidised_job_is_invoiced_settled_and_paid(sessions: sessionmaker[Session],
                                                       thirty_percent_voucher: None) -> None:
    with unit_of_work(sessions) as s:
        job, pool, provider = make_world(s)
        settlement.deposit_program_budget(s, program_id=1, amount_fen=1_000_000, idempotency_key="budget")
        settlement.grant_to_wallet(s, program_id=1, organisation_id=job.organisation_id, amount_fen=100_000, grant_id=7)
        settlement.prefund_reserve(s, program_id=1, provider_organisation_id=provider, amount_fen=50_000,
                                   idempotency_key="reserve")
        billing.on_job_admitted(s, job=job)
        hold = ledger.list_transfers(s, source_kind="job", source_id=str(job.id))[0]
        assert (hold.kind, hold.status, hold.amount_fen) == ("reserve", "pending", 2 * PRICE)
        first, second = usage_for(job, pool, "0", 1_801), usage_for(job, pool, "1", 600)
        s.add_all([first, second])
        s.flush()
        billing.on_usage_metered(s, usage=first)
        billing.on_usage_metered(s, usage=first)  # the worker retried: nothing changes
        billing.on_usage_metered(s, usage=second)
        billing.on_job_ended(s, job=job)
    # 1,801 device-seconds bill as 1,860 (per-minute steps): 1,200 x 1,860 / 3,600 = 620 fen; 600 s -> 200 fen.
    assert (first.charge_fen, second.charge_fen) == (620, 200)
    month = period_of(datetime.now(UTC))
    with unit_of_work(sessions) as s:
        invoice = settlement.issue_invoice(s, organisation_id=job.organisation_id, month=month)
        assert (invoice.list_price_fen, invoice.subsidy_fen, invoice.amount_due_fen) == (820, 186 + 60, 434 + 140)
        lines = settlement.invoice_lines(s, invoice_id=invoice.id)
        assert [(x.list_price_fen, x.subsidy_fen, x.amount_due_fen) for x in lines] == [(620, 186, 434), (200, 60, 140)]
        receivable = ledger.get_account(s, account_id=billing.receivable_account(s, job.organisation_id))
        assert ledger.natural_balance(receivable) == 574  # the hold of 2,400 was posted 574 and released the rest
        batch = settlement.create_batch(s, month=month, created_by="operator")
        with pytest.raises(Forbidden):
            settlement.approve_batch(s, batch_id=batch.id, approved_by="operator")
        settlement.approve_batch(s, batch_id=batch.id, approved_by="finance")
        statement = settlement.get_statement(s, statement_id=1)
        assert (statement.gross_fen, statement.from_reserve_fen, statement.payable_fen) == (820, 246, 574)
        settlement.record_payment(s, organisation_id=job.organisation_id, amount_fen=574, idempotency_key="pay")
        settlement.pay_batch(s, batch_id=batch.id, paid_by="finance")
    with unit_of_work(sessions) as s:
        payable = ledger.get_account(s, account_id=statement.provider_account_id)
        reserve = ledger.list_accounts(s, purpose="provider_reserve")[0]
        assert ledger.natural_balance(payable) == 0 and ledger.natural_balance(reserve) == 50_000
        assert ledger.check_consistency(s) == []
        rows = settlement.table(settlement.invoice_lines(s, invoice_id=invoice.id), settlement.INVOICE_LINE_COLUMNS)
        assert settlement.to_csv(rows).decode("utf-8-sig").splitlines()[1].endswith(",620,186,434")
        sheet = load_workbook(io.BytesIO(settlement.to_xlsx(rows, "invoice"))).active
        assert sheet is not None and sheet.cell(row=2, column=5).value == 620
