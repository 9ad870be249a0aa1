"""Request dependencies. The session dependency owns the transaction: it commits after the handler
returned and BEFORE the response is sent (`scope="function"`: with FastAPI's default request scope a
failed commit would follow a 200 already on the wire), and rolls back on any error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from suanli.config import Settings
from suanli.db.uow import unit_of_work
from suanli.domain.errors import Forbidden, Unauthenticated
from suanli.domain.organisations import Principal, Role
from suanli.services import accounts
from suanli.services.backends import BackendCache


def get_session(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.sessions) as session:
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_backends(request: Request) -> BackendCache:
    return request.app.state.backends  # type: ignore[no-any-return]


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BackendsDep = Annotated[BackendCache, Depends(get_backends)]

_bearer = HTTPBearer(auto_error=False, description="API token from POST /api/v1/auth/login")


def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else request.cookies.get("suanli_token")
    if not token:
        raise Unauthenticated("sign in first: send 'Authorization: Bearer <token>'")
    if len(token) > 200:
        raise Unauthenticated("invalid or revoked token")
    return accounts.authenticate(session, token)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Any:
    """A dependency admitting only the given roles: `Annotated[Principal, require_roles(...)]`."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(r.value for r in roles)}")
        return principal

    return Depends(check)


class Page:
    """`?limit=&after=` (keyset: `after` is the cursor a `Link: rel="next"` header handed out) and the
    older `?offset=`, with bounds every list endpoint shares (api/paging.py writes the header)."""

    def __init__(self, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 after: Annotated[int | None, Query(ge=0, le=2**62, description="cursor from the Link header")]
                 = None) -> None:
        self.offset = offset
        self.limit = limit
        self.after = after

    @property
    def probe(self) -> int:
        """What to ask the service for: one row more than the page shows, to know a next page exists."""
        return self.limit + 1


PageDep = Annotated[Page, Depends(Page)]
