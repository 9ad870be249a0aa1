"""Compute vouchers (算力券) over HTTP: programs, applications, reviews, grants, wallets,
redemptions, clawbacks, forecasts and the disclosure list (公示) as CSV or XLSX.

Program officers load programs, open windows, review and grant; finance officers act at finance
stages; organisation admins apply and claim against paid contracts; organisations see only their own
applications, wallets and redemptions. Every refusal is a problem+json naming the rule.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from suanli.api.deps import PageDep, PrincipalDep, SessionDep, SettingsDep, require_roles
from suanli.api.schemas import receipt_reference
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import Side
from suanli.domain.vouchers.disclosure import to_csv, to_xlsx
from suanli.domain.vouchers.program_file import program_text
from suanli.services import vouchers as service
from suanli.services.audit import init_signer

router = APIRouter(prefix="/api/v1", tags=["vouchers"])

OFFICERS = (Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
Officer = Annotated[Principal, require_roles(*OFFICERS)]
Reviewer = Annotated[Principal, require_roles(Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER)]
Applicant = Annotated[Principal, require_roles(Role.ORG_ADMIN, Role.PROVIDER_ADMIN)]
Money = Annotated[Principal, require_roles(Role.FINANCE_OFFICER, *OFFICERS)]
MAX_FEN = 10**15


class Body(BaseModel):
    """Request bodies refuse unknown fields (a self-declared flag is not silently ignored) and take
    integers only as integers."""

    model_config = ConfigDict(extra="forbid", strict=True)
Key = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


class ProgramOut(BaseModel):
    id: int
    code: str
    year: int
    title_zh: str
    title_en: str
    status: str
    side: str
    budget_fen: int
    granted_fen: int
    budget_left_fen: int
    management_costs: str
    management_costs_fen: int
    grantable_fen: int
    text_hash: str
    receipt: dict[str, Any] | None


def _program_out(row: Any) -> ProgramOut:
    program = service.program_of(row)
    return ProgramOut(management_costs=program.management_costs, management_costs_fen=program.management_costs_fen(),
                      grantable_fen=program.grantable_fen(), id=row.id, code=row.code, year=row.year, title_zh=row.title_zh, title_en=row.title_en,
                      status=row.status, side=row.side_mode, budget_fen=row.budget_fen, granted_fen=row.granted_fen,
                      budget_left_fen=service.budget_left(row), text_hash=row.text_hash, receipt=receipt_reference(row.receipt))


@router.post("/programs", status_code=201, response_model=ProgramOut)
async def load_program(request: Request, session: SessionDep, officer: Officer) -> ProgramOut:
    """Upload a program file (YAML body, `Content-Type: application/yaml`)."""
    body = await request.body()
    text = program_text(body, "uploaded program file")
    return _program_out(service.load_program(session, text=text, actor=officer, source="uploaded program file"))


@router.get("/programs", response_model=list[ProgramOut])
def list_programs(session: SessionDep, _: PrincipalDep, page: PageDep) -> list[ProgramOut]:
    return [_program_out(r) for r in service.list_programs(session, actor=_, offset=page.offset, limit=page.limit)]


@router.get("/programs/{program_id}", response_model=ProgramOut)
def get_program(program_id: int, session: SessionDep, _: PrincipalDep) -> ProgramOut:
    return _program_out(service.get_program(session, program_id=program_id, actor=_))


class WindowIn(Body):
    open: bool


@router.post("/programs/{program_id}/window", response_model=ProgramOut)
def set_window(program_id: int, body: WindowIn, session: SessionDep, officer: Officer) -> ProgramOut:
    return _program_out(service.set_window(session, program_id=program_id, open=body.open, actor=officer))


class ApplicationIn(Body):
    """Lengths and ranges are the service's (it refuses with the field named, for every edge)."""

    program_id: int
    project: str
    requested_fen: int
    side: str = Side.DEMAND.value
    project_class: str | None = None
    sector: str | None = None
    scale_pflops_fp16: Decimal | None = Field(default=None, strict=False)
    evidence: dict[str, Any] = Field(default_factory=dict, description="evidence kind -> metadata")


class ApplicationOut(BaseModel):
    id: int
    program_id: int
    organisation_id: int
    project: str
    requested_fen: int
    status: str
    priority: bool
    rules: list[dict[str, str]]


def _application_out(row: Any) -> ApplicationOut:
    return ApplicationOut(id=row.id, program_id=row.program_id, organisation_id=row.organisation_id,
                          project=row.project, requested_fen=row.requested_fen, status=row.status,
                          priority=row.priority, rules=row.rules)


@router.post("/applications", status_code=201, response_model=ApplicationOut)
def apply(body: ApplicationIn, session: SessionDep, applicant: Applicant) -> ApplicationOut:
    command = service.ApplyCommand(**body.model_dump())
    return _application_out(service.apply(session, command=command, actor=applicant))


@router.get("/applications", response_model=list[ApplicationOut])
def list_applications(session: SessionDep, principal: PrincipalDep, page: PageDep, program_id: int | None = None,
                      status: str | None = Query(default=None, max_length=16)) -> list[ApplicationOut]:
    rows = service.list_applications(session, actor=principal, program_id=program_id, status=status,
                                     offset=page.offset, limit=page.limit)
    return [_application_out(r) for r in rows]


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def get_application(application_id: int, session: SessionDep, principal: PrincipalDep) -> ApplicationOut:
    """One application; another organisation's is a 404."""
    return _application_out(service.get_application(session, application_id=application_id, actor=principal))


class ReviewIn(Body):
    """`decision` (approve | reject) or the older `approve` (true | false); the score's range is the
    stage's, checked by the service."""

    decision: str | None = None
    approve: bool | None = None
    score: int | None = None
    comment: str = ""
    amount_fen: int | None = Field(default=None, description="grant amount at the last stage")
    verified_scale_pflops_fp16: Decimal | None = Field(
        default=None, strict=False, description="at a stage that verifies scale: the scale the reviewer verified")


class ReviewOut(BaseModel):
    id: int
    application_id: int
    stage: str
    approve: bool
    application_status: str
    rules: list[dict[str, str]]
    receipt: dict[str, Any] | None


@router.post("/applications/{application_id}/reviews", status_code=201, response_model=ReviewOut)
def review(application_id: int, body: ReviewIn, session: SessionDep, reviewer: Reviewer) -> ReviewOut:
    act = service.review(session, application_id=application_id, actor=reviewer, approve=body.approve,
                         decision=body.decision, score=body.score, comment=body.comment, amount_fen=body.amount_fen,
                         verified_scale_pflops_fp16=body.verified_scale_pflops_fp16)
    application = service.get_application(session, application_id=application_id, actor=reviewer)
    return ReviewOut(id=act.id, application_id=application_id, stage=act.stage, approve=act.approve,
                     application_status=application.status, rules=act.rules, receipt=receipt_reference(act.receipt))


class GrantOut(BaseModel):
    application_id: int
    organisation_id: int
    amount_fen: int
    expires_on: date
    rules: list[dict[str, str]]
    receipt: dict[str, Any] | None


@router.get("/applications/{application_id}/grant", response_model=GrantOut)
def get_grant(application_id: int, session: SessionDep, principal: PrincipalDep) -> GrantOut:
    grant = service.get_grant(session, application_id=application_id, actor=principal)
    return GrantOut(application_id=application_id, organisation_id=grant.organisation_id, amount_fen=grant.amount_fen,
                    expires_on=grant.expires_on, rules=grant.rules,
                    receipt=receipt_reference(grant.receipt, f"/api/v1/applications/{application_id}/grant/receipt"))


@router.get("/applications/{application_id}/grant/receipt")
def grant_receipt(application_id: int, session: SessionDep, settings: SettingsDep,
                  principal: PrincipalDep) -> dict[str, Any]:
    """The grant's audit receipt: inclusion proof and signed tree head, verifiable offline with
    `suanli audit verify-receipt RECEIPT --pubkey KEY`."""
    return service.grant_receipt(session, application_id=application_id, actor=principal,
                                 signer=init_signer(settings.data_dir), wait_s=settings.receipt_wait_s)


class WalletOut(BaseModel):
    id: int
    program_id: int
    organisation_id: int
    side: str
    granted_fen: int
    reserved_fen: int
    redeemed_fen: int
    returned_fen: int
    available_fen: int
    expires_on: date
    status: str


@router.get("/wallets", response_model=list[WalletOut])
def list_wallets(session: SessionDep, principal: PrincipalDep, page: PageDep,
                 organisation_id: int | None = None, program_id: int | None = None) -> list[WalletOut]:
    views = service.list_wallets(session, actor=principal, organisation_id=organisation_id, program_id=program_id,
                                 offset=page.offset, limit=page.limit)
    return [WalletOut(**asdict(v)) for v in views]


class RedemptionOut(BaseModel):
    id: int
    program_id: int
    organisation_id: int
    basis: str
    side: str
    kind: str
    provider: str
    order_amount_fen: int
    amount_fen: int
    status: str
    rules: list[dict[str, str]]
    receipt: dict[str, Any] | None


def _redemption_out(r: Any) -> RedemptionOut:
    return RedemptionOut(id=r.id, program_id=r.program_id, organisation_id=r.organisation_id, basis=r.basis,
                         side=r.side, kind=r.kind, provider=r.provider, order_amount_fen=r.order_amount_fen,
                         amount_fen=r.amount_fen, status=r.status, rules=r.rules,
                         receipt=receipt_reference(r.receipt, f"/api/v1/redemptions/{r.id}/receipt"))


@router.get("/redemptions", response_model=list[RedemptionOut])
def list_redemptions(session: SessionDep, principal: PrincipalDep, page: PageDep,
                     program_id: int | None = None) -> list[RedemptionOut]:
    rows = service.list_redemptions(session, actor=principal, program_id=program_id, offset=page.offset,
                                    limit=page.limit)
    return [_redemption_out(r) for r in rows]


@router.get("/redemptions/{redemption_id}/receipt")
def redemption_receipt(redemption_id: int, session: SessionDep, settings: SettingsDep,
                       principal: PrincipalDep) -> dict[str, Any]:
    """The redemption's audit receipt (核销凭证), verifiable offline like a grant's."""
    return service.redemption_receipt(session, redemption_id=redemption_id, actor=principal,
                                      signer=init_signer(settings.data_dir), wait_s=settings.receipt_wait_s)


class ContractClaimIn(Body):
    """A claim names the program and the contract record; everything else (amount, items, provider,
    payment, through platform, side, project class) comes from the attested record and the grant, so a
    self-declared field (`contract_paid`, `side`, ...) is refused as unknown."""

    program_id: int
    contract_id: int


@router.post("/redemptions", status_code=201, response_model=RedemptionOut)
def claim_contract(body: ContractClaimIn, session: SessionDep, applicant: Applicant, key: Key,
                   response: Response) -> RedemptionOut:
    """A claim on a contract its provider confirmed (and, where the program says, confirmed paid). The `Idempotency-Key`
    header is required: a retry with the same key and claim answers the original redemption (200),
    the same key with another claim is a 409 `idempotency-conflict`."""
    claim = service.ContractClaim(program_id=body.program_id, contract_id=body.contract_id)
    claimed = service.claim_contract(session, claim=claim, actor=applicant, idempotency_key=key)
    response.status_code = 200 if claimed.replayed else 201
    return _redemption_out(claimed.redemption)


class ClawbackIn(Body):
    reason: str


@router.post("/redemptions/{redemption_id}/clawback", status_code=201)
def clawback(redemption_id: int, body: ClawbackIn, session: SessionDep, officer: Officer) -> dict[str, Any]:
    row = service.clawback(session, redemption_id=redemption_id, actor=officer, reason=body.reason)
    return {"redemption_id": redemption_id, "amount_fen": row.amount_fen, "receipt": receipt_reference(row.receipt)}


@router.get("/programs/{program_id}/forecast")
def forecast(program_id: int, session: SessionDep, principal: PrincipalDep,
             window_days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
    result, series = service.forecast(session, program_id=program_id, window_days=window_days, actor=principal)
    return {**result.as_dict(), "burn_down": [{"day": d.isoformat(), "remaining_fen": v} for d, v in series]}


@router.get("/programs/{program_id}/disclosure")
def disclosure(program_id: int, session: SessionDep, principal: PrincipalDep,
               format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
               publish: bool = False) -> Response:
    """The disclosure list (公示); `publish=true` (officers) records and audits its hash."""
    rows = service.disclosure(session, program_id=program_id, actor=principal, publish=publish)
    if format == "csv":
        return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.csv"'})
    if format == "xlsx":
        return Response(to_xlsx(rows), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="disclosure-{program_id}.xlsx"'})
    import json

    return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json")


class BudgetDepositIn(Body):
    amount_fen: int


@router.post("/programs/{program_id}/deposits", status_code=201)
def deposit_budget(program_id: int, body: BudgetDepositIn, session: SessionDep, actor: Money,
                   key: Key) -> dict[str, Any]:
    """The bureau paid (part of) the program's budget in (拨付预算); 404 for a program that does not exist."""
    transfer = service.deposit_budget(session, program_id=program_id, amount_fen=body.amount_fen,
                                      idempotency_key=key, actor=actor)
    return {"program_id": program_id, "amount_fen": body.amount_fen, "transfer_id": transfer}


class ReserveIn(Body):
    provider_organisation_id: int
    amount_fen: int


class ReserveOut(BaseModel):
    program_id: int
    provider_organisation_id: int
    account_id: int
    funded_fen: int
    drawn_fen: int
    topped_up_fen: int
    balance_fen: int


@router.post("/programs/{program_id}/reserves", status_code=201, response_model=list[ReserveOut])
def fund_reserve(program_id: int, body: ReserveIn, session: SessionDep, actor: Money, key: Key) -> list[ReserveOut]:
    """Place or top up the program's reserve fund (备用金) with a provider it designates."""
    service.fund_reserve(session, program_id=program_id, provider_organisation_id=body.provider_organisation_id,
                         amount_fen=body.amount_fen, idempotency_key=key, actor=actor)
    return [ReserveOut(**asdict(r)) for r in service.reserve_report(session, program_id=program_id, actor=actor)]


@router.get("/programs/{program_id}/reserves", response_model=list[ReserveOut])
def reserves(program_id: int, session: SessionDep, principal: PrincipalDep) -> list[ReserveOut]:
    """Each reserve fund of the program: placed, drawn by redemptions, topped up by batches, balance."""
    return [ReserveOut(**asdict(r)) for r in service.reserve_report(session, program_id=program_id, actor=principal)]


class ExpiryIn(Body):
    today: date | None = Field(default=None, strict=False)


@router.post("/wallets/expire")
def expire_wallets(body: ExpiryIn, session: SessionDep, officer: Officer) -> dict[str, Any]:
    """Run the expiry step now (the worker runs it on every tick): wallets past their last valid day
    are closed and their remainder returns to the program budget."""
    closed = service.expire_due_wallets(session, now=body.today, actor=officer)
    return {"expired": [{"wallet_id": w, "returned_fen": fen} for w, fen in closed]}


class ContractIn(Body):
    provider_organisation_id: int
    number: str
    amount_fen: int
    signed_on: date = Field(strict=False)
    term_months: int | None = None
    items: list[dict[str, Any]] = Field(default_factory=list, description="[{kind, amount_fen, ecosystem?, "
                                        "domestic?, center?}]; default one compute line of the whole amount")
    buyer_organisation_id: int | None = Field(default=None, description="the platform names the buyer of its orders")


class ContractOut(BaseModel):
    id: int
    provider_organisation_id: int
    buyer_organisation_id: int
    number: str
    amount_fen: int
    signed_on: date
    term_months: int | None
    items: list[dict[str, Any]]
    through_platform: bool
    status: str
    paid_fen: int


def _contract_out(row: Any) -> ContractOut:
    return ContractOut(id=row.id, provider_organisation_id=row.provider_organisation_id,
                       buyer_organisation_id=row.buyer_organisation_id, number=row.number, amount_fen=row.amount_fen,
                       signed_on=row.signed_on, term_months=row.term_months, items=row.items,
                       through_platform=row.through_platform, status=row.status, paid_fen=row.paid_fen)


@router.post("/contracts", status_code=201, response_model=ContractOut)
def declare_contract(body: ContractIn, session: SessionDep, principal: PrincipalDep) -> ContractOut:
    """The buyer declares a contract (合同) with a provider; the platform records its own orders."""
    command = service.DeclareContract(**body.model_dump())
    return _contract_out(service.declare_contract(session, command=command, actor=principal))


@router.get("/contracts", response_model=list[ContractOut])
def list_contracts(session: SessionDep, principal: PrincipalDep, page: PageDep) -> list[ContractOut]:
    rows = service.list_contracts(session, actor=principal, offset=page.offset, limit=page.limit)
    return [_contract_out(r) for r in rows]


@router.get("/contracts/{contract_id}", response_model=ContractOut)
def get_contract(contract_id: int, session: SessionDep, principal: PrincipalDep) -> ContractOut:
    return _contract_out(service.readable_contract(session, contract_id=contract_id, actor=principal))


class ConfirmIn(Body):
    confirm: bool = True


@router.post("/contracts/{contract_id}/confirmation", response_model=ContractOut)
def confirm_contract(contract_id: int, body: ConfirmIn, session: SessionDep, principal: PrincipalDep) -> ContractOut:
    """The provider attests (or refuses) the contract."""
    return _contract_out(service.confirm_contract(session, contract_id=contract_id, actor=principal,
                                                  confirm=body.confirm))


class PaymentIn(Body):
    paid_fen: int


@router.post("/contracts/{contract_id}/payment", response_model=ContractOut)
def confirm_payment(contract_id: int, body: PaymentIn, session: SessionDep, principal: PrincipalDep) -> ContractOut:
    """The provider attests what the buyer has paid on the contract."""
    return _contract_out(service.confirm_payment(session, contract_id=contract_id, actor=principal,
                                                 paid_fen=body.paid_fen))


class DocumentOut(BaseModel):
    id: int
    organisation_id: int
    application_id: int | None
    contract_id: int | None
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    receipt: dict[str, Any] | None


def _document_out(row: Any) -> DocumentOut:
    return DocumentOut(id=row.id, organisation_id=row.organisation_id, application_id=row.application_id,
                       contract_id=row.contract_id, kind=row.kind, filename=row.filename,
                       content_type=row.content_type, size_bytes=row.size_bytes, sha256=row.sha256,
                       receipt=receipt_reference(row.receipt))


DocumentKind = Annotated[str, Form(description="contract | invoice | electricity_use | third_party_verification | "
                                               "project_approval")]
DocumentFile = Annotated[UploadFile, File(description="the document (stored by its SHA-256)")]


async def _upload(session: Any, settings: Any, actor: Principal, kind: str, file: UploadFile, *,
                  application_id: int | None = None, contract_id: int | None = None) -> DocumentOut:
    data = await file.read(settings.max_document_bytes + 1)
    upload = service.Upload(kind=kind, filename=file.filename or "", content_type=file.content_type or "",
                            data=data, application_id=application_id, contract_id=contract_id)
    return _document_out(service.upload_document(session, upload=upload, actor=actor, data_dir=settings.data_dir,
                                                 max_bytes=settings.max_document_bytes))


@router.post("/applications/{application_id}/documents", status_code=201, response_model=DocumentOut)
async def upload_application_document(application_id: int, kind: DocumentKind, file: DocumentFile,
                                      session: SessionDep, settings: SettingsDep,
                                      applicant: Applicant) -> DocumentOut:
    """Upload an evidence document (multipart: `kind`, `file`) to the organisation's own application."""
    return await _upload(session, settings, applicant, kind, file, application_id=application_id)


@router.get("/applications/{application_id}/documents", response_model=list[DocumentOut])
def application_documents(application_id: int, session: SessionDep, principal: PrincipalDep) -> list[DocumentOut]:
    return [_document_out(d) for d in service.list_documents(session, actor=principal, application_id=application_id)]


@router.post("/contracts/{contract_id}/documents", status_code=201, response_model=DocumentOut)
async def upload_contract_document(contract_id: int, kind: DocumentKind, file: DocumentFile, session: SessionDep,
                                   settings: SettingsDep, principal: PrincipalDep) -> DocumentOut:
    """Upload an evidence document (the contract, an invoice ...) to a contract; either party's admin."""
    return await _upload(session, settings, principal, kind, file, contract_id=contract_id)


@router.get("/contracts/{contract_id}/documents", response_model=list[DocumentOut])
def contract_documents(contract_id: int, session: SessionDep, principal: PrincipalDep) -> list[DocumentOut]:
    return [_document_out(d) for d in service.list_documents(session, actor=principal, contract_id=contract_id)]


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: int, session: SessionDep, principal: PrincipalDep) -> DocumentOut:
    return _document_out(service.get_document(session, document_id=document_id, actor=principal))


@router.get("/documents/{document_id}/content")
def document_content(document_id: int, session: SessionDep, settings: SettingsDep,
                     principal: PrincipalDep) -> Response:
    """The document's bytes, always as a download (never rendered inline), with its SHA-256."""
    row, data = service.document_content(session, document_id=document_id, actor=principal,
                                         data_dir=settings.data_dir)
    ascii_name = row.filename.encode("ascii", "replace").decode().replace('"', "_")
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(row.filename)}',
        "X-Content-Type-Options": "nosniff", "Digest": f"sha-256={row.sha256}", "X-Document-Type": row.content_type})
