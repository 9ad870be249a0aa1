"""Sign-in, sign-out, the root redirect and the home page each role lands on."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import SuanliError, TooManyRequests, Unauthenticated
from suanli.services import accounts
from suanli.services.views import home as home_view
from suanli.web import i18n
from suanli.web.common import (
    TOKEN_COOKIE,
    OptionalViewerDep,
    SessionDep,
    ViewerDep,
    commit_now,
    error_text,
    form,
    redirect,
    remember,
    render,
    safe_next,
)
from suanli.web.i18n import N_
from suanli.web.routes.awards import home_context as awards_home

router = APIRouter(include_in_schema=False)
WORK = {
    "applications_to_review": N_("applications awaiting review"),
    "award_applications_to_review": N_("award applications awaiting review"),
    "batches_to_approve": N_("disbursement batches awaiting approval"),
    "batches_to_pay": N_("approved batches awaiting payment"),
    "centers_unavailable": N_("centers unavailable"),
    "jobs_running": N_("jobs running"),
    "jobs_queued": N_("jobs queued"),
    "vouchers_expiring": N_("voucher wallets expiring within 30 days"),
    "own_applications_pending": N_("own applications awaiting a decision"),
    "documents_requested": N_("applications that need more documents"),
    "applications_awaiting_documents": N_("applications waiting for the applicant's documents"),
    "orders_running": N_("orders running on your centers"),
}


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
        # argon2 and the database block: keep them off the event loop. The token is committed before
        # the cookie that names it is sent: a change the database refuses is no sign-in.
        issued = await run_in_threadpool(commit_now, session, lambda: accounts.login(
            session, username=username, password=password, ttl=timedelta(hours=settings.token_ttl_hours),
            max_failures=settings.login_max_failures, lockout=timedelta(seconds=settings.login_lockout_seconds)))
    except TooManyRequests:
        throttle.failed(client)
        return render(request, "signin.html", 429, username=username, next=safe_next(fields.get("next")),
                      error=gettext("Too many failed sign-ins; try again in a few minutes."))
    except Unauthenticated:
        throttle.failed(client)
        return render(request, "signin.html", 401, username=username, next=safe_next(fields.get("next")),
                      error=gettext("Wrong username or password."))
    except SuanliError as exc:
        return render(request, "signin.html", exc.status, username=username, next=safe_next(fields.get("next")),
                      error=gettext("The sign-in could not be saved:") + " " + error_text(exc, i18n.language(request)))
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
    view = home_view.home(session, principal=viewer)
    return render(request, "home.html", viewer=viewer, organisation=view.organisation, figures=view.figures,
                  display_name=view.display_name, tasks=view.tasks, worklabels=WORK,
                  **awards_home(session, viewer))  # 免申即享: an organisation's policy matches
