"""Money pages over the ledger (账单, 结算, 备用金): an organisation's charges and invoices with
downloads; disbursement batches (拨付批次) the operator prepares and the finance officer approves and
pays (four eyes); reserve funds placed with providers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.domain.errors import InvalidInput
from suanli.domain.ledger.periods import period_of
from suanli.domain.organisations import Principal, Role
from suanli.services import settlement, vouchers
from suanli.services.views import lists
from suanli.services.views import money as views
from suanli.web import i18n
from suanli.web.common import (
    SessionDep,
    ViewerDep,
    form,
    form_int,
    form_yuan,
    page_names,
    render,
    require,
    submit_form,
)
from suanli.web.labels import label
from suanli.web.lists import Links, list_query

router = APIRouter(include_in_schema=False)
PREPARERS = (Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER)


def _month() -> str:
    """This month in China time, as the ledger's periods count it (not by the UTC clock)."""
    return period_of(datetime.now(UTC))


@router.get("/invoices")
def invoices(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, Role.ORG_ADMIN)
    month = _month()
    own = views.own_charges(session, principal=viewer, month=month)
    # The invoices: search by number, filter by month, sort, pages (the charges are this month's only).
    page = lists.invoices(session, principal=viewer, month=request.query_params.get("month", "")[:7],
                          query=list_query(request))
    return render(request, "invoices.html", viewer=viewer, month=month, charges=own.charges, pools=own.pools,
                  names=page_names(request, session), page=page, links=Links(request, page),
                  q=request.query_params.get("q", ""), invoice_month=request.query_params.get("month", "")[:7],
                  invoices=page.rows)


def _batches_page(request: Request, session: Session, viewer: Principal, code: int = 200, **extra: Any) -> Response:
    view = views.batches(session, principal=viewer)
    gettext = i18n.translator(i18n.language(request))
    for key in ("prepared", "done"):
        value = request.query_params.get(key, "")
        batch = next((b for b in view.batches if value.isdigit() and b.id == int(value)), None)
        if batch is not None and "notice" not in extra:
            extra["notice"] = (gettext("Batch %(number)s prepared.") % {"number": batch.number} if key == "prepared" else
                               gettext("Batch %(number)s is now %(status)s.") % {
                                   "number": batch.number, "status": gettext(label(batch.status))})
    return render(request, "batches.html", code, viewer=viewer, batches=view.batches, statements=view.statements,
                  names=view.names, month=_month(), **extra)


@router.get("/batches")
def batches(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    require(viewer, *PREPARERS)
    return _batches_page(request, session, viewer)


@router.post("/batches")
async def prepare(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Issue the month's invoices and statements and gather the statements into a draft batch."""
    require(viewer, *PREPARERS)
    fields = await form(request)
    return await run_in_threadpool(_prepare, request, session, viewer, fields)


def _prepare(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))
    month = fields.get("month", "")

    def action() -> str:
        for organisation_id in views.organisations_with_charges(session, principal=viewer, month=month):
            settlement.issue_invoice(session, organisation_id=organisation_id, month=month)
        batch = settlement.create_batch(session, month=month, created_by=viewer.username)
        return f"/batches?prepared={batch.id}"

    def refused(message: str) -> Response:
        return _batches_page(request, session, viewer, 422, error=gettext("The batch could not be prepared:") + " " + message)

    return submit_form(request, session, viewer, fields, action, refused)


@router.post("/batches/{batch_id}/{action}")
async def act(request: Request, session: SessionDep, viewer: ViewerDep, batch_id: int, action: str) -> Response:
    require(viewer, Role.FINANCE_OFFICER)
    fields = await form(request)
    return await run_in_threadpool(_act, request, session, viewer, batch_id, action, fields)


def _act(request: Request, session: Session, viewer: Principal, batch_id: int, verb: str, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))

    def action() -> str:
        if verb == "approve":
            batch = settlement.approve_batch(session, batch_id=batch_id, approved_by=viewer.username)
        elif verb == "pay":
            batch = settlement.pay_batch(session, batch_id=batch_id, paid_by=viewer.username)
        else:
            raise InvalidInput("approve or pay", field="action")
        return f"/batches?done={batch.id}"

    def refused(message: str) -> Response:
        return _batches_page(request, session, viewer, 422, error=gettext("The batch action was refused:") + " " + message)

    return submit_form(request, session, viewer, fields, action, refused)


def _reserves_page(request: Request, session: Session, viewer: Principal, code: int = 200, **extra: Any) -> Response:
    view = views.reserves(session, principal=viewer)
    return render(request, "reserves.html", code, viewer=viewer, accounts=view.accounts, orgs=view.organisations,
                  providers=view.providers, balances=view.balances, programs=view.programs, cash=view.cash,
                  names=page_names(request, session), scopes={f"program:{p.id}": (p.title_zh if i18n.language(request) == "zh_CN" else p.title_en)
                          for p in view.programs}, **extra)


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

    def action() -> str:
        amount = form_yuan(fields.get("amount_yuan", ""))
        # The same service as the API: the reserve goes only to a provider the program designates.
        vouchers.fund_reserve(session, program_id=form_int(fields, "program_id", low=1, high=2**62) or 0,
                              provider_organisation_id=form_int(fields, "provider_id", low=1, high=2**62) or 0,
                              amount_fen=amount, idempotency_key=f"web:reserve:{fields.get('form_key', '')[:64]}",
                              actor=viewer)
        return "/reserves?placed=1"

    def refused(message: str) -> Response:
        return _reserves_page(request, session, viewer, 422, error=gettext("The reserve fund was refused:") + " " + message)

    return submit_form(request, session, viewer, fields, action, refused)


@router.post("/reserves/deposit")
async def deposit(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The bureau paid (part of) a program's budget into the platform's bank account."""
    require(viewer, Role.FINANCE_OFFICER)
    fields = await form(request)
    return await run_in_threadpool(_deposit, request, session, viewer, fields)


def _deposit(request: Request, session: Session, viewer: Principal, fields: dict[str, str]) -> Response:
    gettext = i18n.translator(i18n.language(request))

    def action() -> str:
        amount = form_yuan(fields.get("amount_yuan", ""))
        vouchers.deposit_budget(session, program_id=form_int(fields, "program_id", low=1, high=2**62) or 0,
                                amount_fen=amount, idempotency_key=f"web:deposit:{fields.get('form_key', '')[:64]}",
                                actor=viewer)
        return "/reserves?deposited=1"

    def refused(message: str) -> Response:
        return _reserves_page(request, session, viewer, 422, error=gettext("The deposit was refused:") + " " + message)

    return submit_form(request, session, viewer, fields, action, refused)
