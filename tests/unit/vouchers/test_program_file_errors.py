"""Bad program files are refused in one line naming the file, the line and the field: impossible
dates, files that are not UTF-8, duplicated keys, NUL bytes, and ratios written as fractions where
percents are expected (with a hint). Through the API they are a 422 problem, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from suanli.domain.vouchers import InvalidProgramFile, parse_program, parse_program_file

TEXT = (Path(__file__).resolve().parents[3] / "examples" / "programs" / "chengdu-2023.yaml").read_text()


def _refusal(text: str | bytes) -> InvalidProgramFile:
    with pytest.raises(InvalidProgramFile) as refused:
        if isinstance(text, bytes):
            parse_program_file(text, "chengdu.yaml")
        else:
            parse_program(text, source="chengdu.yaml")
    assert "\n" not in refused.value.detail and refused.value.detail.startswith("chengdu.yaml: line ")
    return refused.value


def test_an_impossible_date_names_its_line_and_field() -> None:
    error = _refusal(TEXT.replace("expires_on: 2023-12-31", "expires_on: 2024-02-30"))
    assert (error.extra["line"], error.extra["field"]) == (38, "validity.expires_on")
    assert "2024-02-30 is not a real date" in error.detail


def test_a_file_that_is_not_utf8_says_it_must_be() -> None:
    error = _refusal(TEXT.encode("gbk"))
    assert "must be UTF-8" in error.detail
    assert "must be UTF-8" in _refusal(b"\x89PNG\r\n\x1a\n\x00\xff").detail


def test_a_utf8_bom_is_not_an_error() -> None:
    assert parse_program_file(b"\xef\xbb\xbf" + TEXT.encode(), "bom.yaml").id == "chengdu-2023"


def test_a_duplicated_key_is_refused_rather_than_the_last_winning() -> None:
    error = _refusal(TEXT.replace("budget_fen: 1_000_000_000", "budget_fen: 1_000_000_000\nbudget_fen: 9"))
    assert error.extra["field"] == "budget_fen" and "twice" in error.detail
    nested = _refusal(TEXT.replace("ratios: {compute: 30}", "ratios: {compute: 30, compute: 80}"))
    assert nested.extra["field"] == "demand.ratios.compute"


def test_a_nul_byte_is_refused_with_its_line() -> None:
    error = _refusal(TEXT.replace("year: 2023", "year: 2023\x00"))
    assert error.extra["line"] == 6 and "NUL" in error.detail


@pytest.mark.parametrize("fraction", ["0.3", ".3", "0.30"])
def test_a_ratio_written_as_a_fraction_is_refused_with_a_hint(fraction: str) -> None:
    error = _refusal(TEXT.replace("ratios: {compute: 30}", f"ratios: {{compute: {fraction}}}"))
    assert error.extra["field"] == "demand.ratios.compute" and "write 30 for 30%" in error.detail


def test_a_percent_with_a_decimal_point_and_a_zero_ratio_are_fine() -> None:
    assert parse_program(TEXT.replace("ratios: {compute: 30}", "ratios: {compute: 12.5}")).demand is not None
    assert parse_program(TEXT.replace("ratios: {compute: 30}", "ratios: {compute: 0}")).demand is not None
