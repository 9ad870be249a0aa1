"""SWF logs keep their resource kind: header fields, processors as cores or nodes, memory, and
readable errors naming the row."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from suanli.sim import SimInputError
from suanli.sim.engine import pool_fits
from suanli.sim.federation import SimPool
from suanli.sim.traces import load_trace

HEADER = """; Version: 2.2
; Computer: Test cluster
; Installation: hand-written excerpt in Parallel Workloads Archive format
; UnixStartTime: 1041379200
; TimeZoneString: Asia/Shanghai
; MaxJobs: 3
; MaxRecords: 3
{limits}
; Note: memory in KB per processor
"""
ROWS = """    1        0     5   3600    8   -1  1048576    8   7200  2097152  1   1   1  -1  1  1  -1  -1
    2       60    -1   1800   -1   -1       -1   16   3600       -1  1   2  -1  -1  1  1  -1  -1
    3      120     0     -1    4   -1       -1    4    900       -1  5   3   2  -1  1  1  -1  -1
"""


def _swf(tmp_path: Path, limits: str = "; MaxNodes: 64\n; MaxProcs: 256", rows: str = ROWS) -> Path:
    path = tmp_path / "log.swf"
    path.write_text(HEADER.format(limits=limits) + rows)
    return path


def test_processors_become_cpu_cores_and_memory_is_per_processor(tmp_path: Path) -> None:
    trace = load_trace(_swf(tmp_path))
    assert len(trace) == 2  # job 3 has no run time
    assert trace.cpu_milli.tolist() == [8000, 16000] and not trace.gpu_milli.any()
    assert trace.mem_mib.tolist() == [8 * 2048, 0]  # requested 2 GiB x 8; job 2 asks for nothing known
    assert trace.nodes.tolist() == [0, 0]
    assert trace.org.tolist() == [1, 2]  # group, else user


def test_header_fields_are_read(tmp_path: Path) -> None:
    meta = load_trace(_swf(tmp_path)).meta
    assert meta["unix_start_time"] == 1041379200 and meta["TimeZoneString"] == "Asia/Shanghai"
    assert meta["max_procs"] == 256 and meta["max_nodes"] == 64 and meta["units"] == "cores"
    assert meta["skipped"] == 1


def test_a_log_that_counts_nodes_asks_for_whole_nodes(tmp_path: Path) -> None:
    trace = load_trace(_swf(tmp_path, limits="; MaxNodes: 64"))
    assert trace.nodes.tolist() == [8, 16] and trace.cpu_milli.tolist() == [0, 0]
    assert load_trace(_swf(tmp_path), swf_units="nodes").nodes.tolist() == [8, 16]


@pytest.mark.parametrize("row, message", [
    ("4 200 -1 x 2 -1 -1 2 60 -1 1 1 1 -1 1 1 -1 -1", ":14: field 4 (run time) is not a number"),
    ("4 200 -1 60 -7 -1 -1 2 60 -1 1 1 1 -1 1 1 -1 -1", ":14: field 5 (allocated processors) is -7"),
    ("4 200 -1 60 2 -1 -1 2 60 -1 1 1 1 -1 1 1 -1", ":14: an SWF line has 18 fields, found 17"),
    ("4 -1 -1 60 2 -1 -1 2 60 -1 1 1 1 -1 1 1 -1 -1", ":14: field 2 (submit time) must be known"),
])
def test_a_bad_row_is_one_error_naming_the_row(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(SimInputError, match=re.escape(message)):
        load_trace(_swf(tmp_path, rows=ROWS + row + "\n"))


def test_a_bad_header_number_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SimInputError, match="header MaxProcs is not a number"):
        load_trace(_swf(tmp_path, limits="; MaxProcs: many"))


def test_pools_take_jobs_across_nodes_only_where_allowed() -> None:
    gpu = np.array([8000, 16000, 0, 0, 0])
    cpu = np.array([1000, 1000, 64_000, 300_000, 1000])  # 300 cores: more than one node, less than four
    mem = np.array([0, 0, 0, 0, 300 * 1024])
    nodes = np.zeros(5, np.int64)
    single = SimPool("A800", 4, 8, 128, 256, multi_node=False)
    multi = SimPool("A800", 4, 8, 128, 256, multi_node=True)
    cpus = SimPool("CPU", 2, 0, 128, 256, multi_node=True)
    assert pool_fits(single, gpu, cpu, mem, nodes).tolist() == [True, False, True, False, False]
    assert pool_fits(multi, gpu, cpu, mem, nodes).tolist() == [True, True, True, True, True]
    assert pool_fits(cpus, gpu, cpu, mem, nodes).tolist() == [False, False, True, False, True]
    assert pool_fits(cpus, np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64),
                     np.array([3])).tolist() == [False]  # three whole nodes of a two-node pool
