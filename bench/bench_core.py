"""Core throughput: jobs per second through submit -> dispatch -> run -> metered on the local
backend (real processes, `true` as the command), one worker loop, SQLite; plus submit-only rate
through the service layer."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from suanli.db.engine import make_engine
from suanli.db.migrate import upgrade
from suanli.db.repositories.organisations import user_by_username
from suanli.db.uow import session_factory, unit_of_work
from suanli.domain.jobs import JobSpec, JobState
from suanli.domain.organisations import OrganisationType, Role
from suanli.domain.resources import ResourceRequest
from suanli.services import federation, jobs
from suanli.services.accounts import create_user, principal_of
from suanli.services.backends import BackendCache
from suanli.services.organisations import create_organisation
from suanli.workers.loop import Worker

JOBS = 200
FEDERATION = """
centers:
  - {name: local, name_zh: 本机, kind: local, city: 成都, backend: {kind: local},
     pools: [{name: cpu, model: CPU, nodes: 1, devices_per_node: 2, price_fen_per_device_hour: 20}]}
"""


def run() -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        sessions = session_factory(engine)
        with unit_of_work(sessions) as s:
            org = create_organisation(s, name="bench", name_zh="压测", type=OrganisationType.ENTERPRISE, city="成都")
            create_user(s, username="bench", password="bench-password-1", role=Role.ORG_MEMBER, organisation_id=org.id)
            federation.load_federation(s, text=FEDERATION)
            principal = principal_of(user_by_username(s, "bench"))
        spec = JobSpec(name="b", command="true", resources=ResourceRequest(devices=1), time_limit_s=60,
                       center="local", pool="cpu")
        started = time.perf_counter()
        for _ in range(JOBS):
            with unit_of_work(sessions) as s:
                jobs.submit_job(s, principal=principal, spec=spec)
        submit_s = time.perf_counter() - started
        worker = Worker(sessions, BackendCache(Path(tmp)))
        started = time.perf_counter()
        while True:
            worker.tick()
            with unit_of_work(sessions) as s:
                left = len(jobs.list_jobs(s, principal=principal, states=[x.value for x in JobState if not x.is_final],
                                          offset=0, limit=JOBS))
            if left == 0:
                break
        run_s = time.perf_counter() - started
        engine.dispose()
    return {
        "core_jobs_per_s_local": {"value": round(JOBS / run_s, 1), "unit": "jobs/s",
                                  "note": f"{JOBS} jobs submit->dispatch->run->metered, one worker, SQLite, local backend"},
        "core_submits_per_s_sqlite": {"value": round(JOBS / submit_s, 1), "unit": "submits/s",
                                      "note": "service layer, one transaction per submit"},
    }
