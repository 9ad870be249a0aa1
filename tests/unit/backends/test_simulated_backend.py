"""The simulated center: virtual time, first-fit packing on nodes, a queue, usage in virtual seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from suanli.backends import simulated
from suanli.backends.base import Observed, SubmitRequest
from suanli.backends.registry import create
from suanli.domain.errors import BackendRejected, NotFound


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Iterator[Clock]:
    simulated.reset()
    yield Clock()
    simulated.reset()


def make(clock: Clock, center: str = "sim", **options: object) -> simulated.SimulatedBackend:
    opts = {"speedup": 3600, "devices_per_node": 8, "clock": clock, **options}
    return create("simulated", center, opts, {"gpu": ("A800", 16)})  # type: ignore[return-value]


def job(job_id: int, devices: int, command: str = "sleep 3600", limit: int = 86_400) -> SubmitRequest:
    return SubmitRequest(job_id=job_id, name=f"j{job_id}", command=command, devices=devices, model="A800",
                         cpus=devices * 4, memory_gb=1, time_limit_s=limit, pool="gpu")


def test_a_job_runs_one_simulated_hour_in_one_real_second(clock: Clock) -> None:
    b = make(clock)
    jid = b.submit(job(1, 4))
    assert b.observe(jid).state == Observed.RUNNING
    clock.t += 0.5
    assert b.observe(jid).state == Observed.RUNNING
    clock.t += 0.5
    seen = b.observe(jid)
    assert seen.state == Observed.SUCCEEDED and seen.exit_code == 0
    [usage] = b.usage(jid)
    assert (usage.device_seconds, usage.core_seconds, usage.wall_seconds) == (4 * 3600, 16 * 3600, 3600)
    assert usage.source == "simulated" and b.simulated


def test_submitting_the_same_job_twice_returns_the_first_submission(clock: Clock) -> None:
    b = make(clock)
    assert b.submit(job(7, 1)) == b.submit(job(7, 1)) == "sim-7"
    assert b.capacity()[0].free_devices == 15


def test_jobs_pack_first_fit_and_wait_in_a_queue_when_the_pool_is_full(clock: Clock) -> None:
    b = make(clock)
    first, second = b.submit(job(1, 6)), b.submit(job(2, 6))  # one node each
    third = b.submit(job(3, 4, "sleep 7200"))  # 2 + 2 left: no node has 4
    small = b.submit(job(4, 2, "sleep 1800"))  # fits beside the first
    assert [b.observe(j).state for j in (first, second, third, small)] == [
        Observed.RUNNING, Observed.RUNNING, Observed.PENDING, Observed.RUNNING]
    assert b.capacity()[0].free_devices == 2
    clock.t += 1.0  # one virtual hour: the 6-device jobs end, the waiting one starts
    assert b.observe(third).state == Observed.RUNNING
    assert b.observe(third).started_at == b.observe(first).ended_at
    clock.t += 2.0
    assert b.observe(third).state == Observed.SUCCEEDED
    assert b.capacity()[0].free_devices == 16


def test_a_job_larger_than_a_node_takes_whole_nodes(clock: Clock) -> None:
    b = make(clock)
    big = b.submit(job(1, 12))
    assert b.observe(big).state == Observed.RUNNING
    assert b.submit(job(2, 6)) and b.observe("sim-2").state == Observed.PENDING  # only 4 left on node 2
    assert b.observe(b.submit(job(3, 4))).state == Observed.RUNNING


def test_a_job_past_its_time_limit_times_out_and_is_metered_to_the_limit(clock: Clock) -> None:
    b = make(clock)
    jid = b.submit(job(1, 2, "sleep 7200", limit=3600))
    clock.t += 5
    assert b.observe(jid).state == Observed.TIMED_OUT
    assert b.usage(jid)[0].wall_seconds == 3600


def test_exit_in_the_command_sets_the_exit_code(clock: Clock) -> None:
    b = make(clock)
    jid = b.submit(job(1, 1, "sleep 60; exit 3"))
    clock.t += 1
    seen = b.observe(jid)
    assert seen.state == Observed.FAILED and seen.exit_code == 3 and b.usage(jid)[0].exit_code == 3


def test_a_cancelled_waiting_job_is_never_metered(clock: Clock) -> None:
    b = make(clock)
    b.submit(job(1, 16))
    waiting = b.submit(job(2, 1))
    b.cancel(waiting)
    assert b.observe(waiting).state == Observed.CANCELLED
    assert b.usage(waiting) == []


def test_a_job_bigger_than_the_pool_is_rejected(clock: Clock) -> None:
    with pytest.raises(BackendRejected, match="16 devices"):
        make(clock).submit(job(1, 17))


def test_state_is_shared_by_adapters_of_the_same_center_and_unknown_jobs_are_missing(clock: Clock) -> None:
    jid = make(clock).submit(job(1, 1))
    assert make(clock).observe(jid).state == Observed.RUNNING
    assert make(clock, center="other").observe(jid).state == Observed.MISSING


def test_the_simulated_center_says_it_keeps_no_logs_and_the_ascend_kind_is_simulated(clock: Clock) -> None:
    b = make(clock)
    with pytest.raises(NotFound, match="simulated"):
        b.logs("sim-1", "stdout", 100)
    ascend = create("ascend", "ascend-center", {"clock": clock}, {"npu": ("Ascend910B", 8)})
    assert ascend.simulated and ascend.kind == "ascend" and ascend.health().ok
