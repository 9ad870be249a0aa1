"""Jobs (作业): the submit form with a live explained quote (price before and after vouchers, expected
start, why other centers were excluded), the job list, and a job's detail with logs and cancel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.db.repositories import jobs as jobs_repo
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import SuanliError
from suanli.domain.jobs import JobSpec, JobState
from suanli.domain.organisations import Principal
from suanli.domain.placement import PlacementRequest
from suanli.domain.placement.requests import placement_request
from suanli.domain.resources import Ecosystem, ResourceRequest
from suanli.services import federation, jobs, quotes
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, problem_text, redirect, render

router = APIRouter(include_in_schema=False)
PREFERENCES = ("balanced", "cheapest", "fastest", "greenest")
ECOSYSTEMS = [e.value for e in Ecosystem]


def _placement_request(fields: Mapping[str, Any], ecosystems: list[str]) -> PlacementRequest:
    """The form's fields through the one builder the API and CLI use (the form names memory differently)."""
    return placement_request({"devices": fields.get("devices") or "1", "ecosystems": ecosystems,
                              "min_device_memory_gb": fields.get("min_memory_gb"), "hours": fields.get("hours"),
                              "prefer": fields.get("prefer")})


@router.get("/jobs")
def job_list(request: Request, session: SessionDep, viewer: ViewerDep, state: str = "") -> Response:
    rows = jobs.list_jobs(session, principal=viewer, states=[state] if state else [], offset=0, limit=200)
    pools = web_repo.pool_names(session, [j.pool_id for j in rows if j.pool_id])
    return render(request, "jobs.html", viewer=viewer, jobs=rows, pools=pools, state=state,
                  states=[s.value for s in JobState])


@router.get("/jobs/new")
def job_form(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    return render(request, "job_form.html", viewer=viewer, pools=federation.list_pools(session), ecosystems=ECOSYSTEMS,
                  preferences=PREFERENCES, values={"devices": "1", "hours": "1", "prefer": "balanced"}, chosen=[])


@router.get("/jobs/quote")
def job_quote(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The quote fragment the job form fetches as the user types."""
    lang = "zh" if i18n.language(request) == "zh_CN" else "en"
    try:
        result = quotes.quote(session, principal=viewer,
                              request=_placement_request(request.query_params, request.query_params.getlist("ecosystems")),
                              weights=request.app.state.settings.placement_weights or None)
    except SuanliError as exc:
        return render(request, "quote.html", viewer=viewer, quote=None, problem=exc.detail, msg_lang=lang)
    return render(request, "quote.html", viewer=viewer, quote=quotes.quote_body(result), problem=None, msg_lang=lang)


@router.post("/jobs")
async def submit(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    data = await request.form()
    fields = await form(request)
    chosen = [str(v) for v in data.getlist("ecosystems")]
    return await run_in_threadpool(_submit, request, session, viewer, fields, chosen)


def _submit(request: Request, session: Session, viewer: Principal, fields: dict[str, str], chosen: list[str]) -> Response:
    center, _, pool = fields.get("pool", "").partition("/")
    try:
        placement = _placement_request(fields, chosen)
        spec = JobSpec(name=fields.get("name", "").strip(), command=fields.get("command", ""),
                       resources=ResourceRequest(devices=int(placement.devices or 1), ecosystems=placement.ecosystems,
                                                 min_device_memory_gb=placement.min_device_memory_gb),
                       time_limit_s=max(1, int(placement.hours * 3600)), center=center or None, pool=pool or None,
                       preferences={"prefer": placement.prefer} if not center else {})
        job = jobs.submit_job(session, principal=viewer, spec=spec)
    except SuanliError as exc:
        return render(request, "job_form.html", 400, viewer=viewer, pools=federation.list_pools(session),
                      ecosystems=ECOSYSTEMS, preferences=PREFERENCES, values=fields, chosen=chosen, error=problem_text(exc.detail, i18n.language(request)))
    return redirect(f"/jobs/{job.id}")


@router.get("/jobs/{job_id}")
def job_detail(request: Request, session: SessionDep, viewer: ViewerDep, job_id: int) -> Response:
    job = jobs.get_job(session, principal=viewer, job_id=job_id)
    backends = request.app.state.backends
    logs = {}
    for stream in ("stdout", "stderr"):
        try:
            logs[stream] = jobs.job_logs(session, principal=viewer, job_id=job.id, stream=stream, limit=65_536,
                                         backends=backends)
        except SuanliError as exc:
            logs[stream] = exc.detail
    pools = web_repo.pool_names(session, [job.pool_id] if job.pool_id else [])
    return render(request, "job_detail.html", viewer=viewer, job=job, events=jobs_repo.job_events(session, job.id),
                  usage=jobs_repo.usage_for_job(session, job.id), logs=logs, pool=pools.get(job.pool_id or 0),
                  final=JobState(job.state).is_final, msg_lang="zh" if i18n.language(request) == "zh_CN" else "en",
                  may_cancel=viewer.may_act_on_job(job.organisation_id, job.user_id))


@router.post("/jobs/{job_id}/cancel")
async def cancel(request: Request, session: SessionDep, viewer: ViewerDep, job_id: int) -> Response:
    await form(request)
    # Cancelling may call the center's backend as well as the database: off the event loop.
    await run_in_threadpool(jobs.cancel_job, session, principal=viewer, job_id=job_id)
    return redirect(f"/jobs/{job_id}")
