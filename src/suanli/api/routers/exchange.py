"""The data exchange over HTTP (数据交易所): trader roles, products and versions, compliance review,
public notice and objections, certificates, catalogue, disclosure, statistics, orders and the three
deliveries. Thin: each route calls one exchange service; refusals are problem+json.

Public without signing in: the catalogue, listed products, notices, certificates, disclosure and
statistics, lodging an objection (公示期内任何人可提出异议), and API-delivery calls (which carry the
order's scoped data key instead)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, StrictInt

from suanli.api.deps import PrincipalDep, SessionDep, SettingsDep, _bearer
from suanli.api.schemas import Body
from suanli.domain.errors import Unauthenticated
from suanli.domain.exchange import DeliveryMode, PiLevel, PriceModel, ProductDraft
from suanli.domain.organisations import Principal
from suanli.services import accounts
from suanli.services import exchange as service
from suanli.services.audit import init_signer

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])


def optional_principal(request: Request, session: SessionDep,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                       ) -> Principal | None:
    token = credentials.credentials if credentials else request.cookies.get("suanli_token")
    if not token:
        return None
    return accounts.authenticate(session, token[:201])


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


# --- schemas ----------------------------------------------------------------------------------------------


class RoleIn(Body):
    role: str = Field(max_length=32)
    statement: str = Field("", max_length=2000)


class DecisionIn(Body):
    approve: bool
    note: str = Field("", max_length=2000)


class MembershipOut(BaseModel):
    id: int
    organisation_id: int
    role: str
    status: str
    statement: str
    note: str


class ProductIn(Body):
    title: str = Field(max_length=200)
    description: str = Field(max_length=5000)
    sector: str = Field(max_length=64)
    source: str = Field(max_length=1000)
    legal_basis: str = Field(max_length=1000)
    pi_level: PiLevel
    update_frequency: str = Field(max_length=64)
    delivery_mode: DeliveryMode
    price_model: PriceModel
    price_fen: StrictInt = Field(ge=0, le=10**12)
    licence: str = Field(max_length=5000)
    sample: str = Field("", max_length=20_000)
    columns: list[Any] = Field(default_factory=list)  # each entry checked by the domain (check_columns)
    center: str | None = Field(None, max_length=63)
    pool: str | None = Field(None, max_length=63)


class VersionOut(BaseModel):
    id: int
    product_id: int
    label: str
    sha256: str
    size_bytes: int
    status: str
    assessor_organisation_id: int | None
    notice_starts_at: datetime | None
    notice_ends_at: datetime | None
    note: str


class ProductOut(BaseModel):
    id: int
    supplier_organisation_id: int
    title: str
    description: str
    sector: str
    source: str
    legal_basis: str
    pi_level: str
    update_frequency: str
    sample: str
    columns: list[dict[str, Any]]
    delivery_mode: str
    price_model: str
    price_fen: int
    licence: str
    center: str | None
    pool: str | None
    registered: bool
    versions: list[VersionOut] = []


class SubmitIn(Body):
    assessor_organisation_id: StrictInt
    evidence: dict[str, str] = Field(default_factory=dict)


class StageIn(Body):
    stage: str = Field(max_length=32)
    passed: bool
    note: str = Field("", max_length=2000)
    notice_days: StrictInt = 5


class StepOut(BaseModel):
    stage: str
    passed: bool
    note: str
    organisation_id: int


class ObjectionIn(Body):
    name: str = Field(max_length=200)
    contact: str = Field(max_length=200)
    reason: str = Field(max_length=5000)


class ObjectionOut(BaseModel):
    id: int
    version_id: int
    name: str
    contact: str
    reason: str
    status: str
    resolution: str


class ResolutionIn(Body):
    uphold: bool
    resolution: str = Field(max_length=2000)


class OrderIn(Body):
    product_id: StrictInt
    quantity: StrictInt = Field(1, ge=1, le=1_000_000)
    voucher_program_id: StrictInt | None = None
    accept_licence: bool = False


class OrderOut(BaseModel):
    id: int
    product_id: int
    version_id: int
    buyer_organisation_id: int
    delivery_mode: str
    quantity: int
    used: int
    unit_price_fen: int
    total_fen: int
    fee_fen: int
    subsidy_fen: int
    transfer_id: int | None
    status: str
    contract: dict[str, Any]
    contract_sha256: str
    expires_at: datetime | None
    api_key: str | None = None


class ComputeIn(Body):
    command: str = Field(max_length=10_000)
    time_limit_s: StrictInt = Field(600, ge=1, le=7 * 24 * 3600)


def _membership(row: Any) -> MembershipOut:
    return MembershipOut(id=row.id, organisation_id=row.organisation_id, role=row.role, status=row.status,
                         statement=row.statement, note=row.note)


def _version(row: Any) -> VersionOut:
    return VersionOut(id=row.id, product_id=row.product_id, label=row.label, sha256=row.sha256,
                      size_bytes=row.size_bytes, status=row.status, assessor_organisation_id=row.assessor_organisation_id,
                      notice_starts_at=row.notice_starts_at, notice_ends_at=row.notice_ends_at, note=row.note)


def _product(row: Any, versions: list[Any] | None = None) -> ProductOut:
    fields = {k: getattr(row, k) for k in ProductOut.model_fields if k != "versions"}
    return ProductOut(**fields, versions=[_version(v) for v in versions or []])


def _order(row: Any, api_key: str | None = None) -> OrderOut:
    fields = {k: getattr(row, k) for k in OrderOut.model_fields if k != "api_key"}
    return OrderOut(**fields, api_key=api_key)


def _objection(row: Any) -> ObjectionOut:
    return ObjectionOut(id=row.id, version_id=row.version_id, name=row.name, contact=row.contact, reason=row.reason,
                        status=row.status, resolution=row.resolution)


# --- roles ------------------------------------------------------------------------------------------------


@router.post("/roles", status_code=201, response_model=MembershipOut)
def apply_for_role(body: RoleIn, session: SessionDep, principal: PrincipalDep) -> MembershipOut:
    return _membership(service.apply_for_role(session, principal=principal, role=body.role, statement=body.statement))


@router.get("/roles", response_model=list[MembershipOut])
def list_roles(session: SessionDep, principal: PrincipalDep, status: str | None = None) -> list[MembershipOut]:
    return [_membership(r) for r in service.list_memberships(session, principal=principal, status=status)]


@router.post("/roles/{membership_id}/decision", response_model=MembershipOut)
def decide_role(membership_id: int, body: DecisionIn, session: SessionDep, principal: PrincipalDep) -> MembershipOut:
    return _membership(service.decide_role(session, principal=principal, membership_id=membership_id,
                                           approve=body.approve, note=body.note))


@router.get("/assessors")
def assessors(session: SessionDep) -> list[dict[str, Any]]:
    return [{"organisation_id": a.organisation_id, "name": a.name, "name_zh": a.name_zh, "name_en": a.name_en}
            for a in service.approved_assessors(session)]


# --- products and versions ----------------------------------------------------------------------------------


@router.post("/products", status_code=201, response_model=ProductOut)
def create_product(body: ProductIn, session: SessionDep, principal: PrincipalDep) -> ProductOut:
    fields = body.model_dump()
    fields["schema"] = fields.pop("columns")
    return _product(service.create_product(session, principal=principal, draft=ProductDraft(**fields)))


@router.get("/products", response_model=list[ProductOut])
def catalogue(session: SessionDep, q: Annotated[str, Query(max_length=100)] = "", sector: str | None = None,
              delivery_mode: str | None = None, price_model: str | None = None, pi_level: str | None = None,
              offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[ProductOut]:
    filters = {"sector": sector, "delivery_mode": delivery_mode, "price_model": price_model, "pi_level": pi_level}
    return [_product(r) for r in service.catalogue(session, query=q, filters=filters, offset=offset, limit=limit)]


@router.get("/products/mine", response_model=list[ProductOut])
def my_products(session: SessionDep, principal: PrincipalDep) -> list[ProductOut]:
    return [_product(r, service.visible_versions(session, principal=principal, product=r))
            for r in service.my_products(session, principal=principal)]


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: int, session: SessionDep, principal: MaybePrincipal) -> ProductOut:
    row = service.get_product(session, principal=principal, product_id=product_id)
    return _product(row, service.visible_versions(session, principal=principal, product=row))


@router.post("/products/{product_id}/versions", status_code=201, response_model=VersionOut)
async def add_version(product_id: int, request: Request, session: SessionDep, principal: PrincipalDep,
                      label: Annotated[str, Query(min_length=1, max_length=32)],
                      sha256: Annotated[str | None, Header(alias="X-Content-SHA256", max_length=64)] = None
                      ) -> VersionOut:
    """Upload a version's bytes as the request body; `X-Content-SHA256` (optional) is checked."""
    content = await request.body()
    return _version(service.add_version(session, principal=principal, product_id=product_id, label=label,
                                        content=content, sha256=sha256))


@router.post("/versions/{version_id}/submit", response_model=VersionOut)
def submit(version_id: int, body: SubmitIn, session: SessionDep, principal: PrincipalDep) -> VersionOut:
    return _version(service.submit_for_review(session, principal=principal, version_id=version_id,
                                              assessor_organisation_id=body.assessor_organisation_id,
                                              evidence=body.evidence))


@router.get("/reviews", response_model=list[VersionOut])
def review_queue(session: SessionDep, principal: PrincipalDep) -> list[VersionOut]:
    return [_version(v) for v in service.review_queue(session, principal=principal)]


@router.post("/versions/{version_id}/stages", response_model=VersionOut)
def review_stage(version_id: int, body: StageIn, session: SessionDep, principal: PrincipalDep) -> VersionOut:
    return _version(service.review_stage(session, principal=principal, version_id=version_id, stage=body.stage,
                                         passed=body.passed, note=body.note, notice_days=body.notice_days))


@router.get("/versions/{version_id}/steps", response_model=list[StepOut])
def review_steps(version_id: int, session: SessionDep, principal: MaybePrincipal) -> list[StepOut]:
    return [StepOut(stage=s.stage, passed=s.passed, note=s.note, organisation_id=s.organisation_id)
            for s in service.steps(session, principal=principal, version_id=version_id)]


# --- notice, objections, certificates -------------------------------------------------------------------


@router.get("/notices")
def notices(session: SessionDep) -> list[dict[str, Any]]:
    return [{"product_id": p.id, "title": p.title, "version_id": v.id, "version": v.label, "sha256": v.sha256,
             "notice_ends_at": v.notice_ends_at} for p, v in service.in_notice(session)]


@router.post("/versions/{version_id}/objections", status_code=201, response_model=ObjectionOut)
def lodge_objection(version_id: int, body: ObjectionIn, session: SessionDep, principal: MaybePrincipal) -> ObjectionOut:
    return _objection(service.lodge_objection(session, principal=principal, version_id=version_id, name=body.name,
                                              contact=body.contact, reason=body.reason))


@router.get("/versions/{version_id}/objections", response_model=list[ObjectionOut])
def version_objections(version_id: int, session: SessionDep, principal: PrincipalDep) -> list[ObjectionOut]:
    return [_objection(o) for o in service.objections(session, principal=principal, version_id=version_id)]


@router.get("/objections", response_model=list[ObjectionOut])
def open_objections(session: SessionDep, principal: PrincipalDep) -> list[ObjectionOut]:
    return [_objection(o) for o in service.open_objections(session, principal=principal)]


@router.post("/objections/{objection_id}/resolution", response_model=ObjectionOut)
def resolve_objection(objection_id: int, body: ResolutionIn, session: SessionDep,
                      principal: PrincipalDep) -> ObjectionOut:
    return _objection(service.resolve_objection(session, principal=principal, objection_id=objection_id,
                                                uphold=body.uphold, resolution=body.resolution))


@router.post("/versions/{version_id}/certificate", status_code=201)
def certify(version_id: int, session: SessionDep, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    signer = init_signer(settings.data_dir)
    row = service.certify(session, principal=principal, version_id=version_id, signer=signer)
    # The issuance event is placed in the log after COMMIT: the answer names it by outbox id and
    # points to the certificate's URL, which carries the receipt once it is placed.
    return {**service.issued(row), "receipt_url": f"/api/v1/exchange/certificates/{row.number}"}


@router.get("/versions/{version_id}/certificate")
def get_certificate(version_id: int, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    row = service.certificate(session, version_id=version_id)
    return service.document(session, row=row, signer=init_signer(settings.data_dir), wait_s=settings.receipt_wait_s)


@router.get("/certificates/{number}")
def certificate_by_number(number: Annotated[str, Path(max_length=32)], session: SessionDep,
                          settings: SettingsDep) -> dict[str, Any]:
    row = service.certificate_by_number(session, number=number)
    return service.document(session, row=row, signer=init_signer(settings.data_dir), wait_s=settings.receipt_wait_s)


@router.get("/disclosure", response_model=None)
def disclosure(session: SessionDep, format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Any:
    rows = service.disclosure(session)
    if format == "json":
        return rows
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["number", "product_id", "title", "supplier", "version", "sha256",
                                             "delivery_mode", "issued_at"])
    writer.writeheader()
    writer.writerows(rows)
    return Response(("\ufeff" + out.getvalue()).encode(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="exchange-disclosure.csv"'})


@router.get("/statistics")
def statistics(session: SessionDep) -> dict[str, Any]:
    return service.statistics(session)


# --- orders and delivery -------------------------------------------------------------------------------------


@router.post("/orders", status_code=201, response_model=OrderOut)
def place_order(body: OrderIn, session: SessionDep, principal: PrincipalDep) -> OrderOut:
    placed = service.place_order(session, principal=principal, product_id=body.product_id, quantity=body.quantity,
                                 voucher_program_id=body.voucher_program_id, accept_licence=body.accept_licence)
    return _order(placed.order, placed.api_key)


@router.get("/orders", response_model=list[OrderOut])
def list_orders(session: SessionDep, principal: PrincipalDep,
                as_: Annotated[str, Query(alias="as", pattern="^(buyer|supplier)$")] = "buyer") -> list[OrderOut]:
    return [_order(o) for o in service.list_orders(session, principal=principal, as_supplier=as_ == "supplier")]


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: int, session: SessionDep, principal: PrincipalDep) -> OrderOut:
    return _order(service.get_order(session, principal=principal, order_id=order_id))


@router.get("/orders/{order_id}/download", response_class=Response)
def download(order_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    """The dataset's bytes; check `X-Content-SHA256` against the certificate (`X-Certificate-Number`)."""
    got = service.download(session, principal=principal, order_id=order_id)
    return Response(got.content, media_type="application/octet-stream", headers={
        "X-Content-SHA256": got.sha256, "X-Certificate-Number": got.certificate["body"]["number"],
        "Content-Disposition": f'attachment; filename="{got.filename}"'})


@router.post("/orders/{order_id}/jobs", status_code=201)
def run_compute(order_id: int, body: ComputeIn, session: SessionDep, settings: SettingsDep,
                principal: PrincipalDep) -> dict[str, Any]:
    job = service.run_compute(session, principal=principal, order_id=order_id, command=body.command,
                              time_limit_s=body.time_limit_s, data_dir=settings.data_dir)
    return {"job_id": job.id, "state": job.state, "pool_id": job.pool_id}


@router.get("/orders/{order_id}/jobs")
def compute_runs(order_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"job_ids": service.compute_runs(session, principal=principal, order_id=order_id)}


@router.get("/orders/{order_id}/invoice")
def invoice(order_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return service.invoice(session, principal=principal, order_id=order_id)


@router.get("/data/{product_id}/rows")
def api_rows(product_id: int, session: SessionDep,
             key: Annotated[str | None, Header(alias="X-Exchange-Key", max_length=200)] = None,
             offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """API delivery: one metered call with the order's scoped data key."""
    if key is None:
        raise Unauthenticated("send the order's data key in the X-Exchange-Key header")
    return service.api_call(session, key=key, product_id=product_id, offset=offset, limit=limit)

