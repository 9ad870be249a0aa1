"""The platform operator (平台运营方): centers and their backends' health (checked on demand), and users
with their roles and organisations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from suanli.db.repositories import web as web_repo
from suanli.domain.organisations import Role
from suanli.services import federation, organisations
from suanli.web.common import SessionDep, ViewerDep, form, redirect, render, require

router = APIRouter(include_in_schema=False)


@router.get("/operator/centers")
def centers(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    rows = federation.list_centers(session)
    orgs = web_repo.organisation_names(session, [c.provider_organisation_id for c in rows if c.provider_organisation_id])
    return render(request, "operator_centers.html", viewer=viewer, centers=rows, orgs=orgs,
                  checked=request.query_params.get("checked"))


@router.post("/operator/centers/{name}/check")
async def check(request: Request, session: SessionDep, viewer: ViewerDep, name: str) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    await form(request)
    # The health check calls the center's backend and writes the result: off the event loop.
    await run_in_threadpool(federation.check_health, session, name=name, backends=request.app.state.backends)
    return redirect(f"/operator/centers?checked={name}")


@router.get("/operator/users")
def users(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    rows = organisations.list_users(session, principal=viewer, offset=0, limit=500)
    orgs = web_repo.organisation_names(session, [u.organisation_id for u in rows])
    return render(request, "operator_users.html", viewer=viewer, users=rows, orgs=orgs)
