"""Moving jobs through the centers' own schedulers: dispatch queued jobs, follow active ones,
meter finished ones exactly once.

Each function acts on ONE job inside the caller's transaction, locking the job row first, so two
workers can run at once: the second sees the new state and does nothing. Backends' `submit` is
idempotent per job id, so a crash between submit and commit never runs a job twice.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.backends.base import Observation, Observed, SubmitRequest, Usage
from suanli.db.models.base import utcnow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.repositories import federation as federation_repo
from suanli.db.repositories import jobs as repo
from suanli.domain.errors import BackendRejected, BackendUnavailable
from suanli.domain.jobs import JobState
from suanli.services.backends import BackendCache
from suanli.services.jobs import move

MAX_BACKOFF_S = 300
OBSERVED_TO_STATE = {
    Observed.RUNNING: JobState.RUNNING,
    Observed.SUCCEEDED: JobState.SUCCEEDED,
    Observed.FAILED: JobState.FAILED,
    Observed.TIMED_OUT: JobState.TIMED_OUT,
    Observed.CANCELLED: JobState.CANCELLED,
    Observed.MISSING: JobState.LOST,
}


def _optional(module: str) -> ModuleType | None:
    """Capabilities that hook into the job life cycle (billing, placement) are looked up by name, so
    the core runs and is tested on its own."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise
        return None


def _hook(module: str, name: str, **kwargs: Any) -> None:
    found = _optional(module)
    if found is not None and hasattr(found, name):
        getattr(found, name)(**kwargs)


def backoff(retries: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_S, 2 ** min(retries, 10)))


def dispatch_job(session: Session, *, job_id: int, backends: BackendCache, now: datetime | None = None) -> None:
    """Hand one queued, placed job to its center."""
    now = now or utcnow()
    job = repo.get_job(session, job_id, for_update=True)
    if job is None or job.state != JobState.QUEUED.value or job.pool_id is None:
        return
    pool = federation_repo.get_pool(session, job.pool_id)
    assert pool is not None
    request = SubmitRequest(job_id=job.id, name=job.name, command=job.command, devices=job.devices, model=pool.model,
                            cpus=job.devices * int(job.request.get("cpus_per_device", 1)),
                            memory_gb=job.devices * int(job.request.get("memory_gb_per_device", 1)),
                            time_limit_s=job.time_limit_s, pool=pool.name, partition=pool.partition)
    try:
        job.backend_job_id = backends.for_center(pool.center).submit(request)
    except BackendUnavailable as exc:
        _retry_later(job, now, str(exc.detail))
        return
    except BackendRejected as exc:
        _rejected(session, job, exc.detail)
        return
    job.retries, job.next_check_at = 0, None
    move(session, job, JobState.DISPATCHED, f"submitted to {pool.center.name}/{pool.name} as {job.backend_job_id}")
    _hook("suanli.services.billing", "on_job_admitted", session=session, job=job)


def _retry_later(job: JobRow, now: datetime, reason: str) -> None:
    job.retries += 1
    job.next_check_at = now + backoff(job.retries)
    job.reason = f"center unavailable, retry {job.retries}: {reason}"[:1000]


def _rejected(session: Session, job: JobRow, reason: str) -> None:
    """A center refused the job: an auto-placed job moves to the broker's next option."""
    placement = _optional("suanli.services.placement")
    if job.placement is not None and placement is not None:
        next_pool = placement.next_option_after_rejection(session, job=job, reason=reason)
        if next_pool is not None:
            job.pool_id = next_pool
            job.reason = f"moved after rejection: {reason}"[:1000]
            session.flush()
            return
    move(session, job, JobState.FAILED, f"rejected by the center: {reason}")
    job.ended_at = utcnow()


def follow_job(session: Session, *, job_id: int, backends: BackendCache, now: datetime | None = None) -> None:
    """Ask the center about one active job; cancel it there if asked; meter it when it ended."""
    now = now or utcnow()
    job = repo.get_job(session, job_id, for_update=True)
    if job is None or JobState(job.state).is_final or job.backend_job_id is None or job.pool_id is None:
        return
    pool = federation_repo.get_pool(session, job.pool_id)
    assert pool is not None
    backend = backends.for_center(pool.center)
    try:
        if job.state == JobState.CANCELLING.value:
            backend.cancel(job.backend_job_id)
        seen = backend.observe(job.backend_job_id)
        usages = backend.usage(job.backend_job_id) if seen.state.is_final else []
    except BackendUnavailable as exc:
        _became_unknown(session, job, now, exc.detail)
        return
    _apply(session, job, seen, usages, pool.center_id)


def _became_unknown(session: Session, job: JobRow, now: datetime, reason: str) -> None:
    if job.state != JobState.UNKNOWN.value:
        move(session, job, JobState.UNKNOWN, f"center unreachable: {reason}")
        job.unknown_since = now
    _retry_later(job, now, reason)


def _apply(session: Session, job: JobRow, seen: Observation, usages: list[Usage], center_id: int) -> None:
    current = JobState(job.state)
    job.retries, job.next_check_at = 0, None
    if seen.state == Observed.PENDING:
        if current == JobState.UNKNOWN:
            move(session, job, JobState.DISPATCHED, "center reachable again")
        return
    target = OBSERVED_TO_STATE[seen.state]
    if seen.started_at and job.started_at is None:
        job.started_at = seen.started_at
    if target == current:
        return
    if target == JobState.RUNNING and current == JobState.CANCELLING:
        return  # still stopping
    move(session, job, target, seen.reason or _describe(seen))
    if target.is_final:
        job.exit_code, job.ended_at = seen.exit_code, seen.ended_at or utcnow()
        meter_job(session, job=job, usages=usages, center_id=center_id)
        _hook("suanli.services.billing", "on_job_ended", session=session, job=job)


def _describe(seen: Observation) -> str:
    return f"center reports {seen.state.value}" + (f" (exit {seen.exit_code})" if seen.exit_code is not None else "")


def meter_job(session: Session, *, job: JobRow, usages: list[Usage], center_id: int) -> list[UsageRecordRow]:
    """Write the usage records of a finished job, each (center, backend job, step) exactly once,
    in the same transaction as its final state; a record already written is skipped, not doubled."""
    written = []
    for usage in usages:
        record = UsageRecordRow(job_id=job.id, center_id=center_id, pool_id=job.pool_id,
                                organisation_id=job.organisation_id, backend_job_id=job.backend_job_id,
                                step=usage.step, device_seconds=usage.device_seconds,
                                core_seconds=usage.core_seconds, wall_seconds=usage.wall_seconds,
                                started_at=usage.started_at, ended_at=usage.ended_at, exit_code=usage.exit_code,
                                source=usage.source)
        try:
            with session.begin_nested():
                session.add(record)
                session.flush()
        except IntegrityError:
            continue  # metered before (e.g. by a reconciliation run): exactly once
        written.append(record)
        _hook("suanli.services.billing", "on_usage_metered", session=session, usage=record)
    return written


def queued_job_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    return [j.id for j in repo.claim_jobs(session, states=[JobState.QUEUED.value], now=now, limit=limit, placed_only=True)]


def active_job_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    states = [JobState.DISPATCHED.value, JobState.RUNNING.value, JobState.CANCELLING.value, JobState.UNKNOWN.value]
    return [j.id for j in repo.claim_jobs(session, states=states, now=now, limit=limit, placed_only=True)]


def place_awaiting(session: Session) -> int:
    """Give auto jobs a pool: the broker's batch placement when it is installed."""
    placement = _optional("suanli.services.placement")
    if placement is None:
        return 0
    return int(placement.place_queued_jobs(session))
