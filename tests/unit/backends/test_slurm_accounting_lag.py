"""slurmdbd can record a job's end before the rest of its record (start, allocation) has caught up.
The adapter must not call such a job final: the platform would settle it with no usage, a job run
for free (seen once in CI on the two-node gang test). The Slurm tools are replaced by their printed
output here; the real cluster runs the same path in tests/integration/backends/."""

from __future__ import annotations

import pytest

from suanli.backends.base import Observed
from suanli.backends.slurm import SlurmBackend

POOLS = {"gpu": ("T4", 8)}


class Printed(SlurmBackend):
    """SlurmBackend whose squeue/sacct print what the test says (no Slurm here)."""

    sacct = ""

    def _run(self, tool: str, *args: str, **_: object) -> str:
        return self.sacct if tool == "sacct" else ""


@pytest.fixture
def slurm(tmp_path) -> Printed:
    return Printed("hpc", {"partition": "debug", "workdir": str(tmp_path), "snapshot_ttl_s": 0}, POOLS)


def test_a_completed_job_without_its_start_is_still_running_then_metered_once_the_record_is_whole(slurm) -> None:
    slurm.sacct = "7|COMPLETED|0:0|Unknown|1700000012|12||debug\n"
    seen = slurm.observe("7")
    assert seen.state == Observed.RUNNING and seen.reason == "waiting for accounting"
    slurm.sacct = "7|COMPLETED|0:0|1700000000|1700000012|12|billing=4,cpu=4,gres/gpu=4,node=2|debug\n"
    assert slurm.observe("7").state == Observed.SUCCEEDED
    [usage] = slurm.usage("7")
    assert usage.device_seconds == 4 * 12 and usage.wall_seconds == 12


def test_a_completed_job_without_its_allocation_waits_too(slurm) -> None:
    slurm.sacct = "8|COMPLETED|0:0|1700000000|1700000012|12||debug\n"
    assert slurm.observe("8").state == Observed.RUNNING


def test_a_job_cancelled_while_pending_ends_at_once_with_nothing_to_charge(slurm) -> None:
    slurm.sacct = "9|CANCELLED by 1000|0:0|Unknown|1700000012|0||debug\n"
    assert slurm.observe("9").state == Observed.CANCELLED
    assert slurm.usage("9") == []


def test_the_wait_for_accounting_is_bounded(tmp_path) -> None:
    slurm = Printed("hpc", {"workdir": str(tmp_path), "snapshot_ttl_s": 0, "accounting_wait_s": 0}, POOLS)
    slurm.sacct = "10|COMPLETED|0:0|Unknown|1700000012|12||debug\n"
    assert slurm.observe("10").state == Observed.SUCCEEDED  # never whole: it ends, after the wait
