"""Money pages over the ledger (账单, 结算, 备用金): an organisation's charges and invoices with
downloads; disbursement batches (拨付批次) the operator prepares and the finance officer approves and
pays (four eyes); reserve funds placed with providers."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.db.models.base import utcnow
from suanli.db.repositories import ledger as ledger_repo
from suanli.db.repositories import vouchers as voucher_repo
from suanli.db.repositories import web as web_repo
from suanli.domain.errors import InvalidInput, NotFound, SuanliError
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.services import ledger, settlement
from suanli.web import i18n
from suanli.web.common import SessionDep, ViewerDep, form, form_yuan, problem_text, redirect, render, require
from suanli.web.labels import label

router = APIRouter(include_in_schema=False)
PREPARERS = (Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER)
LINE_COLUMNS = ("description", "device_seconds", "price_fen_per_device_hour", "list_price_fen", "subsidy_fen", "amount_due_fen")


def _month() -> str:
    return utcnow().strftime("%Y-%m")


@router.get("/invoices")
def invoices(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.ORG_ADMIN)
    month = _month()
    charges = ledger_repo.charges(session, organisation_id=viewer.organisation_id, month=month)
    pools = web_repo.pool_names(session, [c.pool_id for c in charges])
    return render(request, "invoices.html", viewer=viewer, month=month, charges=charges, pools=pools,
                  invoices=settlement.list_invoices(session, organisation_id=viewer.organisation_id))


@router.get("/invoices/{invoice_id}.{fmt}")
def invoice_download(session: SessionDep, viewer: ViewerDep, invoice_id: int, fmt: str) -> Response:
    invoice = settlement.get_invoice(session, invoice_id=invoice_id)
    if fmt not in ("csv", "xlsx") or not (viewer.sees_all_tenants or invoice.organisation_id == viewer.organisation_id):
        raise NotFound(f"invoice {invoice_id} does not exist")
    rows = settlement.table(settlement.invoice_lines(session, invoice_id=invoice_id), LINE_COLUMNS)
    if fmt == "csv":
        return Response(settlement.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.csv"'})
    return Response(settlement.to_xlsx(rows, invoice.number),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{invoice.number}.xlsx"'})


def _batches_page(request: Request, session: SessionDep, viewer: ViewerDep, code: int = 200, **extra: Any) -> Response:
    batches = ledger_repo.list_batches(session)
    statements = {b.id: web_repo.statements_in_batch(session, b.id) for b in batches}
    names = web_repo.account_owners(session, [s.provider_account_id for group in statements.values() for s in group])
    return render(request, "batches.html", code, viewer=viewer, batches=batches, statements=statements, names=names,
                  month=_month(), **extra)


@router.get("/batches")
def batches(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *PREPARERS)
    return _batches_page(request, session, viewer)


@router.post("/batches")
async def prepare(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Issue the month's invoices and statements and gather the statements into a draft batch."""
    require(viewer, *PREPARERS)
    fields = await form(request)
    return await run_in_threadpool(_prepare, request, session, viewer, fields.get("month", ""))


def _prepare(request: Request, session: Session, viewer: Principal, month: str) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            for organisation_id in ledger_repo.charge_organisations(session, month):
                settlement.issue_invoice(session, organisation_id=organisation_id, month=month)
            batch = settlement.create_batch(session, month=month, created_by=viewer.username)
    except SuanliError as exc:
        return _batches_page(request, session, viewer, 422, error=gettext("The batch could not be prepared:") + " " + problem_text(exc.detail, i18n.language(request)))
    return _batches_page(request, session, viewer, notice=gettext("Batch %(number)s prepared.") % {"number": batch.number})


@router.post("/batches/{batch_id}/{action}")
async def act(request: Request, session: SessionDep, viewer: ViewerDep, batch_id: int, action: str) -> Response:
    require(viewer, Role.FINANCE_OFFICER)
    await form(request)
    return await run_in_threadpool(_act, request, session, viewer, batch_id, action)


def _act(request: Request, session: Session, viewer: Principal, batch_id: int, action: str) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        with session.begin_nested():
            if action == "approve":
                batch = settlement.approve_batch(session, batch_id=batch_id, approved_by=viewer.username)
            elif action == "pay":
                batch = settlement.pay_batch(session, batch_id=batch_id, paid_by=viewer.username)
            else:
                raise InvalidInput("approve or pay")
    except SuanliError as exc:
        return _batches_page(request, session, viewer, 422, error=gettext("The batch action was refused:") + " " + problem_text(exc.detail, i18n.language(request)))
    message = gettext("Batch %(number)s is now %(status)s.") % {"number": batch.number, "status": gettext(label(batch.status))}
    return _batches_page(request, session, viewer, notice=message)


def _reserves_page(request: Request, session: SessionDep, viewer: ViewerDep, code: int = 200, **extra: Any) -> Response:
    accounts = web_repo.provider_accounts(session, purpose="provider_reserve")
    orgs = web_repo.organisation_names(session, [a.owner_id for a in accounts if a.owner_id])
    providers = web_repo.organisations_of_type(session, OrganisationType.PROVIDER.value)
    return render(request, "reserves.html", code, viewer=viewer, accounts=accounts, orgs=orgs, providers=providers,
                  balances={a.id: ledger.natural_balance(a) for a in accounts}, programs=voucher_repo.list_programs(session),
                  cash=ledger.natural_balance(ledger.get_account(session, account_id=settlement.cash_account(session))),
                  key=secrets.token_urlsafe(12), **extra)


@router.get("/reserves")
def reserves(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR, Role.AUDITOR)
    return _reserves_page(request, session, viewer)


@router.post("/reserves")
async def place_reserve(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.FINANCE_OFFICER)
    fields = await form(request)
    return await run_in_threadpool(_place_reserve, request, session, viewer, fields)


def _place_reserve(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        amount = form_yuan(fields.get("amount_yuan", ""))
        with session.begin_nested():
            settlement.prefund_reserve(session, program_id=int(fields.get("program_id") or 0),
                                       provider_organisation_id=int(fields.get("provider_id") or 0), amount_fen=amount,
                                       idempotency_key=f"web:reserve:{fields.get('key', '')[:40]}")
    except (SuanliError, ValueError) as exc:
        detail = problem_text(exc.detail if isinstance(exc, SuanliError) else str(exc), i18n.language(request))
        return _reserves_page(request, session, viewer, 422, error=gettext("The reserve fund was refused:") + " " + detail)
    return redirect("/reserves?placed=1")


@router.post("/reserves/deposit")
async def deposit(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The bureau paid (part of) a program's budget into the platform's bank account."""
    require(viewer, Role.FINANCE_OFFICER)
    fields = await form(request)
    return await run_in_threadpool(_deposit, request, session, viewer, fields)


def _deposit(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    try:
        amount = form_yuan(fields.get("amount_yuan", ""))
        with session.begin_nested():
            settlement.deposit_program_budget(session, program_id=int(fields.get("program_id") or 0), amount_fen=amount,
                                              idempotency_key=f"web:deposit:{fields.get('key', '')[:40]}")
    except (SuanliError, ValueError) as exc:
        detail = problem_text(exc.detail if isinstance(exc, SuanliError) else str(exc), i18n.language(request))
        return _reserves_page(request, session, viewer, 422, error=gettext("The deposit was refused:") + " " + detail)
    return redirect("/reserves?deposited=1")
