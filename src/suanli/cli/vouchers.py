"""`suanli voucher ...`: compute voucher (算力券) programs from the command line, on the database
directly (`SUANLI_DATABASE_URL`). Commands that act for a person name them with `--as USERNAME`, so
role checks and separation of duties apply exactly as over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from suanli.cli.common import console, database_session, fail
from suanli.domain.errors import SuanliError
from suanli.domain.money import format_yuan
from suanli.domain.organisations import Principal, Role
from suanli.domain.vouchers import Side, parse_program, program_json_schema

NAME = "voucher"
app = typer.Typer(help="Compute voucher programs: load, list, apply, review, approve, wallets, forecast, disclosure.",
                  no_args_is_help=True)
program_app = typer.Typer(help="Program files.", no_args_is_help=True)
app.add_typer(program_app, name="program")
As = Annotated[str, typer.Option("--as", help="the username acting")]


def _principal(session: object, username: str, *roles: Role) -> Principal:
    from suanli.db.repositories.organisations import user_by_username

    user = user_by_username(session, username)  # type: ignore[arg-type]
    if user is None or not user.active:
        fail(f"no active user {username!r}")
    principal = Principal(user.id, user.username, user.organisation_id, Role(user.role))
    if roles and principal.role not in roles:
        fail(f"{username} is a {principal.role.value}; this needs one of: {', '.join(r.value for r in roles)}")
    return principal


@program_app.command("load")
def program_load(file: Path, actor: As = "") -> None:
    """Validate and load a program file (YAML)."""
    from suanli.services import vouchers as service

    try:
        text = file.read_text()
    except OSError as err:
        fail(f"cannot read {file}: {err.strerror}")
    try:
        with database_session() as session:
            who = _principal(session, actor, Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR) if actor else None
            row = service.load_program(session, text=text, actor=who)
            console.print(f"loaded program {row.id} {row.code} budget {format_yuan(row.budget_fen)} sha256 {row.text_hash}")
    except SuanliError as err:
        fail(err.detail)


@program_app.command("check")
def program_check(file: Path) -> None:
    """Validate a program file without a database (line and field of every error)."""
    try:
        program = parse_program(file.read_text())
    except OSError as err:
        fail(f"cannot read {file}: {err.strerror}")
    except SuanliError as err:
        fail(err.detail)
    console.print(f"{file}: program {program.id} is valid")


@program_app.command("schema")
def program_schema(out: Annotated[Path | None, typer.Option("--out")] = None) -> None:
    """Print (or write) the JSON Schema of program files."""
    text = json.dumps(program_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if out:
        out.write_text(text)
    else:
        typer.echo(text, nl=False)


@program_app.command("list")
def program_list() -> None:
    from suanli.db.repositories import vouchers as repo
    from suanli.services import vouchers as service

    with database_session() as session:
        for row in repo.list_programs(session):
            console.print(f"{row.id}\t{row.code}\t{row.status}\tbudget {format_yuan(row.budget_fen)}"
                          f"\tleft {format_yuan(service.budget_left(row))}")


@program_app.command("window")
def program_window(program_id: int, state: Annotated[str, typer.Argument(help="open | close")], actor: As) -> None:
    from suanli.services import vouchers as service

    if state not in ("open", "close"):
        fail("state is open or close")
    try:
        with database_session() as session:
            who = _principal(session, actor, Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR)
            service.set_window(session, program_id=program_id, open=state == "open", actor=who)
    except SuanliError as err:
        fail(err.detail)


@app.command("apply")
def apply(program_id: int, project: str, requested_fen: int, actor: As,
          project_class: Annotated[str | None, typer.Option()] = None,
          sector: Annotated[str | None, typer.Option()] = None, side: Side = Side.DEMAND) -> None:
    """Apply (申领) for a voucher for your organisation."""
    from suanli.services import vouchers as service

    try:
        with database_session() as session:
            who = _principal(session, actor, Role.ORG_ADMIN, Role.PROVIDER_ADMIN)
            command = service.ApplyCommand(program_id, project, requested_fen, side, project_class, sector)
            row = service.apply(session, command=command, actor=who)
            console.print(f"application {row.id}: {row.status}")
    except SuanliError as err:
        fail(err.detail)


def _review(application_id: int, actor: str, approve: bool, score: int | None, amount_fen: int | None) -> None:
    from suanli.services import vouchers as service

    try:
        with database_session() as session:
            who = _principal(session, actor, Role.PROGRAM_OFFICER, Role.FINANCE_OFFICER)
            act = service.review(session, application_id=application_id, actor=who, approve=approve, score=score,
                                 amount_fen=amount_fen)
            console.print(f"application {application_id}: stage {act.stage} {'approved' if approve else 'rejected'}")
    except SuanliError as err:
        fail(err.detail)


@app.command("review")
def review(application_id: int, actor: As, score: Annotated[int | None, typer.Option()] = None,
           reject: Annotated[bool, typer.Option("--reject")] = False) -> None:
    """Act at the application's current review stage."""
    _review(application_id, actor, not reject, score, None)


@app.command("approve")
def approve(application_id: int, actor: As, amount_fen: Annotated[int | None, typer.Option()] = None) -> None:
    """Approve the last stage: grant (核定) the amount (default: as requested) within the budget."""
    _review(application_id, actor, True, None, amount_fen)


@app.command("wallet")
def wallet(organisation_id: Annotated[int | None, typer.Option()] = None) -> None:
    from suanli.db.repositories import vouchers as repo
    from suanli.services import vouchers as service

    with database_session() as session:
        for w in repo.list_wallets(session, organisation_id=organisation_id):
            state = service._wallet_state(w)
            console.print(f"wallet {w.id} program {w.program_id} org {w.organisation_id}: granted "
                          f"{format_yuan(w.granted_fen)}, available {format_yuan(state.available_fen)}, "
                          f"redeemed {format_yuan(w.redeemed_fen)}, until {w.expires_on} ({w.status})")


@app.command("forecast")
def forecast(program_id: int, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The date the program's budget runs out at the current burn rate."""
    from suanli.services import vouchers as service

    try:
        with database_session() as session:
            result, _ = service.forecast(session, program_id=program_id)
    except SuanliError as err:
        fail(err.detail)
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    when = result.runs_out_on.isoformat() if result.runs_out_on else "never at the current rate"
    console.print(f"remaining {format_yuan(result.remaining_fen)}, burning {format_yuan(result.daily_burn_fen)}/day, "
                  f"runs out: {when}")


@app.command("disclosure")
def disclosure(program_id: int, out: Annotated[Path, typer.Option("--out")], actor: As = "") -> None:
    """Export the disclosure list (公示) as .csv or .xlsx (by the file's extension)."""
    from suanli.domain.vouchers.disclosure import to_csv, to_xlsx
    from suanli.services import vouchers as service

    if out.suffix not in (".csv", ".xlsx"):
        fail("--out must end in .csv or .xlsx")
    try:
        with database_session() as session:
            who = _principal(session, actor, Role.PROGRAM_OFFICER, Role.PLATFORM_OPERATOR) if actor else None
            rows = service.disclosure(session, program_id=program_id, actor=who, publish=who is not None)
    except SuanliError as err:
        fail(err.detail)
    out.write_bytes(to_csv(rows) if out.suffix == ".csv" else to_xlsx(rows))
    console.print(f"{len(rows)} grants written to {out}")


@app.command("receipt")
def receipt(out: Annotated[Path, typer.Option("--out", help="where to write the receipt (JSON)")],
            redemption: Annotated[int | None, typer.Option(help="a redemption id")] = None,
            grant: Annotated[int | None, typer.Option(help="the application id of a grant")] = None) -> None:
    """Write the audit receipt of a redemption or a grant, for `suanli audit verify-receipt`."""
    from suanli.services import vouchers as service

    if (redemption is None) == (grant is None):
        fail("name exactly one of --redemption or --grant")
    try:
        with database_session() as session:
            found = (service.redemption_receipt(session, redemption_id=redemption) if redemption is not None
                     else service.grant_receipt(session, application_id=grant))  # type: ignore[arg-type]
    except SuanliError as err:
        fail(err.detail)
    out.write_text(json.dumps(found, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"receipt for audit event {found['leaf_index']} written to {out}")
