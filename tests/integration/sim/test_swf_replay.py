"""A CPU supercomputer log (Parallel Workloads Archive format) replayed over a federation with a
CPU center: every job that fits somewhere is placed, the rest are counted with their reason."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from suanli.cli.sim import app

runner = CliRunner()

FEDERATION = """
name: swf-test
value_of_wait_fen_per_device_hour: 2000
voucher: {budget_fen: 100000, ratio: 0.3}
centers:
  - name: gpu-only
    policy: fifo
    price_fen_per_device_hour: 500
    price_fen_per_cpu_hour: 6
    pools:
      - {model: A800, nodes: 2, devices_per_node: 8, cpus_per_node: 64, memory_gib_per_node: 1024}
  - name: nscc
    name_zh: 国家超算中心
    policy: easy-backfill
    price_fen_per_device_hour: 900
    price_fen_per_cpu_hour: 4
    pools:
      - {model: CPU, nodes: 16, devices_per_node: 0, cpus_per_node: 32, memory_gib_per_node: 64}
"""

# An excerpt in SWF 2.2: 18 fields per job, header comments first. Job 5 asks for more cores
# than the whole federation has, job 6 for 2 TiB on one processor (more than 16 x 64 GiB),
# job 7 was cancelled before it ran. Jobs 3 and 4 are larger than any single node.
SWF = """; Version: 2.2
; Computer: Test CPU cluster (16 nodes x 32 cores)
; Installation: hand-written for suanli
; Acknowledge: none
; Information: http://www.cs.huji.ac.il/labs/parallel/workload/
; Conversion: by hand
; UnixStartTime: 1041379200
; TimeZoneString: Asia/Shanghai
; StartTime: Wed Jan 01 08:00:00 CST 2003
; EndTime: Wed Jan 01 12:00:00 CST 2003
; MaxNodes: 16
; MaxProcs: 512
; MaxRuntime: 86400
; MaxMemory: 67108864
; Note: memory in KB per processor
;
    1        0    10   3600     4   3500   524288     4   7200   1048576  1  1  1  1  1  1  -1  -1
    2       30    -1   1800    32     -1       -1    32   3600        -1  1  2  1  1  1  1  -1  -1
    3       60    -1    900   128     -1       -1   128   1800        -1  1  3  2  2  1  1  -1  -1
    4      120    -1    600   512     -1       -1   512    900        -1  1  4  2  2  1  1  -1  -1
    5      180    -1    600  4096     -1       -1  4096    900        -1  1  5  3  3  1  1  -1  -1
    6      240    -1    300     1     -1  2147483648  1    600        -1  1  6  3  3  1  1  -1  -1
    7      300    -1     -1    16     -1       -1    16    600        -1  5  7  3  3  1  1  -1  -1
    8      360    -1   1200     8     -1       -1     8   1800  16777216  1  8  4  4  1  1  -1  -1
    9      400    -1     60     1     -1       -1     1    120        -1  1  1  1  1  1  1  -1  -1
"""


def test_a_cpu_log_runs_on_the_cpu_center_and_only_impossible_jobs_are_refused(tmp_path: Path) -> None:
    fed, log, out = tmp_path / "fed.yaml", tmp_path / "excerpt.swf", tmp_path / "out.json"
    fed.write_text(FEDERATION, encoding="utf-8")
    log.write_text(SWF, encoding="utf-8")
    result = runner.invoke(app, ["replay", "--federation", str(fed), "--trace", str(log),
                                 "--broker", "suanli,cheapest,round-robin,least-loaded", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for run in data["results"]:
        assert run["jobs"] == 6 and run["unplaced"] == 2, run["broker"]
        assert {k: v["jobs"] for k, v in run["unplaced_reasons"].items()} == {"cpu": 1, "memory": 1}
        assert run["utilisation"]["of"] == "cpu" and run["utilisation"]["overall"] > 0
    # the 128- and 512-core jobs span nodes of the CPU partition; the GPU center's nodes cannot take them
    suanli, cheapest = data["results"][0], data["results"][1]
    assert suanli["jobs_per_center"]["nscc"] >= 2
    assert cheapest["jobs_per_center"] == {"gpu-only": 0, "nscc": 6}  # cheaper cores
    assert suanli["cost_fen"] > 0 and suanli["gpu_utilisation"]["overall"] == 0
    assert data["trace_meta"]["unix_start_time"] == 1041379200
    assert suanli["trace_start"].startswith("2003-01-01T08:00:00+08:00")


def test_a_bad_row_is_one_line_naming_the_row(tmp_path: Path) -> None:
    fed, log = tmp_path / "fed.yaml", tmp_path / "bad.swf"
    fed.write_text(FEDERATION, encoding="utf-8")
    log.write_text(SWF + "   10  500  -1  60  2  -1  -1  2  abc  -1  1  1  1  1  1  1  -1  -1\n", encoding="utf-8")
    result = runner.invoke(app, ["replay", "--federation", str(fed), "--trace", str(log)])
    assert result.exit_code == 2
    assert "bad.swf:26: field 9 (requested time) is not a number" in result.output
    assert "Traceback" not in result.output
