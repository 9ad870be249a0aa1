"""Metering (计量) and reconciliation: usage written exactly once, jobs of unknown fate repaired.

`record_usage` turns a finished job's usage (from the center's own accounting) into usage records,
one per (center, backend job id, step) thanks to the table's unique key: a second write of the same
step is detected and skipped, never doubled, and it happens in the caller's transaction, the one
that also records the job's final state. Each record carries its list-price charge in fen.

`reconcile` repairs jobs in state `unknown` (the center could not be asked): each due job is asked
about again; while the center stays unreachable the job waits with exponential backoff
(`jobs.retries`, `jobs.next_check_at`); once reachable it takes the center's actual state (and is
metered if it ended); a job the center no longer knows becomes `lost` with a reason. Nothing is
ever resubmitted. Both functions flush only; the edge commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.backends.base import Backend, Observation, Observed, Usage
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobEventRow, JobRow, UsageRecordRow
from suanli.db.repositories import reports as reports_repo
from suanli.domain.errors import BackendUnavailable
from suanli.domain.jobs import JobState
from suanli.domain.money import charge_for_usage
from suanli.services.jobs import move
from suanli.services.ports import installed

BASE_BACKOFF_S = 2
MAX_BACKOFF_S = 300
ACTIVE_TARGET = {Observed.PENDING: JobState.DISPATCHED, Observed.RUNNING: JobState.RUNNING}
FINAL_TARGET = {Observed.SUCCEEDED: JobState.SUCCEEDED, Observed.FAILED: JobState.FAILED,
                Observed.TIMED_OUT: JobState.TIMED_OUT, Observed.CANCELLED: JobState.CANCELLED}


class Backends(Protocol):
    def for_center(self, center: CenterRow) -> Backend: ...


@dataclass
class ReconcileReport:
    checked: int = 0
    still_unknown: int = 0
    restored: dict[str, int] = field(default_factory=dict)  # state -> jobs
    lost: int = 0
    metered: int = 0


def backoff(retries: int) -> timedelta:
    """2 s, 4 s, 8 s ... capped at five minutes."""
    return timedelta(seconds=min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** min(max(retries - 1, 0), 16)))


def _existing(session: Session, center_id: int, backend_job_id: str, step: str) -> UsageRecordRow | None:
    return session.scalar(select(UsageRecordRow).where(UsageRecordRow.center_id == center_id,
                                                       UsageRecordRow.backend_job_id == backend_job_id,
                                                       UsageRecordRow.step == step))


def record_usage(session: Session, *, job: JobRow, usages: list[Usage]) -> list[UsageRecordRow]:
    """Write a finished job's usage records exactly once; returns the records written now."""
    if not usages or job.pool_id is None or job.backend_job_id is None:
        return []
    pool = session.get(PoolRow, job.pool_id)
    assert pool is not None
    written = []
    lifecycle = installed().lifecycle
    for usage in usages:
        if _existing(session, pool.center_id, job.backend_job_id, usage.step) is not None:
            continue
        record = UsageRecordRow(
            job_id=job.id, center_id=pool.center_id, pool_id=pool.id, organisation_id=job.organisation_id,
            backend_job_id=job.backend_job_id, step=usage.step, device_seconds=usage.device_seconds,
            core_seconds=usage.core_seconds, wall_seconds=usage.wall_seconds, started_at=usage.started_at,
            ended_at=usage.ended_at, exit_code=usage.exit_code, source=usage.source,
            charge_fen=charge_for_usage(pool.price_fen_per_device_hour, usage.device_seconds))
        try:
            with session.begin_nested():  # a concurrent writer won the race: its record stands
                session.add(record)
                session.flush()
                # The dashboard's sum moves with the record, in its transaction: exactly once too.
                reports_repo.count_usage(session, center_id=pool.center_id, ecosystem=pool.ecosystem,
                                         day=usage.started_at.astimezone(UTC).date(),
                                         device_seconds=usage.device_seconds)
        except IntegrityError:
            continue
        written.append(record)
        if lifecycle is not None:
            lifecycle.on_usage_metered(session, usage=record)
    return written


def mark_unknown(session: Session, *, job: JobRow, now: datetime, reason: str) -> None:
    """The center could not be asked about an active job: wait and retry, never resubmit."""
    if job.state != JobState.UNKNOWN.value:
        move(session, job, JobState.UNKNOWN, f"center unreachable: {reason}")
        job.unknown_since, job.retries = now, 0
    retry_later(job, now, reason)


def retry_later(job: JobRow, now: datetime, reason: str) -> None:
    """The center could not be reached about this job: ask again after a growing backoff."""
    job.retries += 1
    job.next_check_at = now + backoff(job.retries)
    job.reason = f"center unreachable (check {job.retries}): {reason}"[:1000]


def settle(session: Session, *, job: JobRow, seen: Observation, usages: list[Usage]) -> list[UsageRecordRow]:
    """Give a job its final state and its usage records in one go (one transaction)."""
    target = FINAL_TARGET[seen.state]
    move(session, job, target, seen.reason or f"center reports {seen.state.value}")
    job.exit_code = seen.exit_code
    job.started_at = job.started_at or seen.started_at
    job.ended_at = seen.ended_at or job.updated_at
    job.unknown_since, job.next_check_at, job.retries = None, None, 0
    records = record_usage(session, job=job, usages=usages)
    lifecycle = installed().lifecycle
    if lifecycle is not None:
        lifecycle.on_job_ended(session, job=job)
    return records


def _state_before_unknown(session: Session, job: JobRow) -> str | None:
    return session.scalar(select(JobEventRow.from_state).where(JobEventRow.job_id == job.id,
                                                               JobEventRow.to_state == JobState.UNKNOWN.value)
                          .order_by(JobEventRow.id.desc()).limit(1))


def _due_unknown_jobs(session: Session, now: datetime, limit: int) -> list[JobRow]:
    query = (select(JobRow).where(JobRow.state == JobState.UNKNOWN.value)
             .where((JobRow.next_check_at.is_(None)) | (JobRow.next_check_at <= now))
             .order_by(JobRow.id).limit(limit).with_for_update(skip_locked=True))
    return list(session.scalars(query))


def reconcile(session: Session, *, now: datetime, backends: Backends, limit: int = 100) -> ReconcileReport:
    """Ask the centers again about every due job in state `unknown`, and repair each one."""
    report = ReconcileReport()
    for job in _due_unknown_jobs(session, now, limit):
        report.checked += 1
        _reconcile_one(session, job, now, backends, report)
    session.flush()
    return report


def _reconcile_one(session: Session, job: JobRow, now: datetime, backends: Backends, report: ReconcileReport) -> None:
    if job.backend_job_id is None or job.pool_id is None:
        move(session, job, JobState.LOST, "the center never confirmed the job; it is not resubmitted")
        job.ended_at = now
        report.lost += 1
        return
    pool = session.get(PoolRow, job.pool_id)
    assert pool is not None
    backend = backends.for_center(pool.center)
    try:
        seen = backend.observe(job.backend_job_id)
        usages = backend.usage(job.backend_job_id) if seen.state.is_final and seen.state != Observed.MISSING else []
    except BackendUnavailable as exc:
        retry_later(job, now, exc.detail)
        report.still_unknown += 1
        return
    if seen.state == Observed.MISSING:
        move(session, job, JobState.LOST, f"{pool.center.name} no longer knows job {job.backend_job_id}: "
                                          f"{seen.reason or 'vanished'}")
        job.ended_at, job.unknown_since, job.next_check_at = now, None, None
        report.lost += 1
        return
    if seen.state.is_final:
        report.metered += len(settle(session, job=job, seen=seen, usages=usages))
        report.restored[FINAL_TARGET[seen.state].value] = report.restored.get(FINAL_TARGET[seen.state].value, 0) + 1
        return
    target = ACTIVE_TARGET[seen.state]
    if _state_before_unknown(session, job) == JobState.CANCELLING.value:
        target = JobState.CANCELLING  # the user asked to cancel before the outage: keep at it
    move(session, job, target, f"{pool.center.name} reachable again: {seen.state.value}")
    job.started_at = job.started_at or seen.started_at
    job.unknown_since, job.next_check_at, job.retries = None, None, 0
    report.restored[target.value] = report.restored.get(target.value, 0) + 1
