"""Jobs: submit, list (filters, pagination), show with history and usage, cancel, logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from suanli.api.deps import BackendsDep, PageDep, PrincipalDep, SessionDep
from suanli.api.paging import one_page
from suanli.api.schemas import JobDetailOut, JobEventOut, JobIn, JobOut, UsageOut
from suanli.domain.jobs import JobSpec
from suanli.domain.resources import Ecosystem, ResourceRequest, accelerator
from suanli.services import jobs

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


def to_spec(body: JobIn) -> JobSpec:
    r = body.resources
    request = ResourceRequest(
        devices=r.devices,
        ecosystems=frozenset(Ecosystem.parse(e) for e in r.ecosystems),
        models=frozenset(accelerator(m).model for m in r.models),
        min_device_memory_gb=r.min_device_memory_gb,
        cpus_per_device=r.cpus_per_device,
        memory_gb_per_device=r.memory_gb_per_device,
        nodes=r.nodes,
        tasks_per_node=r.tasks_per_node,
    )
    preferences = body.preferences.model_dump(mode="json", exclude_defaults=True) if body.preferences else {}
    return JobSpec(name=body.name, command=body.command, resources=request, time_limit_s=body.time_limit_s,
                   center=body.center, pool=body.pool, preferences=preferences)


@router.post("", response_model=JobOut, status_code=201)
def submit(body: JobIn, session: SessionDep, principal: PrincipalDep) -> JobOut:
    return JobOut.model_validate(jobs.submit_job(session, principal=principal, spec=to_spec(body)))


@router.get("", response_model=list[JobOut])
def list_jobs(session: SessionDep, principal: PrincipalDep, page: PageDep, request: Request, response: Response,
              state: Annotated[list[str], Query(max_length=10)] = []) -> list[JobOut]:  # noqa: B006
    rows = jobs.list_jobs(session, principal=principal, states=state, offset=page.offset, limit=page.probe,
                          after=page.after)
    return [JobOut.model_validate(r) for r in one_page(rows, page, request, response)]


@router.get("/{job_id}", response_model=JobDetailOut)
def get_job(job_id: int, session: SessionDep, principal: PrincipalDep) -> JobDetailOut:
    history = jobs.job_history(session, principal=principal, job_id=job_id)
    return JobDetailOut.model_validate({
        **JobOut.model_validate(history.job).model_dump(),
        "events": [JobEventOut.model_validate(e) for e in history.events],
        "usage": [UsageOut.model_validate(u) for u in history.usage],
    })


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(job_id: int, session: SessionDep, principal: PrincipalDep) -> JobOut:
    return JobOut.model_validate(jobs.cancel_job(session, principal=principal, job_id=job_id))


@router.get("/{job_id}/logs", response_class=PlainTextResponse)
def logs(job_id: int, session: SessionDep, principal: PrincipalDep, backends: BackendsDep,
         stream: Annotated[str, Query(pattern="^(stdout|stderr)$")] = "stdout",
         limit: Annotated[int, Query(ge=1, le=1_000_000)] = 65_536) -> str:
    return jobs.job_logs(session, principal=principal, job_id=job_id, stream=stream, limit=limit, backends=backends)
