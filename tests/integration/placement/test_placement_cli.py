"""`suanli quote` asks the server's broker (`POST /api/v1/quotes`) as the signed-in person and prints
the table, the exclusions, or the API's JSON body; a real uvicorn serves the app."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from placement_db import seed
from typer.testing import CliRunner

from suanli.cli.main import app
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import Role
from suanli_testing import served


@pytest.fixture
def quote(api, tmp_path) -> Iterator:
    with unit_of_work(api.sessions) as s:
        organisation_id = seed(s).organisation_id
    api.user("bob", Role.ORG_MEMBER, organisation_id)
    with served(api.client.app) as url:
        env = {"SUANLI_URL": url, "SUANLI_TOKEN": api.tokens["bob"], "COLUMNS": "220",
               "SUANLI_CREDENTIALS": str(tmp_path / "none.json")}
        yield lambda *args: CliRunner().invoke(app, ["quote", *args], env=env)


def test_quote_prints_the_ranked_table_and_the_excluded_pools(quote):
    result = quote("--devices", "8", "--ecosystem", "cuda", "--min-device-memory", "64", "--hours", "12",
                   "--prefer", "cheapest", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.output.index("chengdu-ai") < result.output.index("yaan-dc")
    assert "too little memory: 16 GB per device, 64 GB needed" in result.output


def test_quote_json_is_the_api_body(quote):
    result = quote("--equivalents", "16", "--models", "A800|H800", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {o["pool"]: o["devices"] for o in body["options"]} == {"a800": 16, "h800": 6}


def test_quote_durations_and_money_are_read_in_every_spelling(quote):
    hours = json.loads(quote("--devices", "8", "--models", "A800", "--hours", "90m", "--json").output)
    assert hours["options"][0]["hours"] == 1.5
    capped = quote("--devices", "8", "--models", "A800", "--hours", "1", "--max-price", "1.00", "--json")
    assert capped.exit_code == 1 and json.loads(capped.stdout)["status"] == 422


def test_an_impossible_quote_is_one_error_line_with_the_closest_alternatives(quote):
    result = quote("--devices", "500", "--ecosystem", "cuda", "--lang", "en")
    assert result.exit_code == 1
    assert "closest:" in result.output and "ask for at most" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
