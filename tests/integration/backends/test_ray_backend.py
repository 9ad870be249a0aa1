"""Jobs through a real Ray head's Jobs API: submit, logs, usage against Ray's own record, stop."""

from __future__ import annotations

import time

import pytest

from suanli.backends.base import Observation, Observed, SubmitRequest
from suanli.backends.ray import RayBackend
from suanli.backends.registry import create
from suanli.domain.errors import BackendRejected, BackendUnavailable

pytestmark = pytest.mark.ray
POOLS = {"cpu": ("CPU", 2), "gpu": ("A800", 8)}
_next_id = iter(range(5000, 10_000))


@pytest.fixture
def ray(ray_head: str) -> RayBackend:
    return create("ray", "ray-center", {"address": ray_head}, POOLS)  # type: ignore[return-value]


def request(command: str, *, pool: str = "cpu", devices: int = 1, job_id: int | None = None) -> SubmitRequest:
    return SubmitRequest(job_id=job_id or next(_next_id), name="t", command=command, devices=devices,
                         model=POOLS[pool][0], cpus=1, memory_gb=0, time_limit_s=120, pool=pool)


def wait_for(backend: RayBackend, job: str, states: set[Observed], timeout: float = 60) -> Observation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = backend.observe(job)
        if seen.state in states:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"job {job} never reached {states}; last {seen}")


def test_a_job_runs_and_its_usage_matches_rays_own_record(ray: RayBackend, ray_head: str) -> None:
    from ray.job_submission import JobSubmissionClient

    t0 = time.monotonic()
    job = ray.submit(request("echo hello from ray; sleep 1"))
    wait_for(ray, job, {Observed.RUNNING, Observed.SUCCEEDED})
    t_running = time.monotonic()
    done = wait_for(ray, job, {Observed.SUCCEEDED, Observed.FAILED})
    [usage] = ray.usage(job)
    t_metered = time.monotonic()
    info = JobSubmissionClient(ray_head).get_job_info(job)
    wall = round((info.end_time - info.start_time) / 1000)
    assert done.state == Observed.SUCCEEDED and done.exit_code == 0
    assert (usage.wall_seconds, usage.core_seconds, usage.device_seconds, usage.source) == (wall, wall, wall, "ray")
    assert usage.started_at.timestamp() == info.start_time / 1000
    assert "hello from ray" in ray.logs(job, "stdout", 10_000)
    print(f"\nray timings: submit->running {t_running - t0:.2f} s, submit->metered {t_metered - t0:.2f} s")


def test_submitting_the_same_job_twice_returns_the_first_submission(ray: RayBackend) -> None:
    first = ray.submit(request("exit 4", job_id=42))
    assert first == "suanli-42" and ray.submit(request("exit 4", job_id=42)) == first
    done = wait_for(ray, first, {Observed.FAILED, Observed.SUCCEEDED})
    assert done.state == Observed.FAILED and done.exit_code == 4


def test_a_running_job_is_stopped(ray: RayBackend) -> None:
    job = ray.submit(request("sleep 60"))
    wait_for(ray, job, {Observed.RUNNING})
    ray.cancel(job)
    assert wait_for(ray, job, {Observed.CANCELLED}).state == Observed.CANCELLED


def test_capacity_reports_the_heads_cpus_and_a_gpu_job_is_refused(ray: RayBackend) -> None:
    capacity = {c.pool: c for c in ray.capacity()}
    assert capacity["cpu"].total_devices == 2 and capacity["gpu"].total_devices == 0
    with pytest.raises(BackendRejected, match="0 GPU"):
        ray.submit(request("sleep 1", pool="gpu"))
    health = ray.health()
    assert not health.ok and "no GPUs" in health.detail
    assert ray.observe("suanli-never").state == Observed.MISSING


def test_an_unreachable_head_is_reported_as_unavailable() -> None:
    down = create("ray", "ray-center", {"address": "http://127.0.0.1:9"}, POOLS)
    with pytest.raises(BackendUnavailable):
        down.observe("suanli-1")
    assert not down.health().ok
