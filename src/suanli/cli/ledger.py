"""`suanli ledger ...`: balances, invoices, provider statements and disbursement batches through the
API as the signed-in person (an organisation sees its own accounts and invoices; statements and
batches are the operator's and the finance officer's), plus `check`, the local consistency check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.cli import client
from suanli.cli.common import (
    LOCAL_ADMIN,
    Column,
    JsonFlag,
    Output,
    chosen,
    console,
    emit,
    fail,
    usage,
    write_file,
)
from suanli.domain.errors import InvalidInput
from suanli.domain.ledger.periods import check_month
from suanli.domain.money import format_yuan

NAME = "ledger"
app = typer.Typer(help="Ledger: balances, invoices, statements, disbursement batches.", no_args_is_help=True)

Month = Annotated[str, typer.Option("--month", help="accounting month, e.g. 2026-01")]
Out = Annotated[Path | None, typer.Option("--out", help="write CSV or XLSX (by suffix) instead of a table")]


def _month(month: str) -> str:
    try:
        return check_month(month)
    except InvalidInput as exc:
        usage(f"--month: {exc.detail}")


def _format(out: Path) -> str:
    if out.suffix.lower() not in (".csv", ".xlsx"):
        usage("--out must end in .csv or .xlsx")
    return out.suffix.lower()[1:]


ACCOUNT_COLUMNS = [Column("id", "id"), Column("account", "code"), Column("name", "name"), Column("type", "type"),
                   Column("balance", "balance_fen", money=True)]


@app.command("balances")
def balances(owner_kind: Annotated[str | None, typer.Option("--owner-kind")] = None,
             owner_id: Annotated[int | None, typer.Option("--owner-id")] = None,
             purpose: Annotated[str | None, typer.Option("--purpose")] = None,
             output: Output = None, as_json: JsonFlag = False) -> None:
    """Accounts you may see with their balances (natural sign: a wallet holding money is positive)."""
    found = client.get("/api/v1/ledger/accounts", owner_kind=owner_kind, owner_id=owner_id, purpose=purpose)
    emit(found, ACCOUNT_COLUMNS, chosen(output, as_json), "余额 Balances")


INVOICE_COLUMNS = [Column("number", "number"), Column("organisation", "organisation_id"), Column("month", "month"),
                   Column("list price", "list_price_fen", money=True), Column("subsidy", "subsidy_fen", money=True),
                   Column("to pay", "amount_due_fen", money=True)]


@app.command("invoices")
def invoices(month: Month, organisation: Annotated[int | None, typer.Option("--organisation")] = None,
             issue: Annotated[bool, typer.Option("--issue", help="with --organisation: issue its invoice for the "
                                                                 "month first (operator, finance officer)")] = False,
             out: Out = None, output: Output = None, as_json: JsonFlag = False) -> None:
    """Monthly invoices: list price, subsidy, amount to pay (an organisation: its own)."""
    fmt = chosen(output, as_json)
    _month(month)
    if issue:
        if organisation is None:
            usage("--issue needs --organisation ID (one organisation's invoice at a time)")
        client.post("/api/v1/ledger/invoices", {"organisation_id": organisation, "month": month})
    found = client.get("/api/v1/ledger/invoices", organisation_id=organisation, month=month)
    if out is not None:
        if len(found) != 1:
            fail(f"--out writes one invoice's lines and {len(found)} invoices match: name --organisation")
        client.download(f"/api/v1/ledger/invoices/{found[0]['id']}/export", out, params={"format": _format(out)})
        console.print(f"wrote {out}")
        return
    emit(found, INVOICE_COLUMNS, fmt, f"发票 Invoices {month}")


STATEMENT_COLUMNS = [Column("number", "number"), Column("provider account", "provider_account_id"),
                     Column("month", "month"), Column("charges", "charges"), Column("gross", "gross_fen", money=True),
                     Column("subsidy", "subsidy_fen", money=True), Column("fee", "fee_fen", money=True),
                     Column("from reserve", "from_reserve_fen", money=True),
                     Column("payable", "payable_fen", money=True), Column("batch", "batch_id")]


@app.command("statements")
def statements(month: Month, out: Out = None, output: Output = None, as_json: JsonFlag = False) -> None:
    """Provider settlement statements of a month (operator, finance officer)."""
    fmt = chosen(output, as_json)
    found = client.get("/api/v1/ledger/statements", month=_month(month))
    if out is not None:
        _write_table(found, out, f"statements-{month}")
        return
    emit(found, STATEMENT_COLUMNS, fmt, f"结算单 Statements {month}")


def _write_table(found: list[dict[str, Any]], out: Path, name: str) -> None:
    from suanli.services import settlement

    kind = _format(out)
    keys = [str(c.read) for c in STATEMENT_COLUMNS]  # every statement column reads a field by name
    rows: list[list[Any]] = [list(keys), *[[r.get(k) for k in keys] for r in found]]
    write_file(out, settlement.to_xlsx(rows, name) if kind == "xlsx" else settlement.to_csv(rows))
    console.print(f"wrote {out}")


BATCH_COLUMNS = [Column("id", "id"), Column("number", "number"), Column("month", "month"), Column("status", "status"),
                 Column("total", "total_fen", money=True), Column("prepared by", "created_by"),
                 Column("approved by", "approved_by")]


@app.command("batches")
def batches(create: Annotated[str | None, typer.Option("--create", help="create a batch for this month")] = None,
            user: Annotated[str, typer.Option("--as", hidden=True, help="(old spelling) ignored: you prepare it")] = "",
            output: Output = None, as_json: JsonFlag = False) -> None:
    """List disbursement batches, or create one for a month (operator, finance officer)."""
    fmt = chosen(output, as_json)
    if create:
        client.post("/api/v1/ledger/batches", {"month": _month(create)})
    emit(client.get("/api/v1/ledger/batches"), BATCH_COLUMNS, fmt, "拨付批次 Disbursement batches")


@app.command("approve")
def approve(batch_id: int,
            user: Annotated[str, typer.Option("--as", hidden=True, help="(old spelling) must be the signed-in user")] = "",
            pay: Annotated[bool, typer.Option("--pay", help="also pay it")] = False) -> None:
    """Approve (and optionally pay) a disbursement batch as the finance officer."""
    if user:
        me = client.get("/api/v1/auth/me")["username"]
        if me != user:
            fail(f"you are signed in as {me}, not {user}: `suanli login --username {user}` first")
    batch = client.post(f"/api/v1/ledger/batches/{batch_id}/approve")
    if pay:
        batch = client.post(f"/api/v1/ledger/batches/{batch_id}/pay")
    console.print(f"batch {batch['number']}: {batch['status']}, {format_yuan(batch['total_fen'])}")


@app.command("check", help=f"Check every ledger invariant over the whole database; exit 1 naming each "
                           f"violation. {LOCAL_ADMIN}")
def check() -> None:
    from suanli.cli.local import database_session
    from suanli.services import ledger

    with database_session() as s:
        problems = ledger.check_consistency(s)
    if problems:
        for problem in problems:
            console.print(problem, markup=False, highlight=False)
        raise typer.Exit(1)
    console.print("ledger consistent")
