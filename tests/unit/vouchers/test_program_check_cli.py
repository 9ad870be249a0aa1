"""`suanli voucher program check` reads through `parse_program_file`, the one parser with line and
field errors: every shipped file passes; a GBK file, a duplicated key, an impossible date or a NUL
byte is one line naming the file, line and field, exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.cli.main import app as cli

PROGRAMS = sorted((Path(__file__).resolve().parents[3] / "examples" / "programs").glob("*.yaml"))
GOOD = (Path(__file__).resolve().parents[3] / "examples" / "programs" / "chengdu-2023.yaml").read_text()


def check(path: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["voucher", "program", "check", str(path)])


def test_twelve_or_more_shipped_program_files_pass() -> None:
    assert len(PROGRAMS) >= 12
    for path in PROGRAMS:
        result = check(path)
        assert result.exit_code == 0 and "is valid" in result.output, (path.name, result.output)


@pytest.mark.parametrize(("data", "expected"), [
    (GOOD.encode("gbk"), "must be UTF-8"),
    (GOOD.replace("year: 2023\n", "year: 2023\nyear: 2024\n").encode(), "line 7: year: the key 'year' appears twice"),
    (GOOD.replace("expires_on: 2023-12-31", "expires_on: 2023-02-30").encode(), "2023-02-30 is not a real date"),
    (GOOD.encode() + b"\x00", "NUL byte"),
])
def test_a_bad_program_file_is_one_line_with_file_and_line_exit_2(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    result = check(path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and expected in result.output and str(path) in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_docs_table_of_rule_types_is_the_one_generated_from_the_shipped_files() -> None:
    from suanli.domain.vouchers import parse_program
    from suanli.domain.vouchers.rule_table import rule_table

    docs = (Path(__file__).resolve().parents[3] / "docs" / "vouchers.md").read_text()
    table = rule_table([(p.name, parse_program(p.read_text())) for p in PROGRAMS])
    assert table in docs, "regenerate the table in docs/vouchers.md from suanli.domain.vouchers.rule_table"
