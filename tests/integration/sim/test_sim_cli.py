"""`suanli sim fill` and `suanli sim replay` end to end through the Typer app, on small inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.cli.sim import app

ROOT = Path(__file__).resolve().parents[3]
OPENB = Path("/work/shared/data/openb")
FEDERATION = ROOT / "examples" / "sim-federation-chengdu.yaml"
SWF = ROOT / "examples" / "traces" / "small.swf"
runner = CliRunner()


@pytest.mark.skipif(not OPENB.is_dir(), reason="openb data not present")
def test_fill_writes_the_contract_json(tmp_path: Path) -> None:
    out = tmp_path / "fill.json"
    result = runner.invoke(app, ["fill", "--nodes", str(OPENB / "openb_node_list_gpu_node.csv"),
                                 "--pods", str(OPENB / "openb_pod_list_default.csv"), "--policy", "bestfit",
                                 "--seeds", "42", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["policy"] == "bestfit" and data["seeds"] == [42] and data["wall_seconds"] > 0
    levels = {p["arrived_pct"]: p for p in data["points"]}
    assert {90, 95, 100, 110, 120, 130} <= set(levels)
    assert set(levels[100]) == {"arrived_pct", "unallocated_gpu_pct_mean", "unallocated_gpu_pct_sd"}


@pytest.mark.parametrize("args, message", [
    (["--nodes", "/no/such.csv", "--pods", "x.csv", "--policy", "fgd"], "no such file"),
    (["--nodes", str(SWF), "--pods", "x.csv", "--policy", "nope"], "unknown policy"),
    (["--nodes", str(SWF), "--pods", "x.csv", "--policy", "fgd", "--seeds", "9-1"], "bad seed range"),
    (["--nodes", str(SWF), "--pods", "x.csv", "--policy", "fgd"], "missing column"),
])
def test_fill_input_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["fill", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_replay_compares_brokers_and_writes_json_and_html(tmp_path: Path) -> None:
    out, html = tmp_path / "replay.json", tmp_path / "report.html"
    result = runner.invoke(app, ["replay", "--federation", str(FEDERATION), "--trace", str(SWF),
                                 "--broker", "suanli,cheapest,home-center", "--json", str(out), "--html", str(html)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for key in ("jobs", "mean_wait_s", "p95_wait_s", "mean_jct_s", "utilisation", "cost_fen", "subsidy_fen",
                "unplaced", "wall_seconds", "events_per_second"):
        assert key in data
    assert isinstance(data["cost_fen"], int) and isinstance(data["subsidy_fen"], int)
    assert [r["broker"] for r in data["results"]] == ["suanli", "cheapest", "home-center"]
    assert data["jobs"] + data["unplaced"] == 11
    page = html.read_text()
    assert "<script src=\"http" not in page and "Plotly.newPlot" in page


@pytest.mark.parametrize("args, message", [
    (["--federation", "/no/such.yaml", "--trace", str(SWF)], "no such federation file"),
    (["--federation", str(FEDERATION), "--trace", str(SWF), "--broker", "fastest"], "unknown broker"),
    (["--federation", str(FEDERATION), "--trace", "/no/trace.swf"], "no such trace file"),
])
def test_replay_input_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["replay", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
