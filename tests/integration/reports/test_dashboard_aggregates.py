"""The public dashboard reads aggregates kept with the writes they sum: its figures equal what the raw
usage records and jobs say (computed here independently), a usage metered twice counts once, and a
job of an organisation already served adds no one. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from suanli.backends.base import Usage
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.uow import unit_of_work
from suanli.domain.jobs import JobSpec
from suanli.domain.organisations import OrganisationType, Principal, Role
from suanli.domain.resources import ResourceRequest
from suanli.services import accounts, federation, jobs, metering, organisations, reports
from suanli_testing import SMALL_FEDERATION

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _member(s, name: str, city: str) -> Principal:
    org = organisations.create_organisation(s, name=name, name_zh=name, type=OrganisationType.ENTERPRISE, city=city).id
    user = accounts.create_user(s, username=f"{name}-dev", password="a-long-pass-42", role=Role.ORG_MEMBER,
                                organisation_id=org)
    return Principal(user.id, user.username, org, Role.ORG_MEMBER)


def _run(s, who: Principal, pool: PoolRow, n: int, hours: int, day: int) -> JobRow:
    job = jobs.submit_job(s, principal=who, spec=JobSpec(name=f"j{n}", command="true",
                                                         resources=ResourceRequest(devices=1), time_limit_s=3600))
    job.pool_id, job.backend_job_id = pool.id, f"b-{n}"
    start = NOW - timedelta(days=day)
    usage = Usage("main", hours * 3600, hours * 3600, hours * 3600, start, start + timedelta(hours=hours), 0, "local")
    assert len(metering.record_usage(s, job=job, usages=[usage])) == 1
    assert metering.record_usage(s, job=job, usages=[usage]) == []  # metered once, counted once
    return job


def test_the_dashboard_equals_the_raw_records(sessions) -> None:
    with unit_of_work(sessions) as s:
        federation.load_federation(s, text=SMALL_FEDERATION)
        a, b = _member(s, "org-a", "成都"), _member(s, "org-b", "绵阳")
        pools = s.scalars(select(PoolRow).order_by(PoolRow.id)).all()
        for n, (who, pool, hours, day) in enumerate([(a, pools[0], 3, 0), (a, pools[0], 5, 1), (b, pools[-1], 2, 1),
                                                     (a, pools[-1], 7, 20)]):
            _run(s, who, pool, n, hours, day)
    with unit_of_work(sessions) as s:
        shown = reports.dashboard(s, now=NOW)
        records = s.scalars(select(UsageRecordRow)).all()
        names = {c.id: c.name for c in s.scalars(select(CenterRow))}
        ecosystem = {p.id: p.ecosystem for p in s.scalars(select(PoolRow))}
        served = s.scalars(select(JobRow)).all()
    by_center: dict[str, float] = defaultdict(float)
    by_ecosystem: dict[str, float] = defaultdict(float)
    for r in records:
        by_center[names[r.center_id]] += r.device_seconds / 3600
        by_ecosystem[ecosystem[r.pool_id]] += r.device_seconds / 3600
    assert {c.name: c.device_hours for c in shown.centers if c.device_hours} == dict(by_center)
    assert shown.ecosystems == dict(by_ecosystem) and shown.device_hours == 17
    assert (shown.organisations_served, shown.users_served) == (len({j.organisation_id for j in served}),
                                                                  len({j.user_id for j in served})) == (2, 2)
    assert shown.cities == ["成都", "绵阳"]
    # Per day over the last 14 days: the 20-day-old usage is out of the window, the rest on its start day.
    local = shown.daily_utilisation["local"]
    devices = next(c.devices for c in shown.centers if c.name == "local")
    assert local[-1] == round(3 * 3600 / (devices * 86400), 4) and local[-2] == round(5 * 3600 / (devices * 86400), 4)
