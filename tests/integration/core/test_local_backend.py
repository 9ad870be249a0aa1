"""The local backend runs real processes on this machine."""

import time

import pytest

from suanli.backends.base import Observed, SubmitRequest
from suanli.backends.local import LocalBackend

POOLS = {"cpu": ("CPU", 2)}


def backend(tmp_path):
    return LocalBackend("local", {"root": str(tmp_path / "jobs")}, POOLS)


def request(job_id, command, time_limit_s=60, devices=1):
    return SubmitRequest(job_id=job_id, name=f"t{job_id}", command=command, devices=devices, model="CPU",
                         cpus=devices, memory_gb=1, time_limit_s=time_limit_s, pool="cpu")


def wait_final(b, backend_job_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = b.observe(backend_job_id)
        if seen.state.is_final:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"job {backend_job_id} did not finish: {b.observe(backend_job_id)}")


def wait_running(b, backend_job_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while b.observe(backend_job_id).state != Observed.RUNNING:
        assert time.monotonic() < deadline, "job never started"
        time.sleep(0.05)


def test_a_command_runs_and_its_output_and_exit_code_are_kept(tmp_path):
    b = backend(tmp_path)
    job = b.submit(request(1, "echo hello; echo oops >&2; exit 0"))
    seen = wait_final(b, job)
    assert seen.state == Observed.SUCCEEDED and seen.exit_code == 0
    assert seen.started_at <= seen.ended_at
    assert b.logs(job, "stdout", 100) == "hello\n"
    assert b.logs(job, "stderr", 100) == "oops\n"


def test_a_failing_command_reports_its_exit_code(tmp_path):
    b = backend(tmp_path)
    seen = wait_final(b, b.submit(request(2, "exit 7")))
    assert (seen.state, seen.exit_code) == (Observed.FAILED, 7)


def test_the_time_limit_is_enforced_on_the_whole_process_group(tmp_path):
    b = backend(tmp_path)
    marker = tmp_path / "child-survived"
    job = b.submit(request(3, f"(sleep 3; touch {marker}) & sleep 30", time_limit_s=1))
    seen = wait_final(b, job)
    assert seen.state == Observed.TIMED_OUT
    assert (seen.ended_at - seen.started_at).total_seconds() < 5
    time.sleep(3.5)
    assert not marker.exists(), "a background child of the job outlived the time limit"


def test_a_running_job_can_be_cancelled(tmp_path):
    b = backend(tmp_path)
    job = b.submit(request(4, "sleep 30"))
    wait_running(b, job)
    b.cancel(job)
    assert wait_final(b, job).state == Observed.CANCELLED


def test_submitting_the_same_job_twice_runs_it_once(tmp_path):
    b = backend(tmp_path)
    counter = tmp_path / "runs"
    first = b.submit(request(5, f"echo run >> {counter}"))
    second = b.submit(request(5, f"echo run >> {counter}"))
    assert first == second
    wait_final(b, first)
    time.sleep(0.3)
    assert counter.read_text() == "run\n"


def test_a_new_backend_instance_reattaches_to_a_job_started_before_a_restart(tmp_path):
    job = backend(tmp_path).submit(request(6, "sleep 1; echo survived"))
    restarted = backend(tmp_path)  # as after a server restart: only the files are shared
    seen = wait_final(restarted, job)
    assert seen.state == Observed.SUCCEEDED
    assert restarted.logs(job, "stdout", 100) == "survived\n"


def test_usage_is_metered_from_the_jobs_own_times_per_device(tmp_path):
    b = backend(tmp_path)
    job = b.submit(request(7, "sleep 1.2", devices=2))
    assert b.usage(job) == []  # nothing to meter while it runs
    seen = wait_final(b, job)
    [usage] = b.usage(job)
    assert usage.wall_seconds == 2  # 1.2 s rounds up to whole seconds
    assert usage.device_seconds == 4 and usage.core_seconds == 4
    assert usage.started_at == seen.started_at


def test_a_job_whose_supervisor_vanished_is_reported_missing(tmp_path):
    import json
    import os
    import signal

    b = backend(tmp_path)
    job = b.submit(request(8, "sleep 30"))
    wait_running(b, job)
    state = json.loads((tmp_path / "jobs" / job / "state.json").read_text())
    os.kill(state["runner_pid"], signal.SIGKILL)  # as if the machine rebooted under it
    os.killpg(state["pid"], signal.SIGKILL)
    time.sleep(0.3)
    seen = b.observe(job)
    assert seen.state == Observed.MISSING and "supervisor" in seen.reason


def test_capacity_counts_the_devices_of_running_jobs(tmp_path):
    b = backend(tmp_path)
    job = b.submit(request(9, "sleep 30"))
    wait_running(b, job)
    [cap] = b.capacity()
    assert (cap.total_devices, cap.free_devices) == (2, 1)
    b.cancel(job)
    wait_final(b, job)


@pytest.mark.parametrize("bad_id", ["../etc", "job-x", "job-1/../../"])
def test_backend_job_ids_cannot_escape_the_job_directory(tmp_path, bad_id):
    from suanli.domain.errors import NotFound

    with pytest.raises(NotFound):
        backend(tmp_path).observe(bad_id)
