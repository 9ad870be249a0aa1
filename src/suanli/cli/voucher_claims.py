"""`suanli voucher contract|claim|document ...`: contracts (合同) attested by both parties, claims on
them, and the evidence files (证明材料) of applications and contracts, over the API as the signed-in
person. Money in yuan on the command line (fen in JSON), `-o table|json|csv` on listings, exit 1 when
the API refuses, 2 for a usage error before anything is sent."""

from __future__ import annotations

import mimetypes
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.cli import client
from suanli.cli.common import (
    Column,
    Format,
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
from suanli.domain.money import format_yuan

contract_app = typer.Typer(help="Contracts (合同): declared by the buyer, confirmed (and confirmed paid) by the "
                                "provider.", no_args_is_help=True)
claim_app = typer.Typer(help="Claims (兑付申请) on confirmed contracts: amount, items and payment come from the "
                             "record, side and project class from your grant.", no_args_is_help=True)
document_app = typer.Typer(help="Evidence files (证明材料) of applications and contracts.", no_args_is_help=True)

CONTRACT_COLUMNS = [Column("id", "id"), Column("provider", "provider_organisation_id"),
                    Column("buyer", "buyer_organisation_id"), Column("number", "number"),
                    Column("amount", "amount_fen", money=True), Column("paid", "paid_fen", money=True),
                    Column("signed", "signed_on"), Column("term", "term_months"),
                    Column("platform", lambda c: "yes" if c["through_platform"] else ""), Column("status", "status")]
CLAIM_COLUMNS = [Column("id", "id"), Column("program", "program_id"), Column("organisation", "organisation_id"),
                 Column("contract", "basis"), Column("side", "side"), Column("order", "order_amount_fen", money=True),
                 Column("subsidy", "amount_fen", money=True), Column("status", "status")]
DOCUMENT_COLUMNS = [Column("id", "id"), Column("kind", "kind"), Column("file", "filename"),
                    Column("bytes", "size_bytes"), Column("sha256", "sha256"),
                    Column("application", "application_id"), Column("contract", "contract_id")]
KINDS = ("compute", "storage", "adaptation", "data", "model_services", "corpora")
EVIDENCE = ("contract", "invoice", "electricity_use", "third_party_verification", "project_approval")


def _item(text: str) -> dict[str, Any]:
    """`KIND:YUAN[:ECOSYSTEM][:domestic|imported]`, e.g. `compute:8000:cann:domestic`."""
    parts = text.split(":")
    if len(parts) < 2 or len(parts) > 4 or parts[0] not in KINDS:
        usage(f"--item {text!r}: write KIND:YUAN[:ECOSYSTEM][:domestic|imported], KIND one of {', '.join(KINDS)}")
    item: dict[str, Any] = {"kind": parts[0], "amount_fen": fen_of_yuan(parts[1], "--item")}
    for extra in parts[2:]:
        if extra in ("domestic", "imported"):
            item["domestic"] = extra == "domestic"
        elif extra:
            item["ecosystem"] = extra
    return item


def _day(text: str, flag: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        usage(f"{flag}: {text!r} is not a date (YYYY-MM-DD)")


def _show(row: dict[str, Any], columns: list[Column], fmt: Format, line: str) -> None:
    if fmt is Format.TABLE:
        console.print(line)
    else:
        emit([row], columns, fmt, data=row)


@contract_app.command("declare")
def declare(provider: Annotated[int, typer.Option("--provider", help="the provider organisation's id")],
            number: Annotated[str, typer.Argument(help="the provider's contract number")],
            amount: Annotated[str, typer.Argument(metavar="AMOUNT_YUAN", help="the contract amount, in yuan")],
            signed_on: Annotated[str, typer.Option("--signed-on", help="YYYY-MM-DD")],
            term_months: Annotated[int | None, typer.Option("--term-months", min=1, max=240)] = None,
            items: Annotated[list[str] | None, typer.Option("--item", help="KIND:YUAN[:ECOSYSTEM][:domestic|imported]; "
                                                            "repeat; they add up to the amount")] = None,
            buyer: Annotated[int | None, typer.Option("--buyer", help="platform operator: the buyer of an order "
                                                      "placed through the platform")] = None,
            output: Output = None) -> None:
    """Declare a contract with a provider (your organisation is the buyer); the provider confirms it."""
    fmt = chosen(output)
    body = {"provider_organisation_id": provider, "number": number, "amount_fen": fen_of_yuan(amount, "AMOUNT_YUAN"),
            "signed_on": _day(signed_on, "--signed-on"), "term_months": term_months,
            "items": [_item(i) for i in items or []], "buyer_organisation_id": buyer}
    row = client.post("/api/v1/contracts", body)
    _show(row, CONTRACT_COLUMNS, fmt, f"contract {row['id']} {row['number']}: {row['status']} "
                                      f"({format_yuan(row['amount_fen'])}); the provider confirms it next")


@contract_app.command("list")
def contracts(output: Output = None) -> None:
    """Contracts your organisation is a party to (officers: all)."""
    emit(client.get_all("/api/v1/contracts"), CONTRACT_COLUMNS, chosen(output), "合同 Contracts")


@contract_app.command("show")
def contract_show(contract_id: int, output: Output = None) -> None:
    """One contract (another organisation's is "not found")."""
    row = client.get(f"/api/v1/contracts/{contract_id}")
    emit([row], CONTRACT_COLUMNS, chosen(output), data=row)


@contract_app.command("confirm")
def confirm(contract_id: int, refuse: Annotated[bool, typer.Option("--refuse", help="refuse it instead")] = False,
            output: Output = None) -> None:
    """As the provider's administrator: attest (or refuse) a contract declared with you."""
    row = client.post(f"/api/v1/contracts/{contract_id}/confirmation", {"confirm": not refuse})
    _show(row, CONTRACT_COLUMNS, chosen(output), f"contract {row['id']} {row['number']}: {row['status']}")


@contract_app.command("paid")
def paid(contract_id: int, amount: Annotated[str, typer.Argument(metavar="AMOUNT_YUAN",
                                                                 help="what the buyer has paid in all, in yuan")],
         output: Output = None) -> None:
    """As the provider's administrator: attest what the buyer has paid on the contract (cumulative)."""
    row = client.post(f"/api/v1/contracts/{contract_id}/payment", {"paid_fen": fen_of_yuan(amount, "AMOUNT_YUAN")})
    _show(row, CONTRACT_COLUMNS, chosen(output), f"contract {row['id']} {row['number']}: "
                                                 f"{format_yuan(row['paid_fen'])} of {format_yuan(row['amount_fen'])} paid")


Key = Annotated[str | None, typer.Option("--idempotency-key", help="repeat the claim safely: the same key answers "
                                         "the first redemption (default: a new key, printed)")]


@claim_app.command("submit")
def submit(program: Annotated[int, typer.Argument(help="the program id")],
           contract: Annotated[int, typer.Argument(help="the contract id")], key: Key = None,
           output: Output = None) -> None:
    """Claim the voucher's share of a confirmed contract under a program you hold a voucher of."""
    idempotency = key or f"cli-{uuid.uuid4()}"
    row = client.post("/api/v1/redemptions", {"program_id": program, "contract_id": contract},
                      headers={"Idempotency-Key": idempotency})
    _show(row, CLAIM_COLUMNS, chosen(output), f"redemption {row['id']}: {format_yuan(row['amount_fen'])} of "
                                              f"{format_yuan(row['order_amount_fen'])} (idempotency key {idempotency})")


@claim_app.command("list")
def claims(program: Annotated[int | None, typer.Option("--program", help="a program id")] = None,
           output: Output = None) -> None:
    """Claims on contracts you may see (an organisation: its own)."""
    found = [r for r in client.get_all("/api/v1/redemptions", program_id=program) if r["basis"].startswith("contract:")]
    emit(found, CLAIM_COLUMNS, chosen(output), "兑付 Claims")


@document_app.command("upload")
def upload(file: Annotated[Path, typer.Argument(help="the document")],
           kind: Annotated[str, typer.Option("--kind", help=" | ".join(EVIDENCE))],
           application: Annotated[int | None, typer.Option("--application", help="an application id")] = None,
           contract: Annotated[int | None, typer.Option("--contract", help="a contract id")] = None,
           output: Output = None) -> None:
    """Upload an evidence file to your application or to a contract you are a party to."""
    if (application is None) == (contract is None):
        usage("name exactly one of --application or --contract")
    if kind not in EVIDENCE:
        usage(f"--kind is one of {', '.join(EVIDENCE)}")
    data = read_file(file)
    path = f"/api/v1/applications/{application}/documents" if application is not None \
        else f"/api/v1/contracts/{contract}/documents"
    media = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    row = client.request("POST", path, data={"kind": kind}, files={"file": (file.name, data, media)})
    _show(row, DOCUMENT_COLUMNS, chosen(output), f"document {row['id']} ({row['kind']}, {row['size_bytes']} bytes) "
                                                 f"sha256 {row['sha256']}")


@document_app.command("list")
def documents(application: Annotated[int | None, typer.Option("--application")] = None,
              contract: Annotated[int | None, typer.Option("--contract")] = None, output: Output = None) -> None:
    """The evidence files of an application or a contract."""
    if (application is None) == (contract is None):
        usage("name exactly one of --application or --contract")
    path = f"/api/v1/applications/{application}/documents" if application is not None \
        else f"/api/v1/contracts/{contract}/documents"
    emit(client.get(path), DOCUMENT_COLUMNS, chosen(output), "证明材料 Documents")


@document_app.command("get")
def download(document_id: int, out: Annotated[Path, typer.Option("--out", help="where to write the file")]) -> None:
    """Download an evidence file; its SHA-256 is checked against the recorded one."""
    import hashlib

    meta = client.get(f"/api/v1/documents/{document_id}")
    content = client.fetch(f"/api/v1/documents/{document_id}/content")
    if hashlib.sha256(content).hexdigest() != meta["sha256"]:  # checked before anything is written
        fail(f"document {document_id}: the downloaded bytes do not match the recorded SHA-256")
    write_file(out, content)
    console.print(f"document {document_id} written to {out} (sha256 {meta['sha256']})")
