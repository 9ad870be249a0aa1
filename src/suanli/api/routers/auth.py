"""Sign-in: exchange a username and password for an API token; sign out revokes it."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from suanli.api.deps import PrincipalDep, SessionDep, SettingsDep
from suanli.api.schemas import LoginIn, TokenOut
from suanli.api.throttle import FailedSignIns
from suanli.db.uow import unit_of_work
from suanli.domain.errors import TooManyRequests, Unauthenticated
from suanli.services import accounts

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, settings: SettingsDep) -> TokenOut:
    throttle: FailedSignIns = request.app.state.failed_sign_ins
    client = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(client)
    if wait is not None:
        raise TooManyRequests("too many failed sign-ins from this address; try again later", retry_after_s=wait)
    # Its own unit of work: a failed sign-in must still commit the failure count, then answer 401.
    with unit_of_work(request.app.state.sessions) as session:
        try:
            issued = accounts.login(session, username=body.username, password=body.password,
                                    ttl=timedelta(hours=settings.token_ttl_hours),
                                    max_failures=settings.login_max_failures,
                                    lockout=timedelta(seconds=settings.login_lockout_seconds))
        except (Unauthenticated, TooManyRequests) as refused:
            throttle.failed(client)
            failure: Exception = refused
        else:
            p = issued.principal
            return TokenOut(token=issued.token, expires_at=issued.expires_at, username=p.username, role=p.role,
                            organisation_id=p.organisation_id)
    raise failure


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep, _principal: PrincipalDep) -> None:
    header = request.headers.get("authorization", "")
    token = header.split(" ", 1)[1] if " " in header else request.cookies.get("suanli_token", "")
    accounts.revoke(session, token)


@router.get("/me")
def me(principal: PrincipalDep) -> dict[str, object]:
    return {"user_id": principal.user_id, "username": principal.username, "role": principal.role.value,
            "organisation_id": principal.organisation_id}
