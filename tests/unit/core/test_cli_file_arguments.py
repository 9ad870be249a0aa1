"""A file named on the command line that cannot be read (or, for YAML, is not UTF-8), or an `--out` that
cannot be written, is one line naming it and exit 2, before anything is sent: every command reads and
writes through `common.read_file`/`read_text`/`write_file`. The server address is a closed port, so a
command that reached for the network would exit 1 instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.cli.common import read_text
from suanli.cli.main import app
from suanli_testing import free_port

READERS = [
    ("indicator", "import", "{f}.csv"),
    ("indicator", "load", "{f}.yaml"),
    ("opportunity", "batch", "import", "1", "{f}.xlsx"),
    ("award", "load", "{f}.yaml"),
    ("voucher", "program", "load", "{f}.yaml"),
    ("voucher", "program", "check", "{f}.yaml"),
    ("voucher", "document", "upload", "{f}.pdf", "--kind", "invoice", "--contract", "1"),
]


def run(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"SUANLI_URL": f"http://127.0.0.1:{free_port()}", "SUANLI_TOKEN": "t",
           "SUANLI_CREDENTIALS": str(tmp_path / "none.json"), "COLUMNS": "250"}
    return CliRunner().invoke(app, list(args), env=env)


def one_usage_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c[:2]))
def test_a_file_that_cannot_be_read_is_one_line_exit_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    missing = tmp_path / "missing"
    args = [a.format(f=missing) for a in command]
    path = next(a for a in args if a.startswith(str(missing)))
    assert one_usage_line(run(tmp_path, *args)) == f"error: cannot read {path}: No such file or directory"


@pytest.mark.parametrize("command", [("award", "load"), ("indicator", "load")])
def test_a_yaml_file_that_is_not_utf8_is_one_line_exit_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("标题: 奖励".encode("gbk"))
    assert one_usage_line(run(tmp_path, *command, str(path))) == f"error: {path} is not UTF-8 text"


def test_read_text_ends_lines_as_path_read_text_does(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes("a: 1\r\nb: 二\rc: 3\n".encode())
    assert read_text(path) == path.read_text(encoding="utf-8") == "a: 1\nb: 二\nc: 3\n"


def test_an_out_file_that_cannot_be_written_is_one_line_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "no" / "schema.json"
    assert one_usage_line(run(tmp_path, "voucher", "program", "schema", "--out", str(out))).startswith(
        f"error: cannot write {out}")
    written = tmp_path / "schema.json"
    assert run(tmp_path, "voucher", "program", "schema", "--out", str(written)).exit_code == 0
    assert '"title"' in written.read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [
    ("opportunity", "batch", "import", "abc", "x.xlsx"),  # a value of the wrong type
    ("jobs", "list", "--no-such-flag"),  # an unknown option
    ("audit", "verify"),  # a missing argument
])
def test_a_usage_error_of_the_suanli_program_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The installed program (`main`), not only the Typer app: Typer's boxed usage message becomes one
    line naming what is wrong and where the help is."""
    env = {**os.environ, "SUANLI_URL": f"http://127.0.0.1:{free_port()}", "SUANLI_TOKEN": "t",
           "SUANLI_CREDENTIALS": str(tmp_path / "none.json")}
    done = subprocess.run([sys.executable, "-m", "suanli", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--help" in lines[0], done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
