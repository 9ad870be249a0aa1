"""Jobs through a real Slurm 22.05 with slurmdbd: submit, follow, meter from sacct, cancel, refuse,
and a controller stopped mid-job then restarted (the job is reconciled and metered once)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from backends_seed import Adapters, seed_center, seed_job
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.backends.base import Observation, Observed, SubmitRequest
from suanli.backends.registry import create
from suanli.backends.slurm import SlurmBackend
from suanli.db.engine import make_engine
from suanli.db.models.base import utcnow
from suanli.db.models.jobs import UsageRecordRow
from suanli.db.uow import session_factory
from suanli.domain.errors import BackendRejected, BackendUnavailable
from suanli.services.metering import mark_unknown, reconcile, record_usage

pytestmark = pytest.mark.slurm
POOLS = {"gpu": ("T4", 8), "cpu": ("CPU", 16)}
_next_id = iter(range(1000, 10_000))


def options(cluster: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"conf": cluster["slurm_conf"], "partition": cluster["partition"], "workdir": cluster["workdir"], **more}


@pytest.fixture
def slurm(slurm_cluster: dict[str, Any]) -> SlurmBackend:
    return create("slurm", "hpc", options(slurm_cluster), POOLS)  # type: ignore[return-value]


def request(command: str, *, pool: str = "gpu", devices: int = 1, cpus: int = 1, job_id: int | None = None,
            partition: str | None = None) -> SubmitRequest:
    return SubmitRequest(job_id=job_id or next(_next_id), name="t", command=command, devices=devices,
                         model=POOLS[pool][0], cpus=cpus, memory_gb=0, time_limit_s=120, pool=pool,
                         partition=partition)


def wait_for(backend: SlurmBackend, job: str, states: set[Observed], timeout: float = 60) -> Observation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = backend.observe(job)
        if seen.state in states:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"job {job} never reached {states}; last {seen}")


def sacct_figures(cluster: dict[str, Any], job: str) -> tuple[int, dict[str, int], str]:
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-j", job, "-o", "ElapsedRaw,AllocTRES,ExitCode"],
                         capture_output=True, text=True, env={"SLURM_CONF": cluster["slurm_conf"], "PATH": "/usr/bin"},
                         check=True).stdout.strip().splitlines()[-1]
    elapsed, tres, exit_code = out.split("|")
    return int(elapsed), {k: int(v) for k, v in (x.split("=") for x in tres.split(","))}, exit_code


def test_a_gpu_job_runs_to_completion_and_is_metered_from_sacct(slurm: SlurmBackend, slurm_cluster: dict) -> None:
    t0 = time.monotonic()
    job = slurm.submit(request("echo hello from slurm; sleep 2", devices=2, cpus=3))
    running = wait_for(slurm, job, {Observed.RUNNING, Observed.SUCCEEDED})
    t_running = time.monotonic()
    done = wait_for(slurm, job, {Observed.SUCCEEDED, Observed.FAILED})
    [usage] = slurm.usage(job)
    t_metered = time.monotonic()
    # The start time comes from slurmdbd, which may lag the controller's RUNNING by a moment (seen once in
    # CI: RUNNING with no start yet); the final observation always has it.
    assert running.state in (Observed.RUNNING, Observed.SUCCEEDED) and done.started_at is not None
    assert done.state == Observed.SUCCEEDED and done.exit_code == 0
    elapsed, tres, exit_code = sacct_figures(slurm_cluster, job)
    assert (usage.wall_seconds, usage.device_seconds, usage.core_seconds) == (
        elapsed, tres["gres/gpu"] * elapsed, tres["cpu"] * elapsed)
    assert tres["gres/gpu"] == 2 and tres["cpu"] == 3 and exit_code == "0:0" and usage.source == "sacct"
    assert "hello from slurm" in slurm.logs(job, "stdout", 1000)
    print(f"\nslurm timings: submit->running {t_running - t0:.2f} s, submit->metered {t_metered - t0:.2f} s")


def test_submitting_the_same_job_twice_returns_the_job_already_there(slurm: SlurmBackend) -> None:
    first = slurm.submit(request("sleep 1", job_id=77))
    assert slurm.submit(request("sleep 1", job_id=77)) == first
    wait_for(slurm, first, {Observed.SUCCEEDED})
    assert slurm.submit(request("sleep 1", job_id=77)) == first  # found in accounting after it ended


def test_a_failing_command_reports_its_exit_code(slurm: SlurmBackend) -> None:
    job = slurm.submit(request("exit 3", pool="cpu", devices=2, cpus=2))
    done = wait_for(slurm, job, {Observed.FAILED, Observed.SUCCEEDED})
    assert done.state == Observed.FAILED and done.exit_code == 3
    assert slurm.usage(job)[0].exit_code == 3


def test_a_running_job_is_cancelled_and_metered_for_the_time_it_ran(slurm: SlurmBackend) -> None:
    job = slurm.submit(request("sleep 60"))
    wait_for(slurm, job, {Observed.RUNNING})
    time.sleep(1.2)
    slurm.cancel(job)
    assert wait_for(slurm, job, {Observed.CANCELLED}).state == Observed.CANCELLED
    [usage] = slurm.usage(job)
    assert usage.wall_seconds >= 1 and usage.device_seconds == usage.wall_seconds
    slurm.cancel(job)  # cancelling again is harmless


def test_a_wrong_partition_or_unknown_gres_is_rejected_and_nothing_is_metered(slurm_cluster: dict) -> None:
    wrong = create("slurm", "hpc", options(slurm_cluster, partition="nosuch"), POOLS)
    with pytest.raises(BackendRejected, match="(?i)invalid partition"):
        wrong.submit(request("sleep 1"))
    health = wrong.health()
    assert not health.ok and "partition 'nosuch' does not exist" in health.detail
    typed = create("slurm", "hpc", options(slurm_cluster, gres_type="h100"), POOLS)
    with pytest.raises(BackendRejected):
        typed.submit(request("sleep 1"))
    with pytest.raises(BackendRejected, match="(?i)node configuration"):
        create("slurm", "hpc", options(slurm_cluster), POOLS).submit(request("sleep 1", devices=3))


def test_capacity_counts_devices_per_pool_and_health_is_good(slurm: SlurmBackend) -> None:
    before = {c.pool: c for c in slurm.capacity()}
    assert before["gpu"].total_devices == 8 and before["cpu"].total_devices == 16
    job = slurm.submit(request("sleep 20", devices=2, cpus=2))
    wait_for(slurm, job, {Observed.RUNNING})
    after = {c.pool: c for c in slurm.capacity()}
    assert after["gpu"].free_devices <= before["gpu"].free_devices - 2
    assert slurm.health().ok
    slurm.cancel(job)


def test_an_unreachable_controller_is_reported_as_unavailable(tmp_path) -> None:
    conf = tmp_path / "slurm.conf"
    conf.write_text("ClusterName=x\nSlurmctldHost=localhost\nSlurmctldPort=1\nNodeName=n1 CPUs=1\n"
                    "PartitionName=p Nodes=n1\nMessageTimeout=2\n")
    down = create("slurm", "hpc", {"conf": str(conf), "command_timeout_s": 10}, POOLS)
    with pytest.raises(BackendUnavailable):
        down.observe("1")
    assert not down.health().ok


@pytest.fixture
def sqlite_session(sqlite_url: str) -> Iterator[Session]:
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_a_job_survives_a_controller_restart_and_is_metered_once(
        slurm_cluster: dict, slurm_script: Any, sqlite_session: Session) -> None:
    session, script = sqlite_session, slurm_script
    pool = seed_center(session, name="hpc", kind="slurm", options=options(slurm_cluster), model="T4", devices=8,
                       partition="debug")
    slurm = create("slurm", "hpc", options(slurm_cluster), {"gpu": ("T4", 8)})
    row = seed_job(session, pool, state="running", backend_job_id=None)
    row.backend_job_id = slurm.submit(request("sleep 6", job_id=row.id))
    wait_for(slurm, row.backend_job_id, {Observed.RUNNING})  # type: ignore[arg-type]
    session.commit()

    script.kill_pid(slurm_cluster["pids"]["slurmctld"])  # the controller stops mid-job
    with pytest.raises(BackendUnavailable):
        slurm.observe(row.backend_job_id)  # type: ignore[arg-type]
    mark_unknown(session, job=row, now=utcnow(), reason="controller down")
    assert reconcile(session, now=utcnow() + timedelta(seconds=3), backends=Adapters(hpc=slurm)).still_unknown == 1
    session.commit()

    script.start_controller(slurm_cluster)
    wait_for(slurm, row.backend_job_id, {Observed.SUCCEEDED, Observed.FAILED})  # type: ignore[arg-type]
    report = reconcile(session, now=utcnow() + timedelta(hours=1), backends=Adapters(hpc=slurm))
    session.commit()
    assert report.metered == 1
    assert row.state == "succeeded", row.reason
    assert record_usage(session, job=row, usages=slurm.usage(row.backend_job_id)) == []  # type: ignore[arg-type]
    session.commit()
    assert session.scalar(select(func.count()).select_from(UsageRecordRow)) == 1
    assert session.scalar(select(UsageRecordRow.wall_seconds)) >= 5
