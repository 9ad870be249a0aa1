"""The worker's scheduled steps on SQLite and PostgreSQL: due steps run once per period, closed months
are invoiced and stated exactly once, a failure is recorded and retried, `suanli admin schedule` shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from suanli.db.models.audit import AuditTreeHead
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import InvoiceRow, SettlementStatementRow
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.ledger.periods import period_of
from suanli.services import billing
from suanli.services.backends import BackendCache
from suanli.workers import schedule
from suanli.workers.loop import Worker


def metered_job(session: Session, when: datetime) -> None:
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
                   price_fen_per_device_hour=1200)
    session.add(pool)
    session.flush()
    job = JobRow(name="train", command="python train.py", organisation_id=buyer.id, user_id=user.id, state="queued",
                 request={}, devices=2, time_limit_s=3_600, pool_id=pool.id)
    session.add(job)
    session.flush()
    billing.on_job_admitted(session, job=job)
    usage = UsageRecordRow(job_id=job.id, center_id=pool.center_id, pool_id=pool.id, organisation_id=buyer.id,
                           backend_job_id="b1", step="0", device_seconds=3_600, core_seconds=0, wall_seconds=1_800,
                           started_at=when, ended_at=when, source="test")
    session.add(usage)
    session.flush()
    billing.on_usage_metered(session, usage=usage)
    billing.on_job_ended(session, job=job)


def counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with unit_of_work(sessions) as s:
        return (s.scalar(select(func.count()).select_from(InvoiceRow)) or 0,
                s.scalar(select(func.count()).select_from(SettlementStatementRow)) or 0,
                s.scalar(select(func.count()).select_from(AuditTreeHead)) or 0)


def test_steps_run_once_per_period_and_closed_months_are_invoiced_once(sessions: sessionmaker[Session],
                                                                       tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with unit_of_work(sessions) as s:
        metered_job(s, now)
    worker = Worker(sessions, BackendCache(tmp_path))
    names = [step.name for step in schedule.STEPS]

    assert schedule.run_due(worker, now=now) == names  # every step is due at the first tick
    invoices, statements, heads = counts(sessions)
    assert (invoices, statements) == (0, 0)  # the charge's month is still open
    assert heads == 1
    assert schedule.run_due(worker, now=now + timedelta(seconds=1)) == []  # nothing is due again yet

    next_month = now + timedelta(days=40)
    assert period_of(next_month) != period_of(now)
    assert set(schedule.run_due(worker, now=next_month)) == set(names)
    assert counts(sessions)[:2] == (1, 1)
    # The steps of a minute or less (the checkpoint; the notifier, every 30 s) are due again.
    assert schedule.run_due(worker, now=next_month + timedelta(seconds=61)) == ["audit-checkpoint", "notifications"]
    assert set(schedule.run_due(worker, now=next_month + timedelta(hours=2))) == set(names)
    assert counts(sessions)[:2] == (1, 1)  # idempotent: the month is not invoiced twice

    with unit_of_work(sessions) as s:
        shown = {row["name"]: row for row in schedule.status(s)}
    assert shown["monthly-invoices"]["runs"] == 3 and shown["monthly-invoices"]["last_detail"] == "0 invoices issued"
    assert shown["monthly-statements"]["last_status"] == "ok"
    assert shown["audit-checkpoint"]["runs"] == 4


def test_a_failing_step_is_recorded_and_retried(sessions: sessionmaker[Session], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(session: Session, now: datetime, worker: Worker) -> str:
        raise RuntimeError("center archive unreachable")

    monkeypatch.setattr(schedule, "STEPS", (schedule.Step("broken", timedelta(days=1), broken),))
    worker = Worker(sessions, BackendCache(tmp_path))
    now = datetime.now(UTC)
    assert schedule.run_due(worker, now=now) == []
    with unit_of_work(sessions) as s:
        row = schedule.status(s)[0]
    assert (row["last_status"], row["failures"], row["runs"]) == ("failed", 1, 0)
    assert "center archive unreachable" in row["last_detail"]
    assert datetime.fromisoformat(row["next_run_at"]) == now + schedule.RETRY_AFTER
    assert schedule.run_due(worker, now=now + timedelta(minutes=1)) == []
    with unit_of_work(sessions) as s:
        assert schedule.status(s)[0]["failures"] == 1  # not retried before RETRY_AFTER


def test_admin_schedule_lists_every_step_with_its_last_run(sqlite_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from suanli.cli.main import app
    from suanli.db.engine import make_engine
    from suanli.db.uow import session_factory

    engine = make_engine(sqlite_url)
    Worker(session_factory(engine), BackendCache(tmp_path)).tick()
    engine.dispose()
    monkeypatch.setenv("SUANLI_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["admin", "schedule", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == [s.name for s in schedule.STEPS]
    assert all(r["runs"] == 1 and r["last_status"] == "ok" and r["last_started_at"] for r in rows)
    assert CliRunner().invoke(app, ["admin", "schedule"]).exit_code == 0
