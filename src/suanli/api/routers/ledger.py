"""The ledger over HTTP: accounts and balances, account statements, transfers and holds (with an
`Idempotency-Key` header), redemption batches (a key per item), invoices, provider statements, disbursement batches and exports.

Tenants read only their own organisation's accounts and invoices; money is moved by hand only by the
platform operator or the finance officer, who alone approves and pays batches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from suanli.api.deps import PageDep, PrincipalDep, SessionDep, require_roles
from suanli.api.paging import one_page
from suanli.domain.ledger import leg
from suanli.domain.ledger.requests import MAX_BATCH
from suanli.domain.organisations import Principal, Role
from suanli.services import ledger, settlement
from suanli.services.ledger import TransferResult, access

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
Treasurer = Annotated[Principal, require_roles(Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER)]
Finance = Annotated[Principal, require_roles(Role.FINANCE_OFFICER)]
Key = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LegIn(Strict):
    account_id: StrictInt
    side: Literal["debit", "credit"]
    amount_fen: StrictInt


class TransferIn(Strict):
    legs: list[LegIn] = Field(min_length=2, max_length=20)
    currency: str = Field("CNY", max_length=8)
    memo: str = Field("", max_length=500)
    source_kind: str = Field("manual", max_length=32)
    source_id: str = Field("", max_length=64)


class HoldIn(Strict):
    debit_account_id: StrictInt
    credit_account_id: StrictInt
    amount_fen: StrictInt
    currency: str = Field("CNY", max_length=8)
    memo: str = Field("", max_length=500)
    source_kind: str = Field("manual", max_length=32)
    source_id: str = Field("", max_length=64)


class PostIn(Strict):
    amount_fen: StrictInt | None = None
    final: bool = True
    memo: str = Field("", max_length=500)


class MemoIn(Strict):
    memo: str = Field("", max_length=500)


class ItemIn(Strict):
    idempotency_key: str = Field(min_length=1, max_length=200)
    memo: str = Field("", max_length=500)


class ReserveItemIn(ItemIn, HoldIn):
    op: Literal["reserve"]


class PostItemIn(ItemIn, PostIn):
    op: Literal["post"]
    pending_id: StrictInt
    source_kind: str | None = Field(None, max_length=32)
    source_id: str | None = Field(None, max_length=64)


class VoidItemIn(ItemIn):
    op: Literal["void"]
    pending_id: StrictInt


class RedemptionBatchIn(Strict):
    items: list[Annotated[ReserveItemIn | PostItemIn | VoidItemIn, Field(discriminator="op")]] = Field(
        min_length=1, max_length=MAX_BATCH)


class InvoiceIn(Strict):
    organisation_id: StrictInt
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class BatchIn(Strict):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


def account_out(row: Any) -> dict[str, Any]:
    return {"id": row.id, "code": row.code, "name": row.name, "type": row.type, "purpose": row.purpose,
            "owner_kind": row.owner_kind, "owner_id": row.owner_id, "scope": row.scope, "currency": row.currency,
            "non_negative": row.non_negative, "balance_fen": ledger.natural_balance(row)}


def transfer_out(result: TransferResult) -> dict[str, Any]:
    return {"id": result.id, "idempotency_key": result.idempotency_key, "kind": result.kind, "status": result.status,
            "amount_fen": result.amount_fen, "currency": "CNY", "parent_id": result.parent_id,
            "source": {"kind": result.source_kind, "id": result.source_id}, "memo": result.memo,
            "period": result.period, "effective_at": result.effective_at.isoformat(),
            "posted_fen": result.posted_fen, "released_fen": result.released_fen, "replayed": result.replayed,
            "legs": [{"account_id": x.account_id, "side": "debit" if x.amount_fen > 0 else "credit",
                      "amount_fen": abs(x.amount_fen)} for x in result.legs]}


def row_out(row: Any) -> dict[str, Any]:
    out = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


def answered(response: Response, result: TransferResult) -> dict[str, Any]:
    response.status_code = 200 if result.replayed else 201
    return transfer_out(result)


# --- accounts ---------------------------------------------------------------------------------------------


@router.get("/accounts")
def list_accounts(session: SessionDep, principal: PrincipalDep, page: PageDep, request: Request, response: Response,
                  owner_kind: str | None = None, owner_id: int | None = None,
                  purpose: str | None = None) -> list[dict[str, Any]]:
    rows = access.readable_accounts(session, principal=principal, owner_kind=owner_kind, owner_id=owner_id,
                                    purpose=purpose, after=page.after, offset=page.offset, limit=page.probe)
    return [account_out(r) for r in one_page(rows, page, request, response)]


@router.get("/accounts/{account_id}")
def get_account(account_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return account_out(access.readable_account(session, principal=principal, account_id=account_id))


@router.get("/accounts/{account_id}/statement")
def account_statement(account_id: int, session: SessionDep, principal: PrincipalDep,
                      month: Month | None = None) -> dict[str, Any]:
    access.readable_account(session, principal=principal, account_id=account_id)
    statement = ledger.account_statement(session, account_id=account_id, month=month)
    return {"account": account_out(statement.account), "month": month, "opening_fen": statement.opening_fen,
            "closing_fen": statement.closing_fen,
            "entries": [{"transfer_id": e.transfer_id, "effective_at": e.effective_at.isoformat(), "kind": e.kind,
                         "memo": e.memo, "source": e.source, "amount_fen": e.amount_fen, "balance_fen": e.balance_fen}
                        for e in statement.entries]}


# --- transfers and holds ------------------------------------------------------------------------------------


@router.post("/transfers", status_code=201)
def create_transfer(body: TransferIn, key: Key, response: Response, session: SessionDep,
                    _who: Treasurer) -> dict[str, Any]:
    legs = [leg(x.account_id, x.side, x.amount_fen) for x in body.legs]
    return answered(response, ledger.transfer(session, idempotency_key=key, legs=legs, memo=body.memo,
                                              source_kind=body.source_kind, source_id=body.source_id,
                                              currency=body.currency))


@router.get("/transfers")
def list_transfers(session: SessionDep, _who: Treasurer, page: PageDep, request: Request, response: Response,
                   account_id: int | None = None, source_kind: str | None = None,
                   source_id: str | None = None) -> list[dict[str, Any]]:
    rows = ledger.list_transfers(session, account_id=account_id, source_kind=source_kind, source_id=source_id,
                                 after=page.after, offset=page.offset, limit=page.probe)
    return [transfer_out(r) for r in one_page(rows, page, request, response)]


@router.get("/transfers/{transfer_id}")
def get_transfer(transfer_id: int, session: SessionDep, _who: Treasurer) -> dict[str, Any]:
    return transfer_out(ledger.get_transfer(session, transfer_id=transfer_id))


@router.post("/transfers/{transfer_id}/reverse", status_code=201)
def reverse_transfer(transfer_id: int, body: MemoIn, key: Key, response: Response, session: SessionDep,
                     _who: Treasurer) -> dict[str, Any]:
    return answered(response, ledger.reverse(session, idempotency_key=key, transfer_id=transfer_id, memo=body.memo))


@router.post("/holds", status_code=201)
def reserve(body: HoldIn, key: Key, response: Response, session: SessionDep, _who: Treasurer) -> dict[str, Any]:
    return answered(response, ledger.reserve(session, idempotency_key=key, debit_account_id=body.debit_account_id,
                                             credit_account_id=body.credit_account_id, amount_fen=body.amount_fen,
                                             memo=body.memo, source_kind=body.source_kind, source_id=body.source_id,
                                             currency=body.currency))


@router.post("/holds/{hold_id}/post", status_code=201)
def post_hold(hold_id: int, body: PostIn, key: Key, response: Response, session: SessionDep,
              _who: Treasurer) -> dict[str, Any]:
    return answered(response, ledger.post(session, idempotency_key=key, pending_id=hold_id, amount_fen=body.amount_fen,
                                          final=body.final, memo=body.memo))


@router.post("/holds/{hold_id}/void", status_code=201)
def void_hold(hold_id: int, body: MemoIn, key: Key, response: Response, session: SessionDep,
              _who: Treasurer) -> dict[str, Any]:
    return answered(response, ledger.void(session, idempotency_key=key, pending_id=hold_id, memo=body.memo))


@router.post("/redemptions:batch", status_code=201)
def redeem_batch(body: RedemptionBatchIn, response: Response, session: SessionDep, _who: Treasurer) -> dict[str, Any]:
    """Many holds, posts and voids in one transaction, each with its own idempotency key: all or none
    are written; a bad item fails the batch with a 4xx naming `items[i]`; replayed items answer with
    their original result. 201 when anything was written, 200 when every item was a replay."""
    results = ledger.redeem_batch(session, items=[redemption(x) for x in body.items])
    replayed = sum(r.replayed for r in results)
    response.status_code = 200 if replayed == len(results) else 201
    return {"written": len(results) - replayed, "replayed": replayed, "results": [transfer_out(r) for r in results]}


def redemption(x: ReserveItemIn | PostItemIn | VoidItemIn) -> ledger.Redemption:
    if isinstance(x, ReserveItemIn):
        return ledger.Reserve(x.idempotency_key, x.debit_account_id, x.credit_account_id, x.amount_fen, x.memo,
                              x.source_kind, x.source_id, x.currency)
    if isinstance(x, PostItemIn):
        return ledger.Post(x.idempotency_key, x.pending_id, x.amount_fen, x.final, x.memo, x.source_kind, x.source_id)
    return ledger.Void(x.idempotency_key, x.pending_id, x.memo)


@router.post("/periods/{month}/close", status_code=204)
def close_period(month: str, session: SessionDep, who: Treasurer) -> Response:
    ledger.close_period(session, month=month, closed_by=who.username)
    return Response(status_code=204)


# --- invoices, statements, batches -------------------------------------------------------------------------


@router.get("/invoices")
def list_invoices(session: SessionDep, principal: PrincipalDep, page: PageDep, request: Request, response: Response,
                  organisation_id: int | None = None, month: Month | None = None) -> list[dict[str, Any]]:
    rows = access.readable_invoices(session, principal=principal, organisation_id=organisation_id, month=month,
                                    after=page.after, limit=page.probe)
    return [row_out(r) for r in one_page(rows, page, request, response)]


@router.post("/invoices", status_code=201)
def issue_invoice(body: InvoiceIn, session: SessionDep, _who: Treasurer) -> dict[str, Any]:
    return row_out(settlement.issue_invoice(session, organisation_id=body.organisation_id, month=body.month))


@router.get("/invoices/{invoice_id}")
def get_invoice(invoice_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    invoice = access.readable_invoice(session, principal=principal, invoice_id=invoice_id)
    return {**row_out(invoice), "lines": [row_out(x) for x in settlement.invoice_lines(session, invoice_id=invoice_id)]}


@router.get("/invoices/{invoice_id}/export")
def export_invoice(invoice_id: int, session: SessionDep, principal: PrincipalDep,
                   format: Literal["csv", "xlsx"] = "csv") -> Response:
    invoice = access.readable_invoice(session, principal=principal, invoice_id=invoice_id)
    rows = settlement.table(settlement.invoice_lines(session, invoice_id=invoice_id), settlement.INVOICE_LINE_COLUMNS)
    return export(rows, invoice.number, format)


def export(rows: list[list[Any]], name: str, format: str) -> Response:
    if format == "xlsx":
        return Response(settlement.to_xlsx(rows, name), headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(settlement.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/statements")
def list_statements(session: SessionDep, _who: Treasurer, page: PageDep, request: Request, response: Response,
                    month: Month | None = None, batch_id: int | None = None) -> list[dict[str, Any]]:
    rows = settlement.list_statements(session, month=month, batch_id=batch_id, after=page.after, limit=page.probe)
    return [row_out(r) for r in one_page(rows, page, request, response)]


@router.get("/statements/{statement_id}")
def get_statement(statement_id: int, session: SessionDep, _who: Treasurer) -> dict[str, Any]:
    return row_out(settlement.get_statement(session, statement_id=statement_id))


@router.get("/statements/{statement_id}/export")
def export_statement(statement_id: int, session: SessionDep, _who: Treasurer,
                     format: Literal["csv", "xlsx"] = "csv") -> Response:
    statement = settlement.get_statement(session, statement_id=statement_id)
    return export(settlement.table([statement], settlement.STATEMENT_COLUMNS), statement.number, format)


@router.get("/batches")
def list_batches(session: SessionDep, _who: Treasurer, page: PageDep, request: Request, response: Response,
                 status: str | None = None) -> list[dict[str, Any]]:
    rows = settlement.list_batches(session, status=status, after=page.after, limit=page.probe)
    return [row_out(r) for r in one_page(rows, page, request, response)]


@router.post("/batches", status_code=201)
def create_batch(body: BatchIn, session: SessionDep, who: Treasurer) -> dict[str, Any]:
    return row_out(settlement.create_batch(session, month=body.month, created_by=who.username))


@router.post("/batches/{batch_id}/approve")
def approve_batch(batch_id: int, session: SessionDep, who: Finance) -> dict[str, Any]:
    return row_out(settlement.approve_batch(session, batch_id=batch_id, approved_by=who.username))


@router.post("/batches/{batch_id}/pay")
def pay_batch(batch_id: int, session: SessionDep, who: Finance) -> dict[str, Any]:
    return row_out(settlement.pay_batch(session, batch_id=batch_id, paid_by=who.username))
