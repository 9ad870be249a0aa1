"""The auditor's path end to end: CLI export -> offline verify (and tampered copies caught), receipts
checked offline, and the HTTP API with its tenant scoping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.cli.audit import app
from suanli.cli.main import app as cli
from suanli.db.uow import unit_of_work
from suanli.domain.audit.proofs import verify_consistency
from suanli.domain.organisations import Role
from suanli.services import audit
from suanli_testing import served

runner = CliRunner()


@pytest.fixture
def logged(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite database with 25 events, the CLI pointed at it, and the public key written by `init`."""
    monkeypatch.setenv("SUANLI_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(app, ["init"]).exit_code == 0
    from suanli.cli.local import database_session

    for i in range(25):
        with database_session() as s:
            audit.record_event(s, kind="voucher.redeemed", subject=f"voucher:{i}", payload={"amount_fen": i})
        if i == 10:
            assert runner.invoke(app, ["checkpoint"]).exit_code == 0
    return tmp_path / "data" / "audit-public-key.pem"


def test_an_export_verifies_offline_and_a_tampered_copy_names_its_first_bad_entry(logged: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    assert runner.invoke(app, ["export", "--out", str(out)]).exit_code == 0
    ok = runner.invoke(app, ["verify", str(out), "--pubkey", str(logged)])
    assert ok.exit_code == 0 and ok.output.startswith("OK 25 entries")
    lines = out.read_text().splitlines()
    lines[6] = lines[6].replace('"amount_fen":5', '"amount_fen":500')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["verify", str(bad), "--pubkey", str(logged)])
    assert result.exit_code == 1
    assert "TAMPERED edited-entry at seq 5" in result.output


def test_a_receipt_from_the_server_verifies_offline_with_only_the_public_key(api, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`suanli audit receipt SEQ` asks the API (a real uvicorn) as the signed-in auditor."""
    platform = api.organisation("platform-op")
    api.user("audrey", Role.AUDITOR, platform)
    with unit_of_work(api.sessions) as s:
        pending = [audit.record_event(s, kind="voucher.redeemed", subject=f"voucher:{i}", payload={"amount_fen": i})
                   for i in range(10)]
    pubkey = tmp_path / "audit.pem"
    pubkey.write_text(api.client.get("/api/v1/audit/public-key?format=pem").text)
    receipt = tmp_path / "receipt.json"
    with served(api.client.app) as url:
        env = {"SUANLI_URL": url, "SUANLI_TOKEN": api.tokens["audrey"], "SUANLI_CREDENTIALS": str(tmp_path / "none")}
        written = runner.invoke(cli, ["audit", "receipt", "7", "--out", str(receipt)], env=env)
        assert written.exit_code == 0, written.output
        # An event named by the outbox id its write answered with.
        by_outbox = tmp_path / "by-outbox.json"
        written = runner.invoke(cli, ["audit", "receipt", "--outbox", str(pending[7].outbox_id), "--out",
                                      str(by_outbox)], env=env)
        assert written.exit_code == 0, written.output
        assert json.loads(by_outbox.read_text())["event"]["subject"] == "voucher:7"
        for wrong in (["audit", "receipt"], ["audit", "receipt", "7", "--outbox", "3"]):
            refused = runner.invoke(cli, [*wrong, "--out", str(tmp_path / "never.json")], env=env)
            assert refused.exit_code == 2 and "--outbox" in refused.output and "Traceback" not in refused.output
        assert not (tmp_path / "never.json").exists()
    for written_receipt in (receipt, by_outbox):
        result = runner.invoke(app, ["verify-receipt", str(written_receipt), "--pubkey", str(pubkey)])
        assert result.exit_code == 0, result.output
    data = json.loads(receipt.read_text())
    data["event"]["payload"]["amount_fen"] = 7000
    receipt.write_text(json.dumps(data))
    assert runner.invoke(app, ["verify-receipt", str(receipt), "--pubkey", str(pubkey)]).exit_code == 1


def test_an_unusable_public_key_is_one_line_not_a_traceback(logged: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    runner.invoke(app, ["export", "--out", str(out)])
    result = runner.invoke(app, ["verify", str(out), "--pubkey", "not-a-key"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_api_serves_the_key_heads_proofs_and_only_their_own_events_to_organisations(api) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = api.organisation("acme"), api.organisation("globex")
    platform = api.organisation("platform-op")
    member = api.user("alice", Role.ORG_MEMBER, mine)
    auditor = api.user("audrey", Role.AUDITOR, platform)
    with unit_of_work(api.sessions) as s:
        for i in range(6):
            audit.record_event(s, kind="voucher.granted", subject=f"voucher:{i}", payload={"amount_fen": i},
                               organisation_id=(mine, theirs)[i % 2])
    key = api.client.get("/api/v1/audit/public-key")
    assert key.status_code == 200 and key.json()["algorithm"] == "Ed25519"
    seen = api.client.get("/api/v1/audit/events", headers=member).json()
    assert seen and {e["organisation_id"] for e in seen} == {mine}
    assert len(api.client.get("/api/v1/audit/events?limit=500", headers=auditor).json()) >= 6
    foreign = next(e["seq"] for e in api.client.get("/api/v1/audit/events?limit=500", headers=auditor).json()
                   if e["organisation_id"] == theirs)
    assert api.client.get(f"/api/v1/audit/events/{foreign}/receipt", headers=member).status_code == 404
    assert api.client.get(f"/api/v1/audit/events/{seen[0]['seq']}/receipt", headers=member).status_code == 200
    first = api.client.get("/api/v1/audit/heads/latest", headers=auditor).json()
    with unit_of_work(api.sessions) as s:
        audit.record_event(s, kind="grant.approved", subject="grant:1", payload={})
    second = api.client.get("/api/v1/audit/heads/latest", headers=auditor).json()
    proof = api.client.get(f"/api/v1/audit/consistency?first={first['tree_size']}&second={second['tree_size']}",
                           headers=auditor).json()["proof"]
    assert verify_consistency(first["tree_size"], second["tree_size"], bytes.fromhex(first["root_hash"]),
                              bytes.fromhex(second["root_hash"]), [bytes.fromhex(p) for p in proof])
    bad = api.client.get("/api/v1/audit/consistency?first=5&second=99999", headers=auditor)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/api/v1/audit/events").status_code == 401


def test_the_file_verifier_streams_and_still_names_reordered_deleted_and_malformed_lines(logged: Path,
                                                                                         tmp_path: Path) -> None:
    """`verify` reads the file twice (heads, then events) in bounded memory: the verdicts stay exact."""
    out = tmp_path / "log.jsonl"
    assert runner.invoke(app, ["export", "--out", str(out)]).exit_code == 0
    lines = out.read_text().splitlines()

    def verdict(changed: list[str]) -> str:
        path = tmp_path / "changed.jsonl"
        path.write_text("\n".join(changed) + "\n")
        result = runner.invoke(app, ["verify", str(path), "--pubkey", str(logged)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        return result.output

    swapped = [*lines[:4], lines[5], lines[4], *lines[6:]]  # lines 1.. are events seq 0..
    assert "reordered" in verdict(swapped) and "seq 3" in verdict(swapped)
    assert "deleted-entry at seq 3" in verdict([*lines[:4], *lines[5:]])
    assert "malformed" in verdict([*lines[:3], "\x00\x01 not json", *lines[3:]])
    assert "truncated" in verdict(lines[:-3])
