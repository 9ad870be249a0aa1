"""`suanli audit verify` and `suanli admin import-audit` on a file that is not an export at all: a
verdict naming line 1 as malformed (exit 1) and an empty log, never a traceback. Before, a binary,
GBK or UTF-16 file was a UnicodeDecodeError and `[[[[...` a RecursionError out of the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from suanli.cli.audit import app
from suanli.cli.main import app as cli
from suanli.db.engine import make_engine
from suanli.db.models.audit import AuditEvent

runner = CliRunner()
GARBAGE = {"binary": bytes(range(256)) * 4, "gbk": "审计日志导出\n".encode("gbk"),
           "utf-16": '{"record": "header"}\n'.encode("utf-16"), "nested past the parser": b"[" * 100_000 + b"\n"}


@pytest.fixture
def pubkey(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUANLI_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(app, ["init"]).exit_code == 0
    return tmp_path / "data" / "audit-public-key.pem"


@pytest.mark.parametrize("name", list(GARBAGE))
def test_a_file_that_is_not_an_export_is_a_malformed_verdict_and_imports_nothing(pubkey: Path, tmp_path: Path,
                                                                                 sqlite_url: str, name: str) -> None:
    file = tmp_path / "export.jsonl"
    file.write_bytes(GARBAGE[name])
    verified = runner.invoke(app, ["verify", str(file), "--pubkey", str(pubkey)])
    assert verified.exit_code == 1 and isinstance(verified.exception, SystemExit), verified.exception
    assert verified.output == "TAMPERED malformed: line 1 is not an export record\n"
    imported = runner.invoke(cli, ["admin", "import-audit", str(file), "--pubkey", str(pubkey)])
    assert imported.exit_code == 1 and isinstance(imported.exception, SystemExit), imported.exception
    assert imported.output.startswith("error: the export does not verify: TAMPERED malformed: line 1")
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(AuditEvent)) == 0
    engine.dispose()


@pytest.mark.parametrize(("content", "message"), [(b"", "holds no passphrase"), ("口令".encode("gbk"), "cannot read")])
def test_an_unreadable_passphrase_file_is_one_line(pubkey: Path, tmp_path: Path, content: bytes, message: str) -> None:
    phrase = tmp_path / "passphrase"
    phrase.write_bytes(content)
    result = runner.invoke(cli, ["admin", "restore", str(tmp_path / "none.bak"), "--passphrase-file", str(phrase)])
    assert result.exit_code != 0 and message in result.output and "unexpected" not in result.output
