"""Following many jobs on a real Slurm costs one squeue and one sacct per tick, not calls per job."""

from __future__ import annotations

import time
from typing import Any

import pytest

from suanli.backends.base import Observed, SubmitRequest
from suanli.backends.registry import create
from suanli.backends.slurm import SlurmBackend

pytestmark = pytest.mark.slurm
POOLS = {"cpu": ("CPU", 16)}


def test_one_squeue_and_one_sacct_per_tick_for_all_jobs(slurm_cluster: dict[str, Any]) -> None:
    backend: SlurmBackend = create("slurm", "hpc-batched", {  # type: ignore[assignment]
        "conf": slurm_cluster["slurm_conf"], "partition": slurm_cluster["partition"],
        "workdir": slurm_cluster["workdir"], "name_prefix": "batched", "snapshot_ttl_s": 5}, POOLS)
    jobs = [backend.submit(SubmitRequest(job_id=7000 + n, name="t", command=f"sleep 1; exit {n}", devices=1,
                                         model="CPU", cpus=1, memory_gb=0, time_limit_s=120, pool="cpu"))
            for n in range(3)]
    calls: list[str] = []
    run = backend._run

    def counting(tool: str, *args: str, **kwargs: Any) -> str:
        calls.append(tool)
        return run(tool, *args, **kwargs)

    backend._run = counting  # type: ignore[method-assign]
    for job in jobs:  # a new job is not in the snapshot: the first tick refreshes once per new job at most
        backend.observe(job)
    calls.clear()
    backend._snapshot_at = -1e9  # the next tick
    seen = [backend.observe(job) for job in jobs]
    assert calls == ["squeue", "sacct"], calls
    assert all(s.state in (Observed.PENDING, Observed.RUNNING, Observed.FAILED, Observed.SUCCEEDED) for s in seen)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        backend._snapshot_at = -1e9
        calls.clear()
        final = [backend.observe(job) for job in jobs]
        assert calls == ["squeue", "sacct"], calls
        if all(s.state.is_final for s in final):
            break
        time.sleep(0.5)
    assert [(s.state, s.exit_code) for s in final] == [(Observed.SUCCEEDED, 0), (Observed.FAILED, 1),
                                                        (Observed.FAILED, 2)]
    calls.clear()
    usages = [backend.usage(job) for job in jobs]
    assert calls == []  # the snapshot already holds the accounting
    assert all(u[0].wall_seconds >= 1 and u[0].device_seconds == u[0].wall_seconds for u in usages)
