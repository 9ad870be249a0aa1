"""`suanli audit ...`: the transparency log (审计日志) for operators and auditors.

`init`, `checkpoint` and `export` are local admin commands on the database of this host; `receipt`
asks the API as the signed-in person; `verify` and `verify-receipt` need only the file and the log's
public key, no database and no server (what a third-party auditor runs).
Exit codes of the verifiers: 0 intact, 1 tampered (one line naming the first bad entry and the kind
of tampering), 2 unusable input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suanli.cli import client
from suanli.cli.common import LOCAL_ADMIN, USAGE, fail, print_json
from suanli.domain.audit.errors import NotCanonical
from suanli.domain.audit.export import export_records, verify_export
from suanli.domain.audit.receipts import verify_receipt
from suanli.domain.audit.signing import SignedTreeHead, parse_public_key, public_key_pem
from suanli.domain.audit.verdict import Verdict
from suanli.domain.errors import SuanliError

NAME = "audit"
app = typer.Typer(help="Transparency log: signing key, checkpoints, receipts, export and offline verification.",
                  no_args_is_help=True)

PUBLIC_KEY_FILE = "audit-public-key.pem"
PubKey = Annotated[str, typer.Option("--pubkey", help="the log's public key: a PEM file, or the key in hex/base64")]


@app.command("init", help=f"Create the log's Ed25519 signing key under the data dir (mode 0600) and print the "
                          f"public key. {LOCAL_ADMIN}")
def init() -> None:
    from suanli.services import audit as service

    try:
        signer = service.init_signer()
    except (OSError, SuanliError) as err:
        fail(f"cannot create the signing key: {err}")
    pem = public_key_pem(signer.public_key)
    public_path = service.key_path().with_name(PUBLIC_KEY_FILE)
    public_path.write_text(pem)
    typer.echo(f"signing key {service.key_path()} (key id {signer.key_id}); public key {public_path}")
    typer.echo(pem, nl=False)


@app.command("checkpoint", help=f"Sign a tree head over the log as it stands now. {LOCAL_ADMIN}")
def checkpoint() -> None:
    from suanli.cli.local import database_session
    from suanli.services import audit as service

    with database_session() as session:
        head = service.sign_head(session)
    print_json(head.to_dict())


@app.command("receipt")
def receipt(seq: Annotated[int | None, typer.Argument(help="the event's sequence number")] = None,
            outbox: Annotated[int | None, typer.Option("--outbox", help="the outbox id a write answered with")] = None,
            out: Annotated[Path | None, typer.Option("--out")] = None) -> None:
    """Write the receipt (inclusion proof + signed head) for event SEQ, or for the event a write
    answered with `{"outbox_id": N}` (--outbox N), from the server."""
    if (seq is None) == (outbox is None):
        fail("name the event: its SEQ, or --outbox ID (the outbox id a write answered with), not both", USAGE)
    path = f"/api/v1/audit/events/{seq}/receipt" if outbox is None else f"/api/v1/audit/outbox/{outbox}/receipt"
    _write_json(client.get(path), out)


@app.command("export", help=f"Export every event and signed head (a fresh head signed now comes last). {LOCAL_ADMIN}")
def export(out: Annotated[Path, typer.Option("--out", help="JSON-lines file to write")]) -> None:
    from suanli.cli.local import database_session
    from suanli.services import audit as service

    count = 0
    try:
        with database_session() as session, out.open("w", encoding="utf-8") as handle:
            for record in service.export_log(session):
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
                count += record["record"] == "event"
    except OSError as err:
        fail(f"cannot write {out}: {err}")
    typer.echo(f"exported {count} events to {out}")


@app.command("verify")
def verify(file: Path, pubkey: PubKey,
           earlier: Annotated[list[Path] | None, typer.Option(
               "--earlier", help="a signed head or receipt you kept from before (repeatable)")] = None) -> None:
    """Verify an export offline: exit 0 when intact, 1 naming the first bad entry and the tampering."""
    key = _public_key(pubkey)
    heads = [_earlier_head(path) for path in earlier or []]
    _report(verify_export(lambda: _read_lines(file), key, heads))  # two passes over the file, bounded memory


@app.command("verify-receipt")
def verify_receipt_command(receipt_file: Annotated[Path, typer.Argument(metavar="RECEIPT")], pubkey: PubKey) -> None:
    """Verify a receipt offline: the event is in the log under a head signed by this key."""
    _report(verify_receipt(_read_json(receipt_file), _public_key(pubkey)))


def _report(verdict: Verdict) -> None:
    typer.echo(verdict.line(), err=not verdict.ok)
    raise typer.Exit(0 if verdict.ok else 1)


def _public_key(value: str) -> Ed25519PublicKey:
    path = Path(value)
    try:
        text = path.read_text() if len(value) < 4096 and path.is_file() else value
        return parse_public_key(text)
    except (OSError, ValueError, NotCanonical) as err:
        fail(f"unusable public key {value!r}: {err}", USAGE)


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open("rb") as handle:  # bytes: the domain names a line that is not UTF-8 as malformed
            yield from export_records(handle, str(path))
    except OSError as err:
        fail(f"cannot read {path}: {err}", USAGE)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        fail(f"cannot read {path}: {err}", USAGE)
    if not isinstance(value, dict):
        fail(f"{path} does not hold a JSON object", USAGE)
    return value


def _earlier_head(path: Path) -> SignedTreeHead:
    data = _read_json(path)
    try:
        return SignedTreeHead.from_dict(data.get("signed_head", data))
    except NotCanonical as err:
        fail(f"{path}: {err.detail}", USAGE)


def _write_json(data: dict[str, Any], out: Path | None) -> None:
    if out is None:
        print_json(data)
        return
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}")
