"""`suanli admin ...`: operating one installation — configuration check, encrypted backup and
restore, re-importing an audit export, and the worker's scheduled steps (docs/operations.md).

The backup passphrase comes from `--passphrase-file`, else `SUANLI_BACKUP_PASSPHRASE`, else a prompt.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from suanli.cli.common import console, fail, print_json
from suanli.cli.local import database_session
from suanli.config import check_config, load_settings
from suanli.domain.errors import SuanliError

NAME = "admin"
app = typer.Typer(help="Operations: check-config, backup, restore, import-audit, schedule.", no_args_is_help=True)

PassphraseFile = Annotated[Path | None, typer.Option("--passphrase-file",
                                                     help="file holding the backup passphrase (first line)")]


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            fail(f"cannot read the passphrase from {path}: {err}")
        if not lines or not lines[0]:
            fail(f"{path} holds no passphrase on its first line")
        return lines[0]
    value = os.environ.get("SUANLI_BACKUP_PASSPHRASE")
    if value:
        return value
    return str(typer.prompt("backup passphrase", hide_input=True, confirmation_prompt=confirm))


@app.command("check-config")
def check_config_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What this host's configuration has and lacks (never prints a secret); exit 1 when incomplete."""
    rows = check_config(load_settings())
    if as_json:
        print_json([{"item": item, "ok": ok, "detail": detail} for item, ok, detail in rows])
    else:
        table = Table(title="configuration")
        for column in ("item", "ok", "detail"):
            table.add_column(column)
        for item, ok, detail in rows:
            table.add_row(item, "yes" if ok else "[red]MISSING[/red]", detail)
        console.print(table)
    if not all(ok for _, ok, _ in rows):
        raise typer.Exit(1)


@app.command("backup")
def backup_command(out: Annotated[Path, typer.Option("--out", help="the encrypted backup file to write")],
                   passphrase_file: PassphraseFile = None) -> None:
    """Back up the database (online), the audit signing key and the secrets into one encrypted file."""
    from suanli.services import backup

    passphrase = _passphrase(passphrase_file, confirm=True)
    try:
        summary = backup.backup(load_settings(), out, passphrase)
    except SuanliError as err:
        fail(err.detail)
    except OSError as err:
        fail(f"cannot write {out}: {err}")
    console.print(f"backup {summary.path}: {summary.dialect} at revision {summary.revision}, "
                  f"secrets {', '.join(summary.secrets)}, {summary.bytes} bytes")


@app.command("restore")
def restore_command(file: Path, passphrase_file: PassphraseFile = None,
                    force: Annotated[bool, typer.Option("--force", help="replace a database that is not empty")] = False,
                    ) -> None:
    """Restore a backup into SUANLI_DATABASE_URL and the data directory (stop the services first)."""
    from suanli.services import backup

    passphrase = _passphrase(passphrase_file, confirm=False)
    try:
        manifest, warnings = backup.restore(load_settings(), file, passphrase, force=force)
    except SuanliError as err:
        fail(err.detail)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"restored the {manifest['dialect']} database of {manifest['created_at']} "
                  f"(revision {manifest['revision']}) and {', '.join(manifest['secrets'])}; "
                  "run `suanli db upgrade` if this version is newer, then `suanli admin verify`")


@app.command("verify")
def verify_command() -> None:
    """Re-hash the audit log against its signed heads, check every ledger invariant and every evidence
    file against its SHA-256; exit 1 if not."""
    from suanli.services import audit, ledger
    from suanli.services.vouchers.documents import check_store

    with database_session() as session:
        verdict = audit.check_log(session)
        problems = ledger.check_consistency(session)
        documents, missing = check_store(session, data_dir=load_settings().data_dir)
    console.print(f"audit log: {verdict.line()}")
    for problem in problems:
        console.print(f"ledger: {problem}")
    if not problems:
        console.print("ledger consistent")
    for problem in missing:
        console.print(f"documents: {problem}")
    if not missing:
        console.print(f"documents: {documents} intact")
    if problems or missing or not verdict.ok:
        raise typer.Exit(1)


@app.command("schedule")
def schedule_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The worker's scheduled steps: period, last run (status, detail) and next run."""
    from suanli.workers import schedule

    with database_session() as session:
        steps = schedule.status(session)
    if as_json:
        print_json(steps)
        return
    table = Table(title="scheduled steps")
    for column in ("step", "every", "last run", "status", "detail", "runs", "next run"):
        table.add_column(column)
    for s in steps:
        table.add_row(s["name"], f"{s['every_s']} s", s["last_started_at"] or "never", s["last_status"] or "-",
                      s["last_detail"] or "", str(s["runs"]), s["next_run_at"])
    console.print(table)


@app.command("import-audit")
def import_audit_command(file: Path, pubkey: Annotated[str, typer.Option(
        "--pubkey", help="the log's public key: a PEM file, or the key in hex/base64")]) -> None:
    """Load an `audit export` file into this database's empty log, after verifying it against the key."""
    from suanli.cli.audit import _public_key, _read_lines
    from suanli.services.audit_import import import_export

    key = _public_key(pubkey)
    with database_session() as session:
        events, heads = import_export(session, _read_lines(file), key)
    console.print(f"imported {events} audit events and {heads} signed heads from {file}")
