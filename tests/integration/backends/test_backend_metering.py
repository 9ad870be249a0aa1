"""Metering exactly once and reconciling jobs of unknown fate, on SQLite and PostgreSQL.

The centers here are simulated backends with a test clock (a real component of the platform); the
outage is injected by `Down`, a wrapper that fails like an unreachable controller.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from backends_seed import T0, Adapters, seed_center, seed_job
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.backends import simulated
from suanli.backends.base import Observed, SubmitRequest, Usage
from suanli.backends.registry import create
from suanli.db.models.jobs import JobEventRow, UsageRecordRow
from suanli.domain.errors import BackendUnavailable
from suanli.services.metering import backoff, mark_unknown, reconcile, record_usage


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


class Down:
    """Fault injection: a center whose scheduler cannot be reached (every call fails transiently)."""

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> None:
            raise BackendUnavailable("controller not responding (injected)")

        return fail


@pytest.fixture
def clock() -> Iterator[Clock]:
    simulated.reset()
    yield Clock()
    simulated.reset()


def sim(clock: Clock) -> simulated.SimulatedBackend:
    return create("simulated", "sim", {"clock": clock}, {"gpu": ("A800", 16)})  # type: ignore[return-value]


def usage(step: str = "job", device_seconds: int = 7200) -> Usage:
    return Usage(step, device_seconds, device_seconds * 4, 3600, T0, T0 + timedelta(hours=1), 0, "test")


def count_usage(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(UsageRecordRow)) or 0


def test_usage_is_recorded_once_with_its_list_price_and_a_repeat_is_skipped(session: Session) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={}, price=1_000)
    job = seed_job(session, pool, state="succeeded", backend_job_id="sim-1")
    [record] = record_usage(session, job=job, usages=[usage()])
    assert record.charge_fen == 2_000  # 2 device-hours at ¥10.00
    session.commit()
    assert record_usage(session, job=job, usages=[usage(), usage("extern", 0)])[0].step == "extern"
    session.commit()
    assert count_usage(session) == 2


def test_a_record_written_by_a_concurrent_writer_is_not_doubled(sessions, session: Session) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={})
    job = seed_job(session, pool, state="succeeded", backend_job_id="sim-1")
    session.commit()
    with sessions() as other:
        other_job = other.get(type(job), job.id)
        record_usage(other, job=other_job, usages=[usage()])
        other.commit()
    session.expire_all()
    assert record_usage(session, job=job, usages=[usage()]) == []
    session.commit()
    assert count_usage(session) == 1


def test_an_unreachable_center_keeps_the_job_unknown_with_growing_backoff(session: Session) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={})
    job = seed_job(session, pool, state="running", backend_job_id="sim-1")
    mark_unknown(session, job=job, now=T0, reason="squeue timed out")
    assert job.state == "unknown" and job.next_check_at == T0 + backoff(1)
    adapters = Adapters(sim=Down())  # type: ignore[arg-type]
    assert reconcile(session, now=T0, backends=adapters).checked == 0  # not due yet
    report = reconcile(session, now=T0 + timedelta(seconds=2), backends=adapters)
    assert (report.checked, report.still_unknown, job.retries) == (1, 1, 2)
    assert job.next_check_at - (T0 + timedelta(seconds=2)) == timedelta(seconds=4)
    assert backoff(30) == timedelta(seconds=300)


def test_a_job_that_ended_during_the_outage_is_settled_and_metered_once(session: Session, clock: Clock) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={}, price=3_600)
    backend = sim(clock)
    backend.submit(SubmitRequest(1, "j", "sleep 1800", 2, "A800", 8, 1, 86_400, "gpu"))
    job = seed_job(session, pool, state="unknown", backend_job_id="sim-1", devices=2)
    clock.t += 1.0
    report = reconcile(session, now=T0, backends=Adapters(sim=backend))
    assert (job.state, job.exit_code, report.metered) == ("succeeded", 0, 1)
    assert reconcile(session, now=T0, backends=Adapters(sim=backend)).checked == 0
    session.commit()
    [record] = session.scalars(select(UsageRecordRow)).all()
    assert (record.device_seconds, record.charge_fen, record.source) == (3600, 3600, "simulated")


def test_a_job_still_running_after_the_outage_goes_back_to_running(session: Session, clock: Clock) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={})
    backend = sim(clock)
    backend.submit(SubmitRequest(1, "j", "sleep 7200", 1, "A800", 1, 1, 86_400, "gpu"))
    job = seed_job(session, pool, state="unknown", backend_job_id="sim-1")
    reconcile(session, now=T0, backends=Adapters(sim=backend))
    assert job.state == "running" and job.unknown_since is None and count_usage(session) == 0


def test_a_job_being_cancelled_before_the_outage_resumes_cancelling(session: Session, clock: Clock) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={})
    backend = sim(clock)
    backend.submit(SubmitRequest(1, "j", "sleep 7200", 1, "A800", 1, 1, 86_400, "gpu"))
    job = seed_job(session, pool, state="unknown", backend_job_id="sim-1", before_unknown="cancelling")
    reconcile(session, now=T0, backends=Adapters(sim=backend))
    assert job.state == "cancelling"


def test_a_job_the_center_no_longer_knows_is_lost_with_a_reason_and_never_resubmitted(
        session: Session, clock: Clock) -> None:
    pool = seed_center(session, name="sim", kind="simulated", options={})
    vanished = seed_job(session, pool, state="unknown", backend_job_id="sim-99")
    unconfirmed = seed_job(session, pool, state="unknown", backend_job_id=None)
    backend = sim(clock)
    report = reconcile(session, now=T0, backends=Adapters(sim=backend))
    assert report.lost == 2 and vanished.state == unconfirmed.state == "lost"
    assert "no longer knows job sim-99" in vanished.reason
    assert "not resubmitted" in unconfirmed.reason
    assert backend.observe("sim-1").state == Observed.MISSING  # nothing was submitted
    events = session.scalars(select(JobEventRow.to_state).where(JobEventRow.job_id == vanished.id)).all()
    assert events[-1] == "lost" and count_usage(session) == 0
