"""Secrets from the environment or a secrets directory; production never generates one;
`suanli admin check-config` says what is missing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.config import MissingSecret, Settings
from suanli.services import audit


@pytest.fixture(autouse=True)
def fresh_signers() -> None:
    audit._signers.clear()


def check(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, dict[str, dict]]:
    from suanli.cli.main import app

    for key in ("SUANLI_ENV", "SUANLI_SECRETS_DIR", "SUANLI_AUDIT_SIGNING_KEY", "SUANLI_WEB_SECRET",
                "CREDENTIALS_DIRECTORY", "SUANLI_SECURE_COOKIES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["admin", "check-config", "--json"])
    return result.exit_code, {row["item"]: row for row in json.loads(result.output)}


def test_production_lists_what_is_missing_and_a_secrets_directory_completes_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path / "data"))
    code, rows = check(monkeypatch, SUANLI_ENV="production")
    assert code == 1
    assert not rows["audit_signing_key"]["ok"] and "SUANLI_SECRETS_DIR" in rows["audit_signing_key"]["detail"]
    assert not rows["web_secret"]["ok"] and not rows["secure_cookies"]["ok"]

    secrets = tmp_path / "credentials"
    secrets.mkdir()
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(secrets / "audit-signing-key.pem")],
                   check=True, capture_output=True)
    (secrets / "web-secret").write_text("0123456789abcdef0123456789abcdef\n")
    code, rows = check(monkeypatch, SUANLI_ENV="production", CREDENTIALS_DIRECTORY=str(secrets),
                       SUANLI_SECURE_COOKIES="true")
    assert code == 0, rows
    assert rows["audit_signing_key"]["detail"].startswith("file ") and "BEGIN" not in json.dumps(rows)
    signer = audit.init_signer(tmp_path / "data")  # the configured key, not a generated one
    assert not (tmp_path / "data" / "audit-signing-key.pem").exists()
    assert Settings().secret("web_secret") == b"0123456789abcdef0123456789abcdef"
    assert signer.key_id == audit.init_signer().key_id


def test_production_refuses_to_generate_a_key_and_development_generates_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SUANLI_AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.delenv("SUANLI_SECRETS_DIR", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setenv("SUANLI_ENV", "production")
    with pytest.raises(MissingSecret, match="audit_signing_key"):
        audit.init_signer(tmp_path)
    assert not (tmp_path / "audit-signing-key.pem").exists()
    monkeypatch.setenv("SUANLI_ENV", "development")
    audit.init_signer(tmp_path)
    assert (tmp_path / "audit-signing-key.pem").stat().st_mode & 0o077 == 0


def test_a_production_api_without_a_web_secret_does_not_start(tmp_path: Path, sqlite_url: str, monkeypatch) -> None:
    from suanli.api.app import create_app

    monkeypatch.delenv("SUANLI_WEB_SECRET", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path, env="production")  # type: ignore[arg-type]
    with pytest.raises(MissingSecret, match="web_secret"):
        create_app(settings)
    create_app(Settings(database_url=sqlite_url, data_dir=tmp_path, web_secret="s" * 32,  # type: ignore[arg-type]
                        env="production"))
