"""A gang over two nodes on the real test Slurm (4 fake nodes n1..n4, 2 fake GPUs each): dispatched
through the platform with `--nodes=2 --ntasks-per-node=2`, its tasks run on two nodes, it is
followed to the end and metered from sacct as 4 GPUs × elapsed."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends_seed import Adapters, seed_center, seed_job
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.backends.registry import create
from suanli.db.engine import make_engine
from suanli.db.models.jobs import UsageRecordRow
from suanli.db.uow import session_factory
from suanli.services.dispatch import dispatch_job, follow_job

pytestmark = pytest.mark.slurm


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


def test_a_two_node_gang_runs_its_tasks_on_two_nodes_and_is_metered_for_all_its_gpus(
        slurm_cluster: dict[str, Any], session: Session) -> None:
    opts = {"conf": slurm_cluster["slurm_conf"], "partition": "debug", "workdir": slurm_cluster["workdir"],
            "name_prefix": "t-gang"}  # job names of their own: other tests reuse row ids on this cluster
    pool = seed_center(session, name="hpc", kind="slurm", options=opts, model="T4", devices=8, partition="debug")
    pool.nodes, pool.devices_per_node, pool.max_nodes = 4, 2, 4  # the test cluster's shape
    command = "srun bash -c 'echo task $SLURM_PROCID on $SLURMD_NODENAME'; sleep 1"
    job = seed_job(session, pool, state="queued", backend_job_id=None, devices=4, command=command)
    job.request = {"devices": 4, "nodes": 2, "tasks_per_node": 2, "cpus_per_device": 1, "memory_gb_per_device": 0}
    session.flush()
    slurm = create("slurm", "hpc", opts, {"gpu": ("T4", 8)})
    adapters = Adapters(hpc=slurm)

    dispatch_job(session, job_id=job.id, backends=adapters)
    assert job.state == "dispatched", job.reason
    session.commit()
    deadline = time.monotonic() + 60
    while job.state not in ("succeeded", "failed") and time.monotonic() < deadline:
        follow_job(session, job_id=job.id, backends=adapters)
        session.commit()
        time.sleep(0.3)
    assert job.state == "succeeded", job.reason

    sacct = subprocess.run(["sacct", "-n", "-X", "-P", "-j", str(job.backend_job_id), "-o",
                            "NNodes,AllocTRES,NodeList,ElapsedRaw"], capture_output=True, text=True, check=True,
                           env={"SLURM_CONF": slurm_cluster["slurm_conf"], "PATH": "/usr/bin"}).stdout.split("|")
    nnodes, tres, nodelist, elapsed = sacct[0], dict(x.split("=") for x in sacct[1].split(",")), sacct[2], int(sacct[3])
    assert nnodes == "2" and tres["node"] == "2" and tres["gres/gpu"] == "4" and tres["cpu"] == "4", sacct
    output = (Path(slurm_cluster["workdir"]) / f"slurm-{job.backend_job_id}.out").read_text()
    tasks = sorted(line for line in output.splitlines() if line.startswith("task "))
    assert len(tasks) == 4 and len({line.split()[-1] for line in tasks}) == 2, output  # 2 tasks on each of 2 nodes
    [usage] = session.scalars(select(UsageRecordRow).where(UsageRecordRow.job_id == job.id)).all()
    assert usage.wall_seconds == elapsed and usage.device_seconds == 4 * elapsed, (usage.device_seconds, elapsed)
    assert nodelist.startswith("n")
