"""Reserve at admission, post at completion (issue 6) through billing's hooks, on SQLite and
PostgreSQL: the voucher's expected share is held on the wallet when the job is admitted, metered
usage is posted out of that hold exactly once, the rest is voided when the job ends, and a job
cancelled before it runs leaves the wallet whole and charges nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.backends.base import Observation, Observed
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import LedgerChargeRow, LedgerTransferRow
from suanli.db.models.vouchers import VoucherRedemptionRow, VoucherReservationRow, VoucherWalletRow
from suanli.db.uow import unit_of_work
from suanli.services import billing, ledger, metering
from suanli.services import vouchers as svc

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"
TEXT = (PROGRAMS / "chengdu-2023.yaml").read_text().replace(
    "windows:\n  - {opens: 2023-01-02, closes: 2023-06-30}\n", "").replace("expires_on: 2023-12-31", "valid_days: 365")
GRANT = 1_000_000
PRICE = 1500  # the world's A100 pool, fen per device-hour


def _granted_job(sessions: sessionmaker[Session], world, state: str = "dispatched") -> int:
    with unit_of_work(sessions) as s:
        program_id = svc.load_program(s, text=TEXT, actor=world.bureau).id
        svc.set_window(s, program_id=program_id, open=True, actor=world.bureau)
        app_id = svc.apply(s, command=svc.ApplyCommand(program_id, "traffic model", GRANT), actor=world.sme_admin).id
        svc.review(s, application_id=app_id, actor=world.bureau, approve=True, score=90)
        svc.review(s, application_id=app_id, actor=world.officer2, approve=True)
        job = JobRow(name="train", command="sleep 3600", organisation_id=world.sme_admin.organisation_id,
                     user_id=world.sme_admin.user_id, state=state, request={}, devices=2, time_limit_s=3600,
                     pool_id=world.pool_id, backend_job_id="sim-1")
        s.add(job)
        s.flush()
        return job.id


def _holds(s: Session, job_id: int) -> dict[str, LedgerTransferRow]:
    rows = s.scalars(select(LedgerTransferRow).where(LedgerTransferRow.kind == "reserve",
                                                     LedgerTransferRow.source_id == str(job_id))).all()
    return {("voucher" if ":voucher:" in r.idempotency_key else "organisation"): r for r in rows}


def _wallet(s: Session) -> tuple[VoucherWalletRow, int]:
    wallet = s.scalars(select(VoucherWalletRow)).one()
    return wallet, ledger.natural_balance(ledger.get_account(s, account_id=wallet.ledger_account_id))


def _usage(s: Session, job_id: int, world, step: str, device_seconds: int) -> UsageRecordRow:
    now = datetime.now(UTC)
    usage = UsageRecordRow(job_id=job_id, center_id=world.center_id, pool_id=world.pool_id,
                           organisation_id=world.sme_admin.organisation_id, backend_job_id="sim-1", step=step,
                           device_seconds=device_seconds, core_seconds=0, wall_seconds=device_seconds // 2,
                           started_at=now, ended_at=now, source="test")
    s.add(usage)
    s.flush()
    return usage


def test_the_voucher_share_is_held_at_admission_posted_at_metering_and_the_rest_voided(sessions, world) -> None:
    job_id = _granted_job(sessions, world)
    expected = 2 * PRICE  # two devices for the one-hour time limit
    for _ in range(2):  # a replayed admission changes nothing
        with unit_of_work(sessions) as s:
            billing.on_job_admitted(s, job=s.get(JobRow, job_id))
    with sessions() as s:
        holds = _holds(s, job_id)
        assert holds["voucher"].amount_fen == expected * 30 // 100 and holds["voucher"].status == "pending"
        assert holds["organisation"].amount_fen == expected - expected * 30 // 100
        wallet, balance = _wallet(s)
        assert wallet.reserved_fen == expected * 30 // 100 and balance == GRANT - wallet.reserved_fen
    for step, seconds in (("0", 1_800), ("1", 600), ("0", 1_800)):  # the last is a replay of step 0
        with unit_of_work(sessions) as s:
            existing = s.scalar(select(UsageRecordRow).where(UsageRecordRow.step == step))
            billing.on_usage_metered(s, usage=existing or _usage(s, job_id, world, step, seconds))
    with sessions() as s:
        charges = s.scalars(select(LedgerChargeRow)).all()
        subsidy = sum(c.subsidy_fen for c in charges)
        assert len(charges) == 2 and subsidy == (750 + 250) * 30 // 100
        assert _holds(s, job_id)["voucher"].posted_fen == subsidy
        wallet, balance = _wallet(s)
        assert wallet.redeemed_fen == subsidy and wallet.reserved_fen == expected * 30 // 100 - subsidy
    for _ in range(2):  # ending twice voids once
        with unit_of_work(sessions) as s:
            billing.on_job_ended(s, job=s.get(JobRow, job_id))
    with sessions() as s:
        holds = _holds(s, job_id)
        assert holds["voucher"].status == "posted" and holds["voucher"].released_fen == expected * 30 // 100 - subsidy
        assert holds["organisation"].released_fen == holds["organisation"].amount_fen - (1000 - subsidy)
        wallet, balance = _wallet(s)
        assert wallet.reserved_fen == 0 and balance == GRANT - subsidy == wallet.granted_fen - wallet.redeemed_fen
        assert s.scalars(select(VoucherReservationRow)).one().status == "closed"
        assert ledger.check_consistency(s) == []


def test_a_job_cancelled_before_it_runs_releases_the_voucher_hold_and_is_charged_nothing(sessions, world) -> None:
    job_id = _granted_job(sessions, world)
    with unit_of_work(sessions) as s:
        billing.on_job_admitted(s, job=s.get(JobRow, job_id))
    with unit_of_work(sessions) as s:
        job = s.get(JobRow, job_id)
        job.state = "cancelling"
        # What the worker does when the center reports the job cancelled before it ever started.
        metering.settle(s, job=job, seen=Observation(Observed.CANCELLED, reason="cancelled by the user"), usages=[])
    with sessions() as s:
        holds = _holds(s, job_id)
        assert {h.status for h in holds.values()} == {"voided"}
        assert all(h.posted_fen == 0 and h.released_fen == h.amount_fen for h in holds.values())
        wallet, balance = _wallet(s)
        assert (wallet.reserved_fen, wallet.redeemed_fen, balance) == (0, 0, GRANT)
        assert s.scalar(select(func.count()).select_from(LedgerChargeRow)) == 0
        assert s.scalar(select(func.count()).select_from(VoucherRedemptionRow)) == 0
        assert s.get(JobRow, job_id).state == "cancelled"
        assert ledger.check_consistency(s) == []


def test_a_job_placed_elsewhere_moves_its_voucher_hold_and_the_wallet_is_never_held_twice(sessions, world) -> None:
    job_id = _granted_job(sessions, world)
    with unit_of_work(sessions) as s:
        billing.on_job_admitted(s, job=s.get(JobRow, job_id))
        first = _holds(s, job_id)["voucher"].id
        held = svc.hold_for_job(s, job_id=job_id, organisation_id=world.sme_admin.organisation_id,
                                center="nscc-chengdu", payable_account_id=_holds(s, job_id)["voucher"].credit_account_id,
                                estimate_fen=4 * PRICE, idempotency_key=f"job:{job_id}:voucher:elsewhere")
        assert held == 4 * PRICE * 30 // 100
    with sessions() as s:
        assert s.get(LedgerTransferRow, first).status == "voided"
        wallet, balance = _wallet(s)
        assert wallet.reserved_fen == held and balance == GRANT - held
        assert ledger.check_consistency(s) == []
