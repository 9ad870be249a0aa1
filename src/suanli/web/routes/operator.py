"""The platform operator (平台运营方): centers and their backends' health (checked on demand), and users
with their roles and organisations."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.organisations import Principal, Role
from suanli.services import federation, organisations
from suanli.services.views import operator as views
from suanli.web.common import SessionDep, ViewerDep, form, render, require, submit_form

router = APIRouter(include_in_schema=False)


@router.get("/operator/centers")
def centers(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    return _centers_page(request, session, viewer)


def _centers_page(request: Request, session: Session, viewer: Principal, code: int = 200, **extra: object) -> Response:
    rows = federation.list_centers(session)
    orgs = views.organisation_names(session, principal=viewer, ids=[c.provider_organisation_id for c in rows if c.provider_organisation_id])
    return render(request, "operator_centers.html", code, viewer=viewer, centers=rows, orgs=orgs,
                  checked=request.query_params.get("checked"), **extra)


@router.post("/operator/centers/{name}/check")
async def check(request: Request, session: SessionDep, viewer: ViewerDep, name: str) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    fields = await form(request)
    # The health check calls the center's backend and writes the result: off the event loop.
    return await run_in_threadpool(_check, request, session, viewer, name, fields)


def _check(request: Request, session: Session, viewer: Principal, name: str, fields: dict[str, str]) -> Response:
    def action() -> str:
        federation.check_health(session, name=name, backends=request.app.state.backends)
        return f"/operator/centers?checked={quote(name)}"

    def refused(message: str) -> Response:
        return _centers_page(request, session, viewer, 422, error=message)

    return submit_form(request, session, viewer, fields, action, refused)


@router.get("/operator/users")
def users(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.PLATFORM_OPERATOR)
    rows = organisations.list_users(session, principal=viewer, offset=0, limit=500)
    orgs = views.organisation_names(session, principal=viewer, ids=[u.organisation_id for u in rows])
    return render(request, "operator_users.html", viewer=viewer, users=rows, orgs=orgs)
