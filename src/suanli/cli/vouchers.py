"""`suanli voucher ...`: compute voucher (算力券) programs through the API, as the signed-in person:
programs, applications, reviews and grants, wallets, redemptions, forecasts, the disclosure list
(公示) and receipts. An organisation's member sees its own applications, wallets and redemptions
only; role checks and separation of duties are the server's. `program check` and `program schema`
need no server (they read only the file)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.cli import client, document_requests
from suanli.cli.common import (
    Column,
    Format,
    JsonFlag,
    Output,
    chosen,
    console,
    emit,
    fail,
    fen_of_yuan,
    read_file,
    usage,
    write_file,
)
from suanli.cli.voucher_claims import claim_app, contract_app, document_app
from suanli.domain.errors import SuanliError
from suanli.domain.money import format_yuan
from suanli.domain.vouchers import Side, parse_program_file, program_json_schema

NAME = "voucher"
app = typer.Typer(help="Compute vouchers: programs, applications, reviews, grants, wallets, redemptions, forecast, "
                       "disclosure, receipts.", no_args_is_help=True)
program_app = typer.Typer(help="Program files.", no_args_is_help=True)
app.add_typer(program_app, name="program")
app.add_typer(contract_app, name="contract")
app.add_typer(claim_app, name="claim")
app.add_typer(document_app, name="document")
app.command("ask-documents")(document_requests.ask)
app.command("answer-documents")(document_requests.answer)
app.command("document-requests")(document_requests.listing)
As = Annotated[str, typer.Option("--as", hidden=True, help="(old spelling) must be the signed-in user")]
PROGRAM_COLUMNS = [Column("id", "id"), Column("code", "code"), Column("名称", "title_zh"), Column("status", "status"),
                   Column("side", "side"), Column("budget", "budget_fen", money=True),
                   Column("granted", "granted_fen", money=True), Column("left", "budget_left_fen", money=True)]


def _acting(actor: str) -> None:
    """The old `--as USER` spelling: the API acts for whoever signed in, so it must be that user."""
    if actor:
        me = client.get("/api/v1/auth/me")["username"]
        if me != actor:
            fail(f"you are signed in as {me}, not {actor}: `suanli login --username {actor}` first")


@program_app.command("load")
def program_load(file: Path, actor: As = "") -> None:
    """Validate and load a program file (YAML) as a program officer."""
    _acting(actor)
    data = read_file(file)
    try:
        parse_program_file(data, str(file))  # the same one-line error, before anything is sent
    except SuanliError as err:
        usage(err.detail)
    row = client.request("POST", "/api/v1/programs", content=data,
                         headers={"Content-Type": "application/yaml"})
    console.print(f"loaded program {row['id']} {row['code']} budget {format_yuan(row['budget_fen'])} "
                  f"sha256 {row['text_hash']}")


@program_app.command("check")
def program_check(file: Path) -> None:
    """Validate a program file without a server or database: one line naming the file, line and field
    of the first errors (exit 2), e.g. a non-UTF-8 file, a duplicated key or an impossible date."""
    try:
        program = parse_program_file(read_file(file), str(file))
    except SuanliError as err:
        usage(err.detail)
    typer.echo(f"{file}: program {program.id} is valid")


@program_app.command("schema")
def program_schema(out: Annotated[Path | None, typer.Option("--out")] = None) -> None:
    """Print (or write) the JSON Schema of program files."""
    text = json.dumps(program_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if out:
        write_file(out, text.encode("utf-8"))
    else:
        typer.echo(text, nl=False)


@program_app.command("list")
def program_list(output: Output = None, as_json: JsonFlag = False) -> None:
    """The voucher programs with their budgets (yuan; fen in JSON)."""
    emit(client.get_all("/api/v1/programs"), PROGRAM_COLUMNS, chosen(output, as_json), "算力券政策 Programs")


@program_app.command("show")
def program_show(program_id: int, output: Output = None, as_json: JsonFlag = False) -> None:
    """One program."""
    found = client.get(f"/api/v1/programs/{program_id}")
    emit([found], PROGRAM_COLUMNS, chosen(output, as_json), data=found)


@program_app.command("window")
def program_window(program_id: int, state: Annotated[str, typer.Argument(help="open | close")], actor: As = "") -> None:
    """Open or close the application window (申领窗口)."""
    if state not in ("open", "close"):
        usage("state is open or close")
    _acting(actor)
    row = client.post(f"/api/v1/programs/{program_id}/window", {"open": state == "open"})
    console.print(f"program {row['id']} {row['code']}: {row['status']}")


@app.command("apply")
def apply(program_id: int, project: str,
          amount: Annotated[str, typer.Argument(metavar="AMOUNT_YUAN", help="amount requested, in yuan")],
          actor: As = "", project_class: Annotated[str | None, typer.Option()] = None,
          sector: Annotated[str | None, typer.Option()] = None, side: Side = Side.DEMAND,
          output: Output = None, as_json: JsonFlag = False) -> None:
    """Apply (申领) for a voucher for your organisation (as its admin)."""
    fmt = chosen(output, as_json)
    _acting(actor)
    row = client.post("/api/v1/applications", {
        "program_id": program_id, "project": project, "requested_fen": fen_of_yuan(amount, "AMOUNT_YUAN"),
        "side": side.value, "project_class": project_class, "sector": sector})
    if fmt is Format.TABLE:
        console.print(f"application {row['id']}: {row['status']}")
    else:
        emit([row], APPLICATION_COLUMNS, fmt, data=row)


APPLICATION_COLUMNS = [Column("id", "id"), Column("program", "program_id"), Column("organisation", "organisation_id"),
                       Column("project", "project"), Column("requested", "requested_fen", money=True),
                       Column("status", "status"), Column("priority", lambda a: "yes" if a["priority"] else "")]


@app.command("applications")
def applications(program: Annotated[int | None, typer.Option("--program", help="a program id")] = None,
                 status: Annotated[str | None, typer.Option()] = None,
                 output: Output = None, as_json: JsonFlag = False) -> None:
    """Applications you may see (an organisation: its own)."""
    found = client.get_all("/api/v1/applications", program_id=program, status=status)
    emit(found, APPLICATION_COLUMNS, chosen(output, as_json), "申领 Applications")


def _review(application_id: int, actor: str, approve: bool, score: int | None, amount_fen: int | None,
            comment: str, verified_scale: str | None = None) -> None:
    _acting(actor)
    body: dict[str, object] = {"approve": approve, "score": score, "comment": comment, "amount_fen": amount_fen}
    if verified_scale is not None:
        body["verified_scale_pflops_fp16"] = verified_scale
    act = client.post(f"/api/v1/applications/{application_id}/reviews", body)
    console.print(f"application {application_id}: stage {act['stage']} {'approved' if approve else 'rejected'}"
                  f" ({act['application_status']})")


@app.command("review")
def review(application_id: int, actor: As = "", score: Annotated[int | None, typer.Option()] = None,
           reject: Annotated[bool, typer.Option("--reject")] = False,
           comment: Annotated[str, typer.Option(help="the reviewer's opinion")] = "",
           verified_scale: Annotated[str | None, typer.Option("--verified-scale", help="at a stage that verifies "
                                                              "scale: the PFLOPS FP16 you verified")] = None) -> None:
    """Act at the application's current review stage."""
    _review(application_id, actor, not reject, score, None, comment, verified_scale)


@app.command("approve")
def approve(application_id: int, actor: As = "",
            amount: Annotated[str | None, typer.Option(help="amount granted, in yuan (default: as requested)")] = None,
            amount_fen: Annotated[int | None, typer.Option(hidden=True, help="(old spelling) in fen")] = None,
            comment: Annotated[str, typer.Option()] = "") -> None:
    """Approve the last stage: grant (核定) the amount within the budget."""
    if amount is not None and amount_fen is not None:
        usage("give --amount (yuan) only")
    _review(application_id, actor, True, None, fen_of_yuan(amount, "--amount") if amount else amount_fen, comment)


WALLET_COLUMNS = [Column("id", "id"), Column("program", "program_id"), Column("organisation", "organisation_id"),
                  Column("granted", "granted_fen", money=True), Column("available", "available_fen", money=True),
                  Column("reserved", "reserved_fen", money=True), Column("redeemed", "redeemed_fen", money=True),
                  Column("until", "expires_on"), Column("status", "status")]


@app.command("wallet")
def wallet(organisation_id: Annotated[int | None, typer.Option(help="officers: one organisation")] = None,
           program: Annotated[int | None, typer.Option("--program", help="a program id")] = None,
           output: Output = None, as_json: JsonFlag = False) -> None:
    """Voucher wallets (券包) you may see: an organisation's own, or (officers) any."""
    found = client.get_all("/api/v1/wallets", organisation_id=organisation_id, program_id=program)
    emit(found, WALLET_COLUMNS, chosen(output, as_json), "券包 Wallets")


REDEMPTION_COLUMNS = [Column("id", "id"), Column("program", "program_id"), Column("organisation", "organisation_id"),
                      Column("provider", "provider"), Column("basis", "basis"), Column("kind", "kind"),
                      Column("order", "order_amount_fen", money=True), Column("subsidy", "amount_fen", money=True),
                      Column("status", "status")]


@app.command("redemptions")
def redemptions(program: Annotated[int | None, typer.Option("--program", help="a program id")] = None,
                output: Output = None, as_json: JsonFlag = False) -> None:
    """Redemptions (核销) you may see."""
    found = client.get_all("/api/v1/redemptions", program_id=program)
    emit(found, REDEMPTION_COLUMNS, chosen(output, as_json), "核销 Redemptions")


@app.command("clawback")
def clawback(redemption_id: int, reason: Annotated[str, typer.Option(help="why (recorded and audited)")]) -> None:
    """Claw back a redemption (officers)."""
    found = client.post(f"/api/v1/redemptions/{redemption_id}/clawback", {"reason": reason})
    console.print(f"redemption {redemption_id}: {format_yuan(found['amount_fen'])} clawed back")


Key = Annotated[str | None, typer.Option("--idempotency-key", help="repeat a command safely: the same key "
                                       "answers the first result (default: a new key, printed)")]


def _key(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key or f"cli-{uuid.uuid4()}"}


@app.command("deposit")
def deposit(program_id: int, amount: Annotated[str, typer.Argument(metavar="AMOUNT_YUAN", help="in yuan")],
            key: Key = None) -> None:
    """Record the bureau's payment into the program's budget (拨付预算; finance officer, officers)."""
    headers = _key(key)
    found = client.post(f"/api/v1/programs/{program_id}/deposits", {"amount_fen": fen_of_yuan(amount, "AMOUNT_YUAN")},
                        headers=headers)
    console.print(f"program {program_id}: {format_yuan(found['amount_fen'])} deposited (transfer {found['transfer_id']}, "
                  f"idempotency key {headers['Idempotency-Key']})")


RESERVE_COLUMNS = [Column("program", "program_id"), Column("provider", "provider_organisation_id"),
                   Column("account", "account_id"), Column("funded", "funded_fen", money=True),
                   Column("drawn", "drawn_fen", money=True), Column("topped up", "topped_up_fen", money=True),
                   Column("balance", "balance_fen", money=True)]


@app.command("reserves")
def reserves(program_id: int, output: Output = None, as_json: JsonFlag = False) -> None:
    """The program's reserve funds (备用金) at its providers: placed, drawn, topped up, balance."""
    emit(client.get(f"/api/v1/programs/{program_id}/reserves"), RESERVE_COLUMNS, chosen(output, as_json), "备用金 Reserves")


@app.command("reserve")
def reserve(program_id: int, provider: Annotated[int, typer.Option("--provider", help="the provider organisation's id")],
            amount: Annotated[str, typer.Argument(metavar="AMOUNT_YUAN", help="in yuan")], key: Key = None,
            output: Output = None, as_json: JsonFlag = False) -> None:
    """Place or top up a reserve fund (备用金) at a provider the program designates."""
    found = client.post(f"/api/v1/programs/{program_id}/reserves", {
        "provider_organisation_id": provider, "amount_fen": fen_of_yuan(amount, "AMOUNT_YUAN")}, headers=_key(key))
    emit(found, RESERVE_COLUMNS, chosen(output, as_json), "备用金 Reserves")


@app.command("expire")
def expire(today: Annotated[str | None, typer.Option(help="as of this day (YYYY-MM-DD; default today)")] = None) -> None:
    """Close wallets past their last valid day now; their remainder returns to the budget (officers)."""
    found = client.post("/api/v1/wallets/expire", {"today": today})
    for w in found["expired"]:
        console.print(f"wallet {w['wallet_id']}: expired, {format_yuan(w['returned_fen'])} returned")
    console.print(f"{len(found['expired'])} wallets expired")


@app.command("forecast")
def forecast(program_id: int, output: Output = None, as_json: JsonFlag = False,
             window_days: Annotated[int, typer.Option(min=1, max=366)] = 30) -> None:
    """The date the program's budget runs out at the current burn rate."""
    found = client.get(f"/api/v1/programs/{program_id}/forecast", window_days=window_days)
    fmt = chosen(output, as_json)
    if fmt is not Format.TABLE:
        emit(found["burn_down"], [Column("day", "day"), Column("remaining", "remaining_fen", money=True)], fmt,
             data=found)
        return
    when = found.get("runs_out_on") or "never at the current rate"
    console.print(f"remaining {format_yuan(found['remaining_fen'])}, burning {format_yuan(found['daily_burn_fen'])}/day, "
                  f"runs out: {when}")


@app.command("disclosure")
def disclosure(program_id: int, out: Annotated[Path, typer.Option("--out")], actor: As = "",
               publish: Annotated[bool, typer.Option("--publish", help="officers: record and audit its hash")] = False,
               ) -> None:
    """Export the disclosure list (公示) as .csv or .xlsx (by the file's extension)."""
    if out.suffix not in (".csv", ".xlsx"):
        usage("--out must end in .csv or .xlsx")
    _acting(actor)
    client.download(f"/api/v1/programs/{program_id}/disclosure", out,
                    params={"format": out.suffix[1:], "publish": str(publish or bool(actor)).lower()})
    console.print(f"disclosure list of program {program_id} written to {out}")


@app.command("receipt")
def receipt(out: Annotated[Path, typer.Option("--out", help="where to write the receipt (JSON)")],
            redemption: Annotated[int | None, typer.Option(help="a redemption id")] = None,
            grant: Annotated[int | None, typer.Option(help="the application id of a grant")] = None) -> None:
    """Write the audit receipt of a redemption or a grant, for `suanli audit verify-receipt`."""
    if (redemption is None) == (grant is None):
        usage("name exactly one of --redemption or --grant")
    path = (f"/api/v1/redemptions/{redemption}/receipt" if redemption is not None
            else f"/api/v1/applications/{grant}/grant/receipt")
    found: dict[str, Any] = client.get(path)
    out.write_text(json.dumps(found, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"receipt for audit event {found['leaf_index']} written to {out}")

