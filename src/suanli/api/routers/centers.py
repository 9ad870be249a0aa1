"""The federation: centers, their pools (offerings) and prices; the operator loads federation files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from suanli.api.deps import BackendsDep, PrincipalDep, SessionDep, require_roles
from suanli.api.schemas import CenterOut, FederationIn, PoolOut
from suanli.domain.organisations import Principal, Role
from suanli.services import federation

router = APIRouter(prefix="/api/v1", tags=["federation"])
Operator = Annotated[Principal, require_roles(Role.PLATFORM_OPERATOR)]


def center_out(row: object) -> CenterOut:
    out = CenterOut.model_validate(row)
    out.simulated = federation.is_simulated(row)  # type: ignore[arg-type]
    return out


@router.get("/centers", response_model=list[CenterOut])
def list_centers(session: SessionDep, _principal: PrincipalDep) -> list[CenterOut]:
    return [center_out(c) for c in federation.list_centers(session)]


@router.get("/centers/{name}", response_model=CenterOut)
def get_center(name: str, session: SessionDep, _principal: PrincipalDep) -> CenterOut:
    return center_out(federation.get_center(session, name=name))


@router.get("/offerings", response_model=list[PoolOut])
def list_offerings(session: SessionDep, _principal: PrincipalDep) -> list[PoolOut]:
    return [PoolOut.model_validate(p) for p in federation.list_pools(session)]


@router.post("/federation", response_model=list[CenterOut])
def load_federation(body: FederationIn, session: SessionDep, _operator: Operator) -> list[CenterOut]:
    return [center_out(c) for c in federation.load_federation(session, text=body.yaml)]


@router.post("/centers/{name}/health", response_model=CenterOut)
def check_health(name: str, session: SessionDep, backends: BackendsDep, _operator: Operator) -> CenterOut:
    return center_out(federation.check_health(session, name=name, backends=backends))
