"""Per-organisation Slurm accounts on a real Slurm 22.05 with slurmdbd: each organisation's jobs run
under its own account below the center's parent account, created by the dispatch with `sacctmgr`,
with a `GrpTRESMins` limit where a voucher program caps the organisation; `sacct` and `sacctmgr
show assoc` (what the center's own reports read) tell the organisations apart, and the center (with
AccountingStorageEnforce=limits) holds a job whose organisation's limit is used up."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from backends_seed import Adapters, seed_center, seed_job
from sqlalchemy.orm import Session

from suanli.backends.base import Observed, SubmitRequest
from suanli.backends.registry import create
from suanli.backends.slurm import SlurmBackend
from suanli.db.engine import make_engine
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.models.vouchers import VoucherWalletRow
from suanli.db.uow import session_factory
from suanli.services.dispatch import dispatch_job
from suanli.services.vouchers.programs import load_program

pytestmark = pytest.mark.slurm
ROOT = Path(__file__).resolve().parents[3]
PRICE = 1_000  # fen per device-hour


def run(cluster: dict[str, Any], *args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=30,
                          env={"SLURM_CONF": cluster["slurm_conf"], "PATH": "/usr/bin:/bin"}).stdout


def associations(cluster: dict[str, Any], account: str) -> list[list[str]]:
    out = run(cluster, "sacctmgr", "-n", "-P", "show", "assoc", f"account={account}",
              "format=Account,User,ParentName,GrpTRESMins")
    return [line.split("|") for line in out.splitlines() if line.strip()]


def accounting_account(cluster: dict[str, Any], job: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = run(cluster, "sacct", "-n", "-X", "-P", "-j", job, "-o", "JobIDRaw,Account").split()
        if rows:
            return rows[-1].split("|")[1]
        time.sleep(0.3)
    raise AssertionError(f"sacct never recorded job {job}")


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


def test_two_organisations_jobs_run_under_their_own_accounts_with_the_capped_one_limited(
        slurm_cluster: dict[str, Any], session: Session) -> None:
    opts = {"conf": slurm_cluster["slurm_conf"],
            "partition": "debug", "workdir": slurm_cluster["workdir"], "parent_account": "center-hpc",
            "account_prefix": "t1-org", "name_prefix": "t-acct"}  # job names of their own on the shared cluster
    pool = seed_center(session, name="hpc", kind="slurm", options=opts, model="T4", devices=8, partition="debug",
                       price=PRICE)
    capped = session.query(OrganisationRow).one()
    capped.type = "enterprise"
    free = OrganisationRow(name="Beta, Inc.", name_zh="贝塔", type="enterprise", city="Chengdu")
    session.add(free)
    session.flush()
    session.add(UserRow(username="b", display_name="B", password_hash="x", role="org_member", organisation_id=free.id))
    program = load_program(session, text=(ROOT / "examples/programs/guizhou-2026.yaml").read_text())
    session.add(VoucherWalletRow(program_id=program.id, organisation_id=capped.id, granted_fen=50_000_000,
                                 expires_on=date(2099, 12, 31)))
    first = seed_job(session, pool, state="queued", backend_job_id=None, command="sleep 1")
    second = seed_job(session, pool, state="queued", backend_job_id=None, command="sleep 1")
    second.organisation_id = free.id
    for job in (first, second):
        job.request = {**job.request, "memory_gb_per_device": 0}  # the fake nodes have 1000 MB
    session.flush()

    slurm = create("slurm", "hpc", opts, {"gpu": ("T4", 8)})
    for job in (first, second):
        dispatch_job(session, job_id=job.id, backends=Adapters(hpc=slurm))
        assert job.state == "dispatched", job.reason
    session.commit()

    a, b = f"t1-org{capped.id}", f"t1-org{free.id}"
    assert accounting_account(slurm_cluster, first.backend_job_id) == a  # type: ignore[arg-type]
    assert accounting_account(slurm_cluster, second.backend_job_id) == b  # type: ignore[arg-type]
    # The program caps the organisation at 1,000,000 yuan: at 10 yuan a device-hour that is
    # 100,000 device-hours, 6,000,000 GPU-minutes on its account; the other has no limit.
    minutes = 100_000_000 * 60 // PRICE
    assert [a, "", "center-hpc", f"gres/gpu={minutes}"] in associations(slurm_cluster, a)
    assert [a, "root", "", ""] in associations(slurm_cluster, a)  # the submitting user may use it
    assert [b, "", "center-hpc", ""] in associations(slurm_cluster, b)
    parent = associations(slurm_cluster, "center-hpc")
    assert parent and parent[0][2] == "root"


def test_ensure_account_is_idempotent_and_follows_the_limit(slurm_cluster: dict[str, Any]) -> None:
    opts = {"conf": slurm_cluster["slurm_conf"], "partition": "debug", "workdir": slurm_cluster["workdir"],
            "parent_account": "center-hpc2", "account_prefix": "t2-org"}
    pools = {"gpu": ("T4", 8), "cpu": ("CPU", 16)}
    for _ in range(2):  # a fresh adapter each time: sacctmgr itself is asked, and says "nothing new"
        slurm: SlurmBackend = create("slurm", "hpc", opts, pools)  # type: ignore[assignment]
        assert slurm.ensure_account(organisation_id=7, organisation_name="Acme=Lab", pool="gpu",
                                    limit_minutes=600) == "t2-org7"
    assert associations(slurm_cluster, "t2-org7")[0][3] == "gres/gpu=600"
    slurm.ensure_account(organisation_id=7, organisation_name="Acme=Lab", pool="cpu", limit_minutes=1200)
    assert associations(slurm_cluster, "t2-org7")[0][3] == "cpu=1200,gres/gpu=600"
    slurm.ensure_account(organisation_id=7, organisation_name="Acme=Lab", pool="gpu", limit_minutes=None)
    assert associations(slurm_cluster, "t2-org7")[0][3] == "cpu=1200"
    calls: list[tuple[str, ...]] = []
    real = slurm._run
    slurm._run = lambda tool, *args, **kw: calls.append((tool, *args)) or real(tool, *args, **kw)  # type: ignore[method-assign]
    slurm.ensure_account(organisation_id=7, organisation_name="Acme=Lab", pool="gpu", limit_minutes=None)
    assert calls == []  # unchanged: no sacctmgr call on the dispatch path
    static = create("slurm", "hpc", {"conf": slurm_cluster["slurm_conf"], "account": "shared"}, pools)
    assert static.ensure_account(organisation_id=7, organisation_name="x", pool="gpu", limit_minutes=5) == "shared"


def test_the_center_holds_a_job_once_its_organisation_used_up_its_limit_and_runs_it_when_raised(
        slurm_cluster: dict[str, Any]) -> None:
    """The test cluster runs with AccountingStorageEnforce=limits, as a center enforcing the caps would."""
    opts = {"conf": slurm_cluster["slurm_conf"], "partition": "debug", "workdir": slurm_cluster["workdir"],
            "parent_account": "center-hpc3", "account_prefix": "t3-org", "name_prefix": "t-limit"}
    slurm: SlurmBackend = create("slurm", "hpc", opts, {"gpu": ("T4", 8)})  # type: ignore[assignment]
    account = slurm.ensure_account(organisation_id=9, organisation_name="Spent", pool="gpu", limit_minutes=0)
    job = slurm.submit(SubmitRequest(job_id=1, name="t", command="sleep 1", devices=1, model="T4", cpus=1,
                                     memory_gb=0, time_limit_s=60, pool="gpu", account=account))
    deadline = time.monotonic() + 30
    while (seen := slurm.observe(job)).reason != "AssocGrpGRESMinutes" and time.monotonic() < deadline:
        time.sleep(0.3)
    assert seen.state == Observed.PENDING and seen.reason == "AssocGrpGRESMinutes", seen
    slurm.ensure_account(organisation_id=9, organisation_name="Spent", pool="gpu", limit_minutes=600)
    deadline = time.monotonic() + 60
    while not (seen := slurm.observe(job)).state.is_final and time.monotonic() < deadline:
        time.sleep(0.3)
    assert seen.state == Observed.SUCCEEDED, seen
    assert accounting_account(slurm_cluster, job) == "t3-org9"
