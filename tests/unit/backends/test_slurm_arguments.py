"""The sbatch arguments the Slurm adapter builds (no Slurm needed): accounts and multi-node gangs.
The same arguments run for real in tests/integration/backends/test_slurm_accounts.py and
test_slurm_multinode.py."""

from __future__ import annotations

import pytest

from suanli.backends.base import SubmitRequest
from suanli.backends.slurm import SlurmBackend
from suanli.domain.errors import BackendRejected

POOLS = {"gpu": ("T4", 8), "cpu": ("CPU", 16)}


def args(tmp_path, request: SubmitRequest, **options) -> list[str]:
    backend = SlurmBackend("hpc", {"partition": "debug", "workdir": str(tmp_path), **options}, POOLS)
    return backend._sbatch_args(request, f"suanli-{request.job_id}")


def req(**more) -> SubmitRequest:
    base = {"job_id": 1, "name": "t", "command": "true", "devices": 2, "model": "T4", "cpus": 3, "memory_gb": 0,
            "time_limit_s": 120, "pool": "gpu"}
    return SubmitRequest(**{**base, **more})


def test_a_one_node_job_keeps_its_arguments_and_runs_under_the_given_account(tmp_path) -> None:
    got = args(tmp_path, req(account="suanli-org7"), account="shared")
    assert "--ntasks=1" in got and "--cpus-per-task=3" in got and "--gres=gpu:2" in got
    assert "--account=suanli-org7" in got and "--account=shared" not in got
    assert not any(a.startswith("--nodes") for a in got)
    assert "--account=shared" in args(tmp_path, req(), account="shared")  # no organisation account: the static one


def test_a_gang_asks_nodes_and_tasks_per_node_with_gres_and_memory_per_node(tmp_path) -> None:
    got = args(tmp_path, req(devices=4, cpus=8, memory_gb=6, nodes=2, tasks_per_node=2))
    assert {"--nodes=2", "--ntasks-per-node=2", "--cpus-per-task=2", "--gres=gpu:2", "--mem=3G"} <= set(got)
    assert "--ntasks=1" not in got
    gpus = args(tmp_path, req(devices=4, cpus=8, nodes=2), gpu_flag="gpus", gres_type="a100")
    assert "--gpus-per-node=gpu:a100:2" in gpus
    cpu = args(tmp_path, req(pool="cpu", devices=8, cpus=8, nodes=4, tasks_per_node=2))
    assert {"--nodes=4", "--ntasks-per-node=2", "--cpus-per-task=1"} <= set(cpu)
    assert not any(a.startswith(("--gres", "--gpus")) for a in cpu)


def test_devices_that_do_not_split_evenly_over_the_nodes_are_refused(tmp_path) -> None:
    with pytest.raises(BackendRejected, match="cannot be split evenly over 2 nodes"):
        args(tmp_path, req(devices=3, nodes=2))


def test_the_organisation_account_name_is_stable_and_valid_for_slurm(tmp_path) -> None:
    backend = SlurmBackend("hpc", {"workdir": str(tmp_path)}, POOLS)
    assert backend.account_name(42) == "suanli-org42"
    assert SlurmBackend("hpc", {"account_prefix": "CD-"}, POOLS).account_name(42) == "cd-42"
    # Without a parent account there are no per-organisation accounts: the static option, as before.
    assert backend.ensure_account(organisation_id=42, organisation_name="x", pool="gpu", limit_minutes=1) is None
