"""Moving jobs through the centers' own schedulers: dispatch queued jobs, follow active ones; a
finished one is settled and metered exactly once by `metering`, an unreachable center's jobs are
left to `metering.reconcile`.

Each function acts on ONE job inside the caller's transaction, locking the job row first, so two
workers can run at once: the second sees the new state and does nothing. Backends' `submit` is
idempotent per job id, so a crash between submit and commit never runs a job twice.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from suanli.backends.base import Observation, Observed, SubmitRequest, Usage
from suanli.db.models.base import utcnow
from suanli.db.models.federation import PoolRow
from suanli.db.models.jobs import JobRow
from suanli.db.repositories import federation as federation_repo
from suanli.db.repositories import jobs as repo
from suanli.db.repositories import organisations as organisations_repo
from suanli.db.repositories import vouchers as vouchers_repo
from suanli.domain.errors import BackendRejected, BackendUnavailable
from suanli.domain.jobs import JobState
from suanli.domain.vouchers import VoucherProgram, organisation_cap, parse_program
from suanli.services import metering
from suanli.services.backends import BackendCache
from suanli.services.jobs import move
from suanli.services.ports import installed


def dispatch_job(session: Session, *, job_id: int, backends: BackendCache, now: datetime | None = None) -> None:
    """Hand one queued, placed job to its center."""
    now = now or utcnow()
    job = repo.get_job(session, job_id, for_update=True)
    if job is None or job.state != JobState.QUEUED.value or job.pool_id is None:
        return
    pool = federation_repo.get_pool(session, job.pool_id)
    assert pool is not None
    backend = backends.for_center(pool.center)
    nodes = job_nodes(job, pool)
    try:
        account = None
        if backend.per_organisation_accounts:  # the organisation's own account at the center, with its cap
            account = backend.ensure_account(organisation_id=job.organisation_id,
                                             organisation_name=_organisation_name(session, job.organisation_id),
                                             pool=pool.name,
                                             limit_minutes=account_limit_minutes(session, job.organisation_id, pool))
        request = SubmitRequest(job_id=job.id, name=job.name, command=job.command, devices=job.devices,
                                model=pool.model, cpus=job.devices * int(job.request.get("cpus_per_device", 1)),
                                memory_gb=job.devices * int(job.request.get("memory_gb_per_device", 1)),
                                time_limit_s=job.time_limit_s, pool=pool.name, partition=pool.partition,
                                account=account, nodes=nodes,
                                tasks_per_node=int(job.request.get("tasks_per_node") or 1))
        job.backend_job_id = backend.submit(request)
    except BackendUnavailable as exc:
        metering.retry_later(job, now, exc.detail)  # stays queued; never submitted twice
        return
    except BackendRejected as exc:
        _rejected(session, job, exc.detail)
        return
    job.retries, job.next_check_at = 0, None
    move(session, job, JobState.DISPATCHED, f"submitted to {pool.center.name}/{pool.name} as {job.backend_job_id}")
    lifecycle = installed().lifecycle
    if lifecycle is not None:
        lifecycle.on_job_admitted(session, job=job)


def job_nodes(job: JobRow, pool: PoolRow) -> int:
    """How many nodes the job spans on this pool: as the request asks (`nodes`), else as few as hold
    its devices (the broker's gang shape). Submission already refused a count the pool does not allow."""
    asked = job.request.get("nodes")
    if asked:
        return int(asked)
    width = int(job.request.get("devices_per_node") or pool.devices_per_node)
    return max(1, math.ceil(job.devices / max(1, width)))


def _organisation_name(session: Session, organisation_id: int) -> str:
    organisation = organisations_repo.get_organisation(session, organisation_id)
    return organisation.name if organisation is not None else ""


@lru_cache(maxsize=256)
def _program(text: str) -> VoucherProgram:
    return parse_program(text)


def account_limit_minutes(session: Session, organisation_id: int, pool: PoolRow) -> int | None:
    """The device-minutes a center lets the organisation's account use when a voucher program caps
    the organisation: the per-organisation (or project-class) caps of the programs it holds an active
    wallet in, summed,
    at the pool's list price per device-hour. None when no program caps it (or the pool is free)."""
    caps = []
    for wallet in vouchers_repo.list_wallets(session, organisation_id=organisation_id, status="active"):
        program = vouchers_repo.get_program(session, wallet.program_id)
        cap = organisation_cap(_program(program.text), wallet.project_class) if program is not None else None
        if cap is not None:
            caps.append(cap)
    if not caps or pool.price_fen_per_device_hour <= 0:
        return None
    return sum(caps) * 60 // pool.price_fen_per_device_hour


def _rejected(session: Session, job: JobRow, reason: str) -> None:
    """A center refused the job: an auto-placed job moves to the broker's next option."""
    placer = installed().placer
    if job.placement is not None and placer is not None:
        next_pool = placer.next_option_after_rejection(session, job=job, reason=reason)
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
        metering.mark_unknown(session, job=job, now=now, reason=exc.detail)
        return
    _apply(session, job, seen, usages)


def _apply(session: Session, job: JobRow, seen: Observation, usages: list[Usage]) -> None:
    current = JobState(job.state)
    if seen.state == Observed.PENDING:
        return
    if seen.state.is_final:
        # Final state and usage records (exactly once, priced) in this one transaction.
        metering.settle(session, job=job, seen=seen, usages=usages if seen.state != Observed.MISSING else [])
        return
    if seen.started_at and job.started_at is None:
        job.started_at = seen.started_at
    if current == JobState.DISPATCHED:
        move(session, job, JobState.RUNNING, f"center reports {seen.state.value}")


def queued_job_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    return [j.id for j in repo.claim_jobs(session, states=[JobState.QUEUED.value], now=now, limit=limit, placed_only=True)]


def active_job_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    # Jobs in `unknown` are metering.reconcile's: it retries them with backoff.
    states = [JobState.DISPATCHED.value, JobState.RUNNING.value, JobState.CANCELLING.value]
    return [j.id for j in repo.claim_jobs(session, states=states, now=now, limit=limit, placed_only=True)]


def place_awaiting(session: Session) -> int:
    """Give auto jobs a pool: the broker's batch placement when it is installed."""
    placer = installed().placer
    return placer.place_queued_jobs(session) if placer is not None else 0
