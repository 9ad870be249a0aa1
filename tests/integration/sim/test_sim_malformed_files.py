"""Malformed simulator inputs through `suanli sim fill` and `suanli sim replay`: one `error:` line and
exit 2 each. Before, a GBK or UTF-16 trace or federation file was a UnicodeDecodeError traceback, a
node figure of 1e309 an OverflowError and one of 1e300 an int64 overflow, and a trace figure of 1e300
was cast to int64 garbage and replayed with exit 0."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.cli.sim import app

ROOT = Path(__file__).resolve().parents[3]
FEDERATION = ROOT / "examples" / "sim-federation-chengdu.yaml"
SWF = ROOT / "examples" / "traces" / "small.swf"
TRACE = "submit_s,duration_s,gpus\n0,3600,1\n60,1800,2\n"
NODES = "sn,cpu_milli,memory_mib,gpu,model\nnode-1,{cpu},262144,8,V100M32\n"
PODS = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\npod-1,4000,8192,1,1000\n"
runner = CliRunner()


def _one_line_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    assert result.output.startswith("error: ") and message in result.output, result.output


@pytest.mark.parametrize(("content", "message"), [
    (TRACE.replace("区", "").encode("utf-16"), "not UTF-8 text"),
    (("备注," + TRACE).encode("gbk"), "not UTF-8 text"),
    (TRACE.replace("0,3600,1", "0,3600,1e300").encode(), "job 1 (in file order) has a figure past any real trace"),
    (TRACE.replace("60,1800,2", "60,1e309,2").encode(), "3: duration_s is not a finite number: '1e309'"),
    (TRACE.replace("0,3600,1", "0,3600,nan").encode(), "2: gpus is not a finite number: 'nan'"),
])
def test_a_malformed_trace_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    trace = tmp_path / "trace.csv"
    trace.write_bytes(content)
    _one_line_exit_2(["replay", "--federation", str(FEDERATION), "--trace", str(trace), "--broker", "cheapest"],
                     message)


@pytest.mark.parametrize("encoding", ["gbk", "utf-16"])
def test_a_federation_file_not_in_utf8_is_one_line(tmp_path: Path, encoding: str) -> None:
    federation = tmp_path / "federation.yaml"
    federation.write_bytes(FEDERATION.read_text(encoding="utf-8").encode(encoding, "replace"))
    _one_line_exit_2(["replay", "--federation", str(federation), "--trace", str(SWF)], "not UTF-8 text")


@pytest.mark.parametrize(("cpu", "message"), [("1e309", "column 'cpu_milli' is not a number: '1e309'"),
                                              ("1e300", "column 'cpu_milli' is 1e300, past any real node")])
def test_a_node_figure_past_any_machine_is_one_line(tmp_path: Path, cpu: str, message: str) -> None:
    nodes, pods = tmp_path / "nodes.csv", tmp_path / "pods.csv"
    nodes.write_text(NODES.format(cpu=cpu), encoding="utf-8")
    pods.write_text(PODS, encoding="utf-8")
    _one_line_exit_2(["fill", "--nodes", str(nodes), "--pods", str(pods), "--policy", "bestfit", "--seeds", "42"],
                     message)


def test_a_utf8_bom_before_the_header_is_read(tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    trace.write_bytes(codecs.BOM_UTF8 + TRACE.encode())
    result = runner.invoke(app, ["replay", "--federation", str(FEDERATION), "--trace", str(trace),
                                 "--broker", "cheapest", "--json", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
