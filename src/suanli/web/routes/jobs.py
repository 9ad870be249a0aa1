"""Jobs (作业): the submit form with a live explained quote (price before and after vouchers, expected
start, why other centers were excluded), the job list, and a job's detail with logs and cancel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError
from suanli.domain.jobs import JobSpec, JobState
from suanli.domain.organisations import Principal
from suanli.domain.placement import PlacementRequest
from suanli.domain.placement.requests import integer, placement_request
from suanli.domain.resources import Ecosystem, ResourceRequest
from suanli.services import federation, jobs, quotes
from suanli.services.views import jobs as views
from suanli.services.views import lists
from suanli.web import i18n
from suanli.web.common import (
    SessionDep,
    ViewerDep,
    error_text,
    form,
    page_names,
    render,
    submit_form,
)
from suanli.web.labels import label
from suanli.web.lists import Links, list_query

router = APIRouter(include_in_schema=False)
PREFERENCES = ("balanced", "cheapest", "fastest", "greenest")
ECOSYSTEMS = [e.value for e in Ecosystem]


def _placement_request(fields: Mapping[str, Any], ecosystems: list[str]) -> PlacementRequest:
    """The form's fields through the one builder the API and CLI use (the form names memory differently)."""
    return placement_request({"devices": fields.get("devices") or "1", "ecosystems": ecosystems,
                              "min_device_memory_gb": fields.get("min_memory_gb"), "hours": fields.get("hours"),
                              "prefer": fields.get("prefer")})


def _gang(fields: Mapping[str, Any]) -> tuple[int | None, int]:
    """节点数 / 每节点任务数 as the API's `nodes` and `tasks_per_node` (blank nodes: the broker's choice);
    the whole-number check here, the rest (even split, ranges) the request's own."""
    nodes = (fields.get("nodes") or "").strip()
    tasks = (fields.get("tasks_per_node") or "").strip()
    return (integer("nodes", nodes, 1, 10_000) if nodes else None,
            integer("tasks_per_node", tasks, 1, 1024) if tasks else 1)


@router.get("/jobs")
def job_list(request: Request, session: SessionDep, viewer: ViewerDep, state: str = "") -> Response:
    """Jobs with search (name, command, number), a state filter, sortable columns and page numbers."""
    page = lists.jobs(session, principal=viewer, state=state[:20], query=list_query(request))
    pools = views.pool_names(session, principal=viewer, ids=[j.pool_id for j in page.rows if j.pool_id])
    return render(request, "jobs.html", viewer=viewer, jobs=page.rows, page=page, links=Links(request, page), pools=pools,
                  state=state, q=request.query_params.get("q", ""), names=page_names(request, session),
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
        # The quote shows what automatic placement would do: simulated centers only when allowed.
        result = quotes.quote(session, principal=viewer,
                              request=_placement_request(request.query_params, request.query_params.getlist("ecosystems")),
                              weights=request.app.state.settings.placement_weights or None,
                              simulated=request.query_params.get("allow_simulated") == "1")
    except SuanliError as exc:
        return render(request, "quote.html", viewer=viewer, quote=None, problem=error_text(exc, i18n.language(request)),
                      msg_lang=lang)
    return render(request, "quote.html", viewer=viewer, quote=quotes.quote_body(result), problem=None, msg_lang=lang,
                  names=page_names(request, session))


@router.post("/jobs")
async def submit(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    data = await request.form()
    fields = await form(request)
    chosen = [str(v) for v in data.getlist("ecosystems")]
    return await run_in_threadpool(_submit, request, session, viewer, fields, chosen)


def _submit(request: Request, session: Session, viewer: Principal, fields: dict[str, str], chosen: list[str]) -> Response:
    center, _, pool = fields.get("pool", "").partition("/")

    def action() -> str:
        placement = _placement_request(fields, chosen)
        nodes, tasks_per_node = _gang(fields)
        spec = JobSpec(name=fields.get("name", "").strip(), command=fields.get("command", ""),
                       resources=ResourceRequest(devices=int(placement.devices or 1), ecosystems=placement.ecosystems,
                                                 min_device_memory_gb=placement.min_device_memory_gb,
                                                 nodes=nodes, tasks_per_node=tasks_per_node),
                       time_limit_s=max(1, int(placement.hours * 3600)), center=center or None, pool=pool or None,
                       preferences=({"prefer": placement.prefer, "allow_simulated": fields.get("allow_simulated") == "1"}
                                    if not center else {}))
        return f"/jobs/{jobs.submit_job(session, principal=viewer, spec=spec).id}"

    def refused(message: str) -> Response:
        return render(request, "job_form.html", 422, viewer=viewer, pools=federation.list_pools(session),
                      ecosystems=ECOSYSTEMS, preferences=PREFERENCES, values=fields, chosen=chosen, error=message)

    return submit_form(request, session, viewer, fields, action, refused)


@router.get("/jobs/{job_id}")
def job_detail(request: Request, session: SessionDep, viewer: ViewerDep, job_id: int) -> Response:
    return _detail_page(request, session, viewer, job_id)


def _detail_page(request: Request, session: Session, viewer: Principal, job_id: int, http_status: int = 200,
                 error: str | None = None) -> Response:
    job = jobs.get_job(session, principal=viewer, job_id=job_id)
    logs = _log_tails(request, session, viewer, job.id)
    history = views.job_history(session, principal=viewer, job_id=job.id)
    return render(request, "job_detail.html", http_status, viewer=viewer, job=job, events=history.events, error=error,
                  names=page_names(request, session),
                  usage=history.usage, charges=history.charges, logs=logs, pool=history.pool,
                  final=JobState(job.state).is_final, msg_lang="zh" if i18n.language(request) == "zh_CN" else "en",
                  may_cancel=viewer.may_act_on_job(job.organisation_id, job.user_id))


def _log_tails(request: Request, session: Session, viewer: Principal, job_id: int) -> dict[str, str]:
    """The last 64 KiB of each stream, or why there is none in the reader's language (a simulated
    center has no output; a center that is down cannot be asked)."""
    names = page_names(request, session)
    tails = {}
    for stream in ("stdout", "stderr"):
        try:
            tails[stream] = jobs.job_logs(session, principal=viewer, job_id=job_id, stream=stream, limit=65_536,
                                          backends=request.app.state.backends)
        except SuanliError as exc:  # the backends' known sentences by name ("国家超级计算成都中心为模拟中心…")
            named = names.reason(exc.detail)
            tails[stream] = named if named != exc.detail else error_text(exc, i18n.language(request))
    return tails


@router.get("/jobs/{job_id}/live")
def job_live(request: Request, session: SessionDep, viewer: ViewerDep, job_id: int) -> Response:
    """The job page's live part (state, reason, log tails) that static/app.js polls until the job ends."""
    job = jobs.get_job(session, principal=viewer, job_id=job_id)
    gettext = i18n.translator(i18n.language(request))
    logs = _log_tails(request, session, viewer, job.id)
    names = page_names(request, session)
    return JSONResponse({"state": job.state, "state_text": gettext(label(job.state)),
                         "final": JobState(job.state).is_final, "reason": names.reason(job.reason),
                         "stdout": logs["stdout"] or gettext("(empty)"), "stderr": logs["stderr"] or gettext("(empty)")},
                        headers={"Cache-Control": "no-store"})


@router.post("/jobs/{job_id}/cancel")
async def cancel(request: Request, session: SessionDep, viewer: ViewerDep, job_id: int) -> Response:
    fields = await form(request)
    # Cancelling may call the center's backend as well as the database: off the event loop.
    return await run_in_threadpool(_cancel, request, session, viewer, job_id, fields)


def _cancel(request: Request, session: Session, viewer: Principal, job_id: int, fields: dict[str, str]) -> Response:
    def action() -> str:
        jobs.cancel_job(session, principal=viewer, job_id=job_id)
        return f"/jobs/{job_id}"

    def refused(message: str) -> Response:
        return _detail_page(request, session, viewer, job_id, 409, error=message)

    return submit_form(request, session, viewer, fields, action, refused)
