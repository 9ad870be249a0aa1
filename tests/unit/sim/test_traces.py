"""Trace loaders: SWF by hand, openb CSV durations, generic CSV, and readable errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from suanli.sim import SimInputError
from suanli.sim.traces import load_trace

ROOT = Path(__file__).resolve().parents[3]
SWF = ROOT / "examples" / "traces" / "small.swf"


def test_swf_skips_jobs_without_run_time_and_uses_requested_processors_when_allocated_is_unknown() -> None:
    trace = load_trace(SWF)
    assert len(trace) == 11  # job 6 has run time -1
    assert trace.submit[0] == 0 and trace.duration[0] == 3600
    assert trace.cpu_milli.tolist()[6 - 1] == 2000  # job 7: alloc -1, requested 2 (cores)
    assert not trace.gpu_milli.any() and trace.kind == "cpu"  # a CPU log stays a CPU log
    assert (trace.estimate >= trace.duration).all()


def test_swf_group_is_the_organisation_and_user_stands_in_when_group_is_unknown() -> None:
    trace = load_trace(SWF)
    assert trace.org.tolist()[:3] == [1, 2, 1]
    assert trace.org.tolist()[6] == 6  # job 8: group -1, user 6


def test_openb_csv_turns_creation_and_deletion_into_durations(tmp_path: Path) -> None:
    path = tmp_path / "pods.csv"
    path.write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
                    "p1,1000,10,2,1000,,LS,Running,100,400,100\n"
                    "p0,1000,10,1,500,,LS,Running,50,60,50\n"
                    "p2,1000,10,1,500,,LS,Running,70,,\n")
    trace = load_trace(path)
    assert trace.submit.tolist() == [0.0, 50.0]
    assert trace.duration.tolist() == [10.0, 300.0]
    assert trace.gpu_milli.tolist() == [500, 2000]


def test_generic_csv_reads_fractional_devices(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    path.write_text("submit_s,duration_s,gpus,org\n10,100,0.5,3\n0,50,2,1\n")
    trace = load_trace(path)
    assert trace.gpu_milli.tolist() == [2000, 500]
    assert trace.org.tolist() == [1, 3]


@pytest.mark.parametrize("content, message", [
    ("a,b\n1,2\n", "missing column"),
    ("submit_s,duration_s,gpus\nx,1,1\n", "not a number"),
])
def test_bad_csv_is_one_readable_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(SimInputError, match=message):
        load_trace(path)


def test_short_swf_line_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.swf"
    path.write_text("1 0 -1 10 1\n")
    with pytest.raises(SimInputError, match="18 fields"):
        load_trace(path)
