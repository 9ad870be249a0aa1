"""Organisations and users. Tenants see only themselves; the platform operator manages everyone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from suanli.api.deps import PageDep, PrincipalDep, SessionDep, require_roles
from suanli.api.schemas import OrganisationIn, OrganisationOut, UserIn, UserOut
from suanli.domain.organisations import Principal, Role
from suanli.services import accounts, organisations

router = APIRouter(prefix="/api/v1", tags=["organisations"])
Operator = Annotated[Principal, require_roles(Role.PLATFORM_OPERATOR)]


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(session: SessionDep, principal: PrincipalDep, page: PageDep) -> list[OrganisationOut]:
    rows = organisations.list_organisations(session, principal=principal, offset=page.offset, limit=page.limit)
    return [OrganisationOut.model_validate(r) for r in rows]


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def create_organisation(body: OrganisationIn, session: SessionDep, _operator: Operator) -> OrganisationOut:
    row = organisations.create_organisation(session, **body.model_dump())
    return OrganisationOut.model_validate(row)


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
def get_organisation(organisation_id: int, session: SessionDep, principal: PrincipalDep) -> OrganisationOut:
    row = organisations.get_organisation(session, principal=principal, organisation_id=organisation_id)
    return OrganisationOut.model_validate(row)


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, principal: PrincipalDep, page: PageDep) -> list[UserOut]:
    rows = organisations.list_users(session, principal=principal, offset=page.offset, limit=page.limit)
    return [UserOut.model_validate(r) for r in rows]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, session: SessionDep, principal: PrincipalDep) -> UserOut:
    row = accounts.add_user(session, principal=principal, username=body.username, password=body.password,
                            role=body.role, organisation_id=body.organisation_id, display_name=body.display_name)
    return UserOut.model_validate(row)
