"""Sign-in, sign-out, the root redirect and the home page each role lands on."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from suanli.db.repositories import organisations as org_repo
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import TooManyRequests, Unauthenticated
from suanli.domain.organisations import Role
from suanli.services import accounts, organisations
from suanli.web import i18n
from suanli.web.common import (
    TOKEN_COOKIE,
    OptionalViewerDep,
    SessionDep,
    ViewerDep,
    form,
    redirect,
    remember,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def root(viewer: OptionalViewerDep) -> Response:
    return redirect("/home" if viewer else "/signin")


@router.get("/signin")
def signin_page(request: Request, viewer: OptionalViewerDep, next: str = "/home") -> Response:
    if viewer:
        return redirect(safe_next(next))
    return render(request, "signin.html", next=safe_next(next))


@router.post("/signin")
async def signin(request: Request, session: SessionDep) -> Response:
    fields = await form(request)
    username, password = fields.get("username", "")[:64], fields.get("password", "")[:200]
    gettext = i18n.translator(i18n.language(request))
    settings = request.app.state.settings
    throttle = request.app.state.failed_sign_ins
    client = request.client.host if request.client else "unknown"
    try:
        if throttle.retry_after(client) is not None:
            raise TooManyRequests("too many failed sign-ins from this address")
        # argon2 and the database block: keep them off the event loop.
        issued = await run_in_threadpool(
            accounts.login, session, username=username, password=password,
            ttl=timedelta(hours=settings.token_ttl_hours), max_failures=settings.login_max_failures,
            lockout=timedelta(seconds=settings.login_lockout_seconds))
    except TooManyRequests:
        throttle.failed(client)
        return render(request, "signin.html", 429, username=username, next=safe_next(fields.get("next")),
                      error=gettext("Too many failed sign-ins; try again in a few minutes."))
    except Unauthenticated:
        throttle.failed(client)
        return render(request, "signin.html", 401, username=username, next=safe_next(fields.get("next")),
                      error=gettext("Wrong username or password."))
    response = redirect(safe_next(fields.get("next")))
    response.set_cookie(TOKEN_COOKIE, issued.token, max_age=settings.token_ttl_hours * 3600, httponly=True,
                        samesite="lax", secure=bool(settings.secure_cookies), path="/")
    remember(request, response)
    return response


@router.post("/signout")
async def signout(request: Request, session: SessionDep) -> Response:
    await form(request)
    token = request.cookies.get(TOKEN_COOKIE)
    if token and len(token) <= 200:
        await run_in_threadpool(accounts.revoke, session, token)
    response = redirect("/signin")
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/home")
def home(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    org = organisations.get_organisation(session, principal=viewer, organisation_id=viewer.organisation_id)
    figures: dict[str, object] = {}
    if viewer.role in (Role.ORG_ADMIN, Role.ORG_MEMBER):
        user_id = viewer.user_id if viewer.role == Role.ORG_MEMBER else None
        figures["jobs"] = web_repo.job_counts(session, organisation_id=viewer.organisation_id, user_id=user_id)
    elif viewer.role in (Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER):
        figures["applications"] = web_repo.application_counts(session)
    elif viewer.role == Role.PLATFORM_OPERATOR:
        figures["jobs"] = web_repo.job_counts(session, organisation_id=None)
    user = org_repo.get_user(session, viewer.user_id)
    return render(request, "home.html", viewer=viewer, organisation=org, figures=figures,
                  display_name=user.display_name if user else viewer.username)
