"""The CLI's conventions that need no server: durations in every spelling, money flags in yuan read
to integer fen, the `-o` formats (CSV in yuan with formula cells neutralised), usage errors exit 2."""

from __future__ import annotations

import csv
import io

import pytest
import typer

from suanli.cli.common import USAGE, Column, Format, chosen, emit, fen_of_yuan, hours_of, seconds_of


@pytest.mark.parametrize(("text", "seconds"), [
    ("3600", 3600), ("01:30:00", 5400), ("90:00", 5400), ("1-00:00:00", 86400), ("2h", 7200), ("90m", 5400),
    ("1h30m", 5400), ("45s", 45), ("1.5h", 5400), (" 2H ", 7200), ("1d", 86400),
])
def test_a_duration_is_read_in_every_spelling(text: str, seconds: int) -> None:
    assert seconds_of(text, "--time-limit") == seconds


@pytest.mark.parametrize("text", ["soon", "1:60:00", "0", "-5", "2x", "1.5", "h", "1h 30m", ""])
def test_a_bad_duration_is_a_usage_error(text: str) -> None:
    with pytest.raises(typer.Exit) as raised:
        seconds_of(text, "--time-limit")
    assert raised.value.exit_code == USAGE


def test_hours_flags_count_a_bare_number_in_hours() -> None:
    assert hours_of("12", "--hours") == 12 and hours_of("90m", "--hours") == 1.5 and hours_of("00:30:00", "--hours") == 0.5


@pytest.mark.parametrize(("text", "fen"), [("12.5", 1250), ("12.50", 1250), ("¥1,234.56", 123456), ("0", 0),
                                           ("100元", 10000), ("7", 700)])
def test_money_flags_are_yuan_read_to_integer_fen(text: str, fen: int) -> None:
    assert fen_of_yuan(text, "--max-price") == fen


@pytest.mark.parametrize("text", ["0.001", "twelve", "-3", "1e3x", ""])
def test_an_amount_that_is_not_whole_fen_or_not_a_number_is_a_usage_error(text: str) -> None:
    with pytest.raises(typer.Exit) as raised:
        fen_of_yuan(text, "--max-price")
    assert raised.value.exit_code == USAGE


def test_json_and_output_must_agree() -> None:
    assert chosen(None) is Format.TABLE and chosen(None, True) is Format.JSON and chosen(Format.CSV) is Format.CSV
    with pytest.raises(typer.Exit):
        chosen(Format.CSV, True)


def test_csv_shows_yuan_and_neutralises_formula_cells(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"name": "=HYPERLINK(\"x\")", "amount": 123456}, {"name": "-12", "amount": -5}]
    emit(rows, [Column("name", "name"), Column("amount", "amount", money=True)], Format.CSV)
    parsed = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert parsed == [["name", "amount"], ["'=HYPERLINK(\"x\")", "1234.56"], ["-12", "-0.05"]]


def test_json_prints_the_api_data_in_fen(capsys: pytest.CaptureFixture[str]) -> None:
    emit([{"amount": 123456}], [Column("amount", "amount", money=True)], Format.JSON)
    assert '"amount": 123456' in capsys.readouterr().out
