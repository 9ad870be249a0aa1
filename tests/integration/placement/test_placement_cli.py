"""`suanli quote` reads the database directly and prints the table, the exclusions, or JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from suanli.cli.main import app


def run(db_url, monkeypatch, *args):
    monkeypatch.setenv("SUANLI_DATABASE_URL", db_url)
    return CliRunner().invoke(app, ["quote", *args], env={"COLUMNS": "220"})


def test_quote_prints_the_ranked_table_and_the_excluded_pools(sqlite_url, sessions_for_sqlite, monkeypatch):
    result = run(sqlite_url, monkeypatch, "--devices", "8", "--ecosystem", "cuda", "--min-device-memory", "64",
                 "--hours", "12", "--prefer", "cheapest", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.output.index("chengdu-ai") < result.output.index("yaan-dc")
    assert "too little memory: 16 GB per device, 64 GB needed" in result.output


def test_quote_json_is_the_api_body(sqlite_url, sessions_for_sqlite, monkeypatch):
    result = run(sqlite_url, monkeypatch, "--equivalents", "16", "--models", "A800|H800", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {o["pool"]: o["devices"] for o in body["options"]} == {"a800": 16, "h800": 6}


def test_an_impossible_quote_is_one_error_line_with_the_closest_alternatives(sqlite_url, sessions_for_sqlite, monkeypatch):
    result = run(sqlite_url, monkeypatch, "--devices", "500", "--ecosystem", "cuda", "--lang", "en")
    assert result.exit_code == 2
    assert "closest:" in result.output and "ask for at most" in result.output and "Traceback" not in result.output
