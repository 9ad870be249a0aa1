"""`suanli ledger ...`: balances, invoices, provider statements and disbursement batches on the
database in SUANLI_DATABASE_URL (for operators and the finance officer), plus a consistency check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from suanli.cli.common import console, database_session, fail
from suanli.domain.ledger.periods import check_month
from suanli.domain.money import format_yuan

NAME = "ledger"
app = typer.Typer(help="Ledger: balances, invoices, statements, disbursement batches.", no_args_is_help=True)

Month = Annotated[str, typer.Option("--month", help="accounting month, e.g. 2026-01")]
Out = Annotated[Path | None, typer.Option("--out", help="write CSV or XLSX (by suffix) instead of a table")]


def show(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[str(x) for x in row])
    console.print(table)


def write(rows: list[list[Any]], out: Path, name: str) -> None:
    from suanli.services import settlement

    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail("--out must end in .csv or .xlsx")
    out.write_bytes(settlement.to_xlsx(rows, name) if out.suffix.lower() == ".xlsx" else settlement.to_csv(rows))
    console.print(f"wrote {out}")


@app.command("balances")
def balances(owner_kind: Annotated[str | None, typer.Option("--owner-kind")] = None,
             owner_id: Annotated[int | None, typer.Option("--owner-id")] = None,
             purpose: Annotated[str | None, typer.Option("--purpose")] = None) -> None:
    """List accounts with their balances (natural sign: a wallet holding money shows a positive figure)."""
    from suanli.services import ledger

    with database_session() as s:
        rows = [[a.id, a.code, a.type, format_yuan(ledger.natural_balance(a))]
                for a in ledger.list_accounts(s, owner_kind=owner_kind, owner_id=owner_id, purpose=purpose)]
    show("Balances", ["id", "account", "type", "balance"], rows)


@app.command("invoices")
def invoices(month: Month, organisation: Annotated[int | None, typer.Option("--organisation")] = None,
             issue: Annotated[bool, typer.Option("--issue", help="issue missing invoices for the month first")] = False,
             out: Out = None) -> None:
    """Monthly invoices per organisation: list price, subsidy, amount to pay."""
    from suanli.db.repositories import ledger as repo
    from suanli.services import settlement

    with database_session() as s:
        check_month(month)
        if issue:
            for org in ([organisation] if organisation else repo.charge_organisations(s, month)):
                settlement.issue_invoice(s, organisation_id=org, month=month)
        found = settlement.list_invoices(s, organisation_id=organisation, month=month)
        if out is not None and len(found) == 1:
            write(settlement.table(settlement.invoice_lines(s, invoice_id=found[0].id), settlement.INVOICE_LINE_COLUMNS),
                  out, found[0].number)
            return
        rows = [[i.number, i.organisation_id, i.month, format_yuan(i.list_price_fen), format_yuan(i.subsidy_fen),
                 format_yuan(i.amount_due_fen)] for i in found]
    show(f"Invoices {month}", ["number", "organisation", "month", "list price", "subsidy", "to pay"], rows)


@app.command("statements")
def statements(month: Month, out: Out = None) -> None:
    """Provider settlement statements of a month."""
    from suanli.services import settlement

    with database_session() as s:
        check_month(month)
        found = settlement.list_statements(s, month=month)
        table = settlement.table(found, settlement.STATEMENT_COLUMNS)
    if out is not None:
        write(table, out, f"statements-{month}")
        return
    show(f"Statements {month}", table[0], table[1:])


@app.command("batches")
def batches(create: Annotated[str | None, typer.Option("--create", help="create a batch for this month")] = None,
            user: Annotated[str, typer.Option("--as", help="who prepares it")] = "operator") -> None:
    """List disbursement batches, or create one for a month."""
    from suanli.services import settlement

    with database_session() as s:
        if create:
            settlement.create_batch(s, month=create, created_by=user)
        rows = [[b.id, b.number, b.month, b.status, format_yuan(b.total_fen), b.created_by, b.approved_by or ""]
                for b in settlement.list_batches(s)]
    show("Disbursement batches", ["id", "number", "month", "status", "total", "prepared by", "approved by"], rows)


@app.command("approve")
def approve(batch_id: int, user: Annotated[str, typer.Option("--as", help="the approving finance officer")],
            pay: Annotated[bool, typer.Option("--pay", help="also pay it")] = False) -> None:
    """Approve (and optionally pay) a disbursement batch as the finance officer."""
    from suanli.services import settlement

    with database_session() as s:
        batch = settlement.approve_batch(s, batch_id=batch_id, approved_by=user)
        if pay:
            batch = settlement.pay_batch(s, batch_id=batch_id, paid_by=user)
        console.print(f"batch {batch.number}: {batch.status}, {format_yuan(batch.total_fen)}")


@app.command("check")
def check() -> None:
    """Check every ledger invariant over the whole database; exit 1 naming each violation."""
    from suanli.services import ledger

    with database_session() as s:
        problems = ledger.check_consistency(s)
    if problems:
        for problem in problems:
            console.print(problem)
        raise typer.Exit(1)
    console.print("ledger consistent")
