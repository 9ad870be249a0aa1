"""Jobs (作业): submit, list, show, cancel, read logs — with tenant checks on every read.

A job names its pool (`center` + `pool`) or leaves the choice to the broker (auto): then it waits in
`queued` with no pool until the placement cycle assigns one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.federation import PoolRow
from suanli.db.models.jobs import JobEventRow, JobRow, UsageRecordRow
from suanli.db.repositories import federation as federation_repo
from suanli.db.repositories import jobs as repo
from suanli.db.repositories import reports as reports_repo
from suanli.domain.errors import Forbidden, InvalidInput, InvalidResourceRequest, NotFound
from suanli.domain.jobs import JobSpec, JobState, cancel_target, transition
from suanli.domain.organisations import Principal, Role
from suanli.domain.placement import requests
from suanli.domain.resources import ResourceRequest, accelerator
from suanli.services.backends import BackendCache

MAX_LOG_BYTES = 1_000_000


def submit_job(session: Session, *, principal: Principal, spec: JobSpec) -> JobRow:
    if not principal.may_submit_jobs():
        raise Forbidden("only organisation admins and members submit jobs")
    pool = _named_pool(session, spec) if spec.center or spec.pool else None
    if pool is None:
        _check_some_pool_fits(session, spec.resources)
        _check_preferences(spec)
    job = JobRow(name=spec.name, command=spec.command, organisation_id=principal.organisation_id,
                 user_id=principal.user_id, state=JobState.QUEUED.value, request={**_request_json(spec.resources), **spec.preferences},
                 devices=spec.resources.devices, time_limit_s=spec.time_limit_s,
                 pool_id=pool.id if pool else None, updated_at=utcnow())
    session.add(job)
    session.flush()
    reports_repo.mark_served(session, organisation_id=job.organisation_id, user_id=job.user_id)  # dashboard
    record_transition(session, job, None, JobState.QUEUED, "submitted")
    return job


def _check_preferences(spec: JobSpec) -> None:
    """An auto job's preferences go through the broker's one request builder now, so an unknown key,
    an unknown preference or a malformed deadline is refused at submission, not at placement."""
    unknown = sorted(set(spec.preferences) - set(requests.FIELDS) - {"devices", "hours"})
    if unknown:
        raise InvalidInput(f"preferences: unknown field {unknown[0]!r}", field=f"preferences.{unknown[0]}")
    requests.placement_request({**_request_json(spec.resources), **spec.preferences,
                                "hours": spec.time_limit_s / 3600}, now=utcnow(), strict=False)


def _request_json(request: ResourceRequest) -> dict[str, object]:
    data = asdict(request)
    data["ecosystems"] = sorted(e.value for e in request.ecosystems)
    data["models"] = sorted(request.models)
    if data["nodes"] is None:  # the shape is the broker's to choose
        del data["nodes"]
    if data["tasks_per_node"] == 1:
        del data["tasks_per_node"]
    return data


def _named_pool(session: Session, spec: JobSpec) -> PoolRow:
    if not (spec.center and spec.pool):
        raise InvalidInput("name both center and pool, or neither for automatic placement")
    pool = federation_repo.pool_by_names(session, spec.center, spec.pool)
    if pool is None:
        raise NotFound(f"pool {spec.center}/{spec.pool} not found")
    problem = pool_mismatch(pool, spec.resources)
    if problem:
        raise InvalidResourceRequest(f"pool {spec.center}/{spec.pool} cannot run this job: {problem}")
    return pool


def pool_mismatch(pool: PoolRow, request: ResourceRequest) -> str | None:
    """Why a pool can never run the request (capacity aside), or None."""
    acc = accelerator(pool.model)
    if request.ecosystems and acc.ecosystem not in request.ecosystems:
        return f"its ecosystem is {acc.ecosystem.value}"
    if request.models and acc.model not in request.models:
        return f"its accelerator is {acc.model}"
    if acc.memory_gb < request.min_device_memory_gb:
        return f"its devices have {acc.memory_gb} GB, less than {request.min_device_memory_gb} GB"
    if request.devices > pool.total_devices:
        return f"it has {pool.total_devices} devices in all, fewer than {request.devices}"
    return node_mismatch(pool, request)


def node_mismatch(pool: PoolRow, request: ResourceRequest) -> str | None:
    """Why the job's gang does not fit the pool's nodes: more devices per node than a node has, or
    more nodes than the pool lets one job span (`max_nodes` in the federation file)."""
    per_node = request.devices // request.nodes if request.nodes else min(request.devices, pool.devices_per_node)
    if per_node > pool.devices_per_node:
        return f"its nodes have {pool.devices_per_node} devices each, fewer than the {per_node} per node asked"
    needed = request.nodes or math.ceil(request.devices / pool.devices_per_node)
    limit = pool.job_node_limit
    if needed > limit:
        return f"a job there may span at most {limit} node{'s' if limit > 1 else ''}, this one needs {needed}"
    return None


def _check_some_pool_fits(session: Session, request: ResourceRequest) -> None:
    pools = federation_repo.list_pools(session)
    if any(pool_mismatch(p, request) is None for p in pools):
        return
    largest = max((p.total_devices for p in pools), default=0)
    ecosystems = sorted({p.ecosystem for p in pools})
    raise InvalidResourceRequest(
        "no pool in the federation can run this request",
        largest_pool_devices=largest,
        ecosystems_available=ecosystems,
        closest=[f"{p.center.name}/{p.name}: {pool_mismatch(p, request)}" for p in pools][:10],
    )


def record_transition(session: Session, job: JobRow, old: JobState | None, new: JobState, reason: str | None) -> None:
    job.state = new.value
    job.updated_at = utcnow()
    if reason and new != JobState.QUEUED:
        job.reason = reason[:1000]
    session.add(JobEventRow(job_id=job.id, from_state=old.value if old else None, to_state=new.value,
                            reason=reason[:1000] if reason else None))
    session.flush()


def move(session: Session, job: JobRow, target: JobState, reason: str | None = None) -> None:
    """Apply a legal transition (domain-checked) and record it."""
    current = JobState(job.state)
    record_transition(session, job, current, transition(current, target), reason)


def get_job(session: Session, *, principal: Principal, job_id: int) -> JobRow:
    job = repo.get_job(session, job_id)
    # Another tenant's job is reported as missing, never as forbidden: ids must not leak.
    if job is None or not _may_read(principal, job):
        raise NotFound(f"job {job_id} not found")
    return job


@dataclass(frozen=True, slots=True)
class JobHistory:
    """A job with its state changes and metered usage, as its reader may see them."""

    job: JobRow
    events: Sequence[JobEventRow]
    usage: Sequence[UsageRecordRow]


def job_history(session: Session, *, principal: Principal, job_id: int) -> JobHistory:
    job = get_job(session, principal=principal, job_id=job_id)
    return JobHistory(job, repo.job_events(session, job.id), repo.usage_for_job(session, job.id))


def _may_read(principal: Principal, job: JobRow) -> bool:
    if principal.role == Role.ORG_MEMBER:
        return job.organisation_id == principal.organisation_id and job.user_id == principal.user_id
    return principal.may_read_organisation(job.organisation_id) and principal.role != Role.PROVIDER_ADMIN


def list_jobs(session: Session, *, principal: Principal, states: Sequence[str], offset: int, limit: int,
              after: int | None = None) -> Sequence[JobRow]:
    """The jobs the principal may see, newest first, from before the cursor `after` (a job id)."""
    for state in states:
        if state not in JobState.__members__.values():
            raise InvalidInput(f"unknown job state {state!r}")
    if principal.role == Role.PROVIDER_ADMIN:
        raise Forbidden("providers see orders through their statements, not users' jobs")
    organisation_id = None if principal.sees_all_tenants else principal.organisation_id
    user_id = principal.user_id if principal.role == Role.ORG_MEMBER else None
    return repo.list_jobs(session, organisation_id=organisation_id, user_id=user_id, states=states,
                          offset=offset, limit=limit, after=after)


def cancel_job(session: Session, *, principal: Principal, job_id: int) -> JobRow:
    job = get_job(session, principal=principal, job_id=job_id)
    if not principal.may_act_on_job(job.organisation_id, job.user_id):
        raise Forbidden("you may not cancel this job")
    job = repo.get_job(session, job_id, for_update=True) or job
    target = cancel_target(JobState(job.state))
    move(session, job, target, f"cancelled by {principal.username}")
    if target == JobState.CANCELLED:
        job.ended_at = utcnow()
    return job


def job_logs(session: Session, *, principal: Principal, job_id: int, stream: str, limit: int,
             backends: BackendCache) -> str:
    if stream not in ("stdout", "stderr"):
        raise InvalidInput("stream must be stdout or stderr")
    if not 1 <= limit <= MAX_LOG_BYTES:
        raise InvalidInput(f"limit must be between 1 and {MAX_LOG_BYTES}")
    job = get_job(session, principal=principal, job_id=job_id)
    if job.backend_job_id is None or job.pool_id is None:
        return ""
    pool = federation_repo.get_pool(session, job.pool_id)
    assert pool is not None
    return backends.for_center(pool.center).logs(job.backend_job_id, stream, limit)
