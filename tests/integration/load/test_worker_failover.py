"""Two `suanli worker` processes on one PostgreSQL share the job work; one is killed with SIGKILL
mid-stream (whichever held the leader lock for that tick or not: leadership is a transaction-scoped
advisory lock, so it dies with the process) and the other carries on: every job finishes, each is
handed to the center once, metered and charged exactly once, and the log stays verifiable."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from load_processes import start_worker
from sqlalchemy import func, select

from suanli.config import Settings
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.ledger import LedgerChargeRow, LedgerTransferRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import Role
from suanli.services import audit, settlement

JOBS = 8


@pytest.fixture
def db_url(postgres_url: str) -> str:
    return postgres_url


def _states(api) -> Counter[str]:
    with unit_of_work(api.sessions) as s:
        return Counter(s.scalars(select(JobRow.state)).all())


@pytest.mark.postgres
def test_a_worker_killed_mid_stream_loses_nothing_and_does_nothing_twice(api, settings: Settings, db_url: str,
                                                                         tmp_path: Path) -> None:
    api.load_federation()
    org = api.organisation("org-a")
    api.user("alice", Role.ORG_MEMBER, org)
    with unit_of_work(api.sessions) as s:
        settlement.deposit_program_budget(s, program_id=1, amount_fen=1_000_000, idempotency_key="budget")
        settlement.grant_to_wallet(s, program_id=1, organisation_id=org, amount_fen=100_000, grant_id=1)
    body = {"command": "sleep 1; echo done", "time_limit_s": 60, "center": "local", "pool": "cpu",
            "resources": {"devices": 1}}
    ids = [api.client.post("/api/v1/jobs", json={**body, "name": f"j{i}"}, headers=api.auth("alice")).json()["id"]
           for i in range(JOBS)]
    first = start_worker(db_url, settings.data_dir, tmp_path / "worker-a.log")
    second = start_worker(db_url, settings.data_dir, tmp_path / "worker-b.log")
    try:
        deadline = time.monotonic() + 120
        while _states(api)["succeeded"] + _states(api)["running"] < 2:  # mid-stream: some handed over
            assert time.monotonic() < deadline, f"no job started: {_states(api)}"
            time.sleep(0.2)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        while _states(api)["succeeded"] < JOBS:
            assert time.monotonic() < deadline + 60, f"jobs did not all finish after the kill: {_states(api)}"
            assert second.poll() is None, (tmp_path / "worker-b.log").read_text()[-2000:]
            time.sleep(0.3)
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    with unit_of_work(api.sessions) as s:
        assert Counter(s.scalars(select(JobRow.state)).all()) == {"succeeded": JOBS}
        metered = dict(s.execute(select(UsageRecordRow.job_id, func.count()).group_by(UsageRecordRow.job_id)).all())
        assert set(metered) == set(ids) and set(metered.values()) == {1}, metered  # once each
        charged = s.scalars(select(LedgerChargeRow.job_id)).all()
        assert sorted(charged) == sorted(ids), charged  # each job's usage priced and charged exactly once
        postings = Counter(s.scalars(select(LedgerTransferRow.idempotency_key)).all())
        assert max(postings.values()) == 1  # and no money movement written twice
        assert audit.check_log(s, public_key=audit.init_signer(settings.data_dir).public_key).ok
    runs = sorted(p.name for p in (settings.data_dir / "jobs").glob("job-*"))
    assert runs == sorted(f"job-{i}" for i in ids)  # one hand-over per job to the center, none lost
