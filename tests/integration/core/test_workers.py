"""Two workers at once never dispatch or meter a job twice (row locks, idempotent submit)."""

import threading
import time

from sqlalchemy import func, select

from suanli.db.models.jobs import JobEventRow, JobRow, UsageRecordRow
from suanli.db.uow import unit_of_work
from suanli.domain.jobs import JobSpec, JobState
from suanli.domain.organisations import Role
from suanli.domain.resources import ResourceRequest
from suanli.services import jobs
from suanli.services.accounts import principal_of
from suanli.services.backends import BackendCache
from suanli.workers.loop import Worker


def test_two_concurrent_workers_run_every_job_exactly_once(api, settings, tmp_path):
    api.load_federation()
    org = api.organisation("org-a")
    api.user("alice", Role.ORG_MEMBER, org)
    marker = tmp_path / "runs.log"
    with unit_of_work(api.sessions) as s:
        from suanli.db.repositories.organisations import user_by_username

        principal = principal_of(user_by_username(s, "alice"))
        for i in range(8):
            spec = JobSpec(name=f"j{i}", command=f"echo {i} >> {marker}", resources=ResourceRequest(devices=1),
                           time_limit_s=60, center="local", pool="cpu")
            jobs.submit_job(s, principal=principal, spec=spec)

    workers = [Worker(api.sessions, BackendCache(settings.data_dir)) for _ in range(2)]
    stop = threading.Event()

    def spin(worker):
        while not stop.is_set():
            worker.tick()

    threads = [threading.Thread(target=spin, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            with unit_of_work(api.sessions) as s:
                done = s.scalar(select(func.count()).where(JobRow.state == JobState.SUCCEEDED.value))
            if done == 8:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert done == 8
    assert sorted(marker.read_text().split()) == [str(i) for i in range(8)]
    with unit_of_work(api.sessions) as s:
        dispatched = s.scalar(select(func.count()).where(JobEventRow.to_state == "dispatched"))
        usage = s.scalar(select(func.count()).select_from(UsageRecordRow))
    assert dispatched == 8 and usage == 8
