"""Charges metered after a month's invoice and statement were issued land on supplementary ones, each
charge exactly once, also under concurrent issuers; batches gather the supplementary statements; the
migration backfills what existing documents already cover. Both databases."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.engine import make_engine, normalise_url
from suanli.db.migrate import alembic_config, upgrade
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import InvoiceLineRow, LedgerChargeRow
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.errors import InvalidInput
from suanli.domain.ledger.periods import period_of
from suanli.services import audit, billing, ledger, settlement

MONTH = period_of(datetime.now(UTC))
PRICE = 3_600  # fen per device-hour: one fen per device-second


class World:
    """Buyers sharing one provider's pool; `meter(buyer)` runs one job of one device-hour through the
    worker's billing hooks (hold at admission, usage priced and posted, hold released)."""

    def __init__(self, session: Session, buyers: int) -> None:
        provider = OrganisationRow(name="Chengdu ICC", name_zh="成都智算中心", type="provider", city="Chengdu")
        self.buyers = [OrganisationRow(name=f"Buyer {i}", name_zh=f"买方{i}", type="enterprise", city="Chengdu")
                       for i in range(buyers)]
        session.add_all([provider, *self.buyers])
        session.flush()
        self.users = [UserRow(username=f"u{b.id}", display_name="U", password_hash="x", role="org_member",
                              organisation_id=b.id) for b in self.buyers]
        center = CenterRow(name="cdicc", name_zh="成都智算", kind="ai", city="Chengdu", backend_kind="simulated",
                           provider_organisation_id=provider.id)
        session.add_all([center, *self.users])
        session.flush()
        self.pool = PoolRow(center_id=center.id, name="a800", model="A800", ecosystem="cuda", device_memory_gb=80,
                            fp16_tflops=312.0, nodes=2, devices_per_node=8, cpus_per_node=64,
                            memory_gb_per_node=512, price_fen_per_device_hour=PRICE)
        session.add(self.pool)
        session.flush()
        self.buyer_ids = [b.id for b in self.buyers]

    def meter(self, session: Session, buyer: int = 0, device_seconds: int = 3_600) -> int:
        user = self.users[buyer]
        job = JobRow(name="train", command="python train.py", organisation_id=user.organisation_id, user_id=user.id,
                     state="running", request={}, devices=1, time_limit_s=3_600, pool_id=self.pool.id)
        session.add(job)
        session.flush()
        billing.on_job_admitted(session, job=job)
        now = datetime.now(UTC)
        usage = UsageRecordRow(job_id=job.id, center_id=self.pool.center_id, pool_id=self.pool.id,
                               organisation_id=job.organisation_id, backend_job_id=f"b{job.id}", step="0",
                               device_seconds=device_seconds, core_seconds=0, wall_seconds=device_seconds,
                               started_at=now, ended_at=now, source="test")
        session.add(usage)
        session.flush()
        billing.on_usage_metered(session, usage=usage)
        billing.on_job_ended(session, job=job)
        return job.id


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with unit_of_work(sessions) as s:
        return World(s, buyers=3)


def test_a_charge_metered_after_the_months_invoice_lands_on_a_supplementary_invoice(
        sessions: sessionmaker[Session], world: World) -> None:
    buyer = world.buyer_ids[0]
    with unit_of_work(sessions) as s:
        world.meter(s)
        first = settlement.issue_invoice(s, organisation_id=buyer, month=MONTH)
    with unit_of_work(sessions) as s:
        world.meter(s, device_seconds=1_800)
    with unit_of_work(sessions) as s:
        second = settlement.issue_invoice(s, organisation_id=buyer, month=MONTH)
        with pytest.raises(settlement.NothingToInvoice):
            settlement.issue_invoice(s, organisation_id=buyer, month=MONTH)
    month = MONTH.replace("-", "")
    assert (first.number, first.sequence, first.list_price_fen) == (f"INV{month}-000001", 1, 3_600)
    assert (second.number, second.sequence, second.list_price_fen) == (f"INV{month}-000002", 2, 1_800)
    with unit_of_work(sessions) as s:
        assert [x.list_price_fen for x in settlement.invoice_lines(s, invoice_id=second.id)] == [1_800]
        assert [c.invoice_id for c in s.scalars(select(LedgerChargeRow).order_by(LedgerChargeRow.id))] == [first.id,
                                                                                                          second.id]
        assert ledger.check_consistency(s) == []


def test_the_months_first_invoice_is_issued_even_without_charges_and_then_nothing_more(
        sessions: sessionmaker[Session], world: World) -> None:
    with unit_of_work(sessions) as s:
        nil = settlement.issue_invoice(s, organisation_id=world.buyer_ids[1], month=MONTH)
        assert (nil.sequence, nil.amount_due_fen) == (1, 0)
    with unit_of_work(sessions) as s, pytest.raises(settlement.NothingToInvoice) as refused:
        settlement.issue_invoice(s, organisation_id=world.buyer_ids[1], month=MONTH)
    assert refused.value.status == 409 and "not invoiced yet" in refused.value.detail


def test_supplementary_statements_are_batched_and_reserve_top_ups_are_not_repeated(
        sessions: sessionmaker[Session], world: World) -> None:
    with unit_of_work(sessions) as s:
        world.meter(s)
        first = settlement.create_batch(s, month=MONTH, created_by="operator")
    with unit_of_work(sessions) as s:
        world.meter(s, buyer=1, device_seconds=600)
        world.meter(s, buyer=2, device_seconds=1_200)
    with unit_of_work(sessions) as s:
        second = settlement.create_batch(s, month=MONTH, created_by="operator")
        with pytest.raises(InvalidInput):
            settlement.create_batch(s, month=MONTH, created_by="operator")
        statements = settlement.list_statements(s, month=MONTH)
        assert [(x.sequence, x.charges, x.gross_fen, x.batch_id) for x in statements] == [
            (1, 1, 3_600, first.id), (2, 2, 1_800, second.id)]
        assert (first.total_fen, second.total_fen) == (3_600, 1_800)
        assert second.number.endswith("-000002") and statements[1].number.endswith("-000002")
        for buyer, paid in zip(world.buyer_ids, (3_600, 600, 1_200), strict=True):
            settlement.record_payment(s, organisation_id=buyer, amount_fen=paid, idempotency_key=f"paid:{buyer}")
        for batch in (first, second):
            settlement.approve_batch(s, batch_id=batch.id, approved_by="finance")
            settlement.pay_batch(s, batch_id=batch.id, paid_by="finance")
        payable = ledger.get_account(s, account_id=statements[0].provider_account_id)
        assert ledger.natural_balance(payable) == 0
        assert ledger.check_consistency(s) == []


def _race(workers: int, work: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """Start `workers` threads at once on `work`; what they returned and what they raised."""
    barrier, results, errors = threading.Barrier(workers), [], []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 -- collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_concurrent_issuers_put_each_charge_on_exactly_one_invoice(sessions: sessionmaker[Session],
                                                                  world: World) -> None:
    with unit_of_work(sessions) as s:
        for buyer in (0, 0, 1, 2):
            world.meter(s, buyer=buyer)

    def issue(buyer: int) -> Callable[[], int]:
        def work() -> int:
            with unit_of_work(sessions) as s:
                return settlement.issue_invoice(s, organisation_id=world.buyer_ids[buyer], month=MONTH).id
        return work

    for round_ in range(2):
        calls = iter([0, 0, 0, 1, 1, 2] * 10)
        lock = threading.Lock()

        def next_issue(calls: Iterator[int] = calls, lock: threading.Lock = lock) -> int:
            with lock:
                buyer = next(calls)
            return issue(buyer)()

        issued, errors = _race(6, next_issue)
        assert all(isinstance(e, settlement.NothingToInvoice) for e in errors), errors
        assert len(issued) == 3 if round_ == 0 else len(issued) == 1
        if round_ == 0:
            with unit_of_work(sessions) as s:
                world.meter(s, buyer=0, device_seconds=60)
    with unit_of_work(sessions) as s:
        charges = s.scalars(select(LedgerChargeRow)).all()
        assert len(charges) == 5 and all(c.invoice_id is not None for c in charges)
        assert s.scalar(select(func.count()).select_from(InvoiceLineRow)) == 5
        numbers = sorted(i.number for i in settlement.list_invoices(s, month=MONTH))
        assert numbers == [f"INV{MONTH.replace('-', '')}-{n:06d}" for n in range(1, 5)]
        assert ledger.check_consistency(s) == []


def test_concurrent_batch_preparers_state_and_batch_each_charge_once(sessions: sessionmaker[Session],
                                                                    world: World) -> None:
    with unit_of_work(sessions) as s:
        world.meter(s, buyer=0)
        world.meter(s, buyer=1)

    def prepare() -> int:
        with unit_of_work(sessions) as s:
            return settlement.create_batch(s, month=MONTH, created_by="operator").id

    batches, errors = _race(4, prepare)
    assert len(batches) == 1 and all(isinstance(e, InvalidInput) for e in errors), errors
    with unit_of_work(sessions) as s:
        assert [(x.charges, x.batch_id) for x in settlement.list_statements(s, month=MONTH)] == [(2, batches[0])]
        assert all(c.statement_id is not None for c in s.scalars(select(LedgerChargeRow)))
        assert ledger.check_consistency(s) == []


def test_a_charge_cannot_be_put_on_a_second_invoice_by_sql_written_around_the_code(
        sessions: sessionmaker[Session], world: World) -> None:
    with unit_of_work(sessions) as s:
        world.meter(s)
        invoice = settlement.issue_invoice(s, organisation_id=world.buyer_ids[0], month=MONTH)
        line = settlement.invoice_lines(s, invoice_id=invoice.id)[0]
    with pytest.raises(Exception, match="(?i)unique"), unit_of_work(sessions) as s:
        s.execute(text("INSERT INTO invoice_lines (invoice_id, charge_id, description, device_seconds, "
                       "price_fen_per_device_hour, list_price_fen, subsidy_fen, amount_due_fen, created_at) "
                       "VALUES (:i, :c, 'again', 1, 1, 1, 0, 1, :t)"),
                  {"i": invoice.id, "c": line.charge_id, "t": datetime.now(UTC)})


# --- the migration ------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A database of this test's own (it is downgraded and upgraded again, so not the shared one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    admin = os.environ.get("SUANLI_TEST_POSTGRES_URL")
    if not admin:
        pytest.skip("PostgreSQL tests need SUANLI_TEST_POSTGRES_URL")
    name = f"suanli_mig_{uuid.uuid4().hex[:10]}"
    admin_engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(normalise_url(admin)).set(database=name).render_as_string(hide_password=False)
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def test_upgrading_existing_documents_backfills_them_so_nothing_is_invoiced_twice(own_db_url: str) -> None:
    engine = make_engine(own_db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as s:
        world = World(s, buyers=1)
        world.meter(s)
        world.meter(s, device_seconds=60)
        settlement.issue_invoice(s, organisation_id=world.buyer_ids[0], month=MONTH)
        settlement.create_batch(s, month=MONTH, created_by="operator")
    with unit_of_work(sessions) as s:
        world.meter(s, device_seconds=120)  # after the documents: on none
    with unit_of_work(sessions) as s:  # 0027's downgrade refuses to drop events still in the outbox
        audit.catch_up(s)
    engine.dispose()
    config = alembic_config(own_db_url)
    command.downgrade(config, "0006")
    engine = make_engine(own_db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with unit_of_work(sessions) as s:
        claimed = [(c.invoice_id, c.statement_id) for c in s.scalars(select(LedgerChargeRow).order_by(LedgerChargeRow.id))]
        assert claimed == [(1, 1), (1, 1), (None, None)]
        assert ledger.check_consistency(s) == []
        supplementary = settlement.issue_invoice(s, organisation_id=world.buyer_ids[0], month=MONTH)
        batch = settlement.create_batch(s, month=MONTH, created_by="operator")
        assert (supplementary.sequence, supplementary.list_price_fen, batch.total_fen) == (2, 120, 120)
        assert ledger.check_consistency(s) == []
    engine.dispose()
