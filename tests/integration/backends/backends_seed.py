"""Rows a metering test needs: an organisation, a user, a center with one pool, and jobs on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.backends.base import Backend
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobEventRow, JobRow
from suanli.db.models.organisations import OrganisationRow, UserRow

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def seed_center(session: Session, *, name: str, kind: str, options: dict[str, Any], model: str = "A800",
                devices: int = 16, partition: str | None = None, price: int = 1_000) -> PoolRow:
    if session.query(OrganisationRow).count() == 0:
        org = OrganisationRow(name="lab", name_zh="实验室", type="sme", city="Chengdu")
        session.add(org)
        session.flush()
        session.add(UserRow(username="u", display_name="U", password_hash="x", role="org_member",
                            organisation_id=org.id))
    center = CenterRow(name=name, name_zh=name, kind="ai", city="Chengdu", backend_kind=kind, backend_options=options)
    session.add(center)
    session.flush()
    pool = PoolRow(center_id=center.id, name="gpu", model=model, ecosystem="cuda", device_memory_gb=80,
                   fp16_tflops=312.0, nodes=devices // 8 or 1, devices_per_node=min(8, devices), cpus_per_node=64,
                   memory_gb_per_node=512, price_fen_per_device_hour=price, partition=partition)
    session.add(pool)
    session.flush()
    return pool


def seed_job(session: Session, pool: PoolRow, *, state: str, backend_job_id: str | None, devices: int = 1,
             command: str = "sleep 3600", before_unknown: str = "running") -> JobRow:
    org = session.query(OrganisationRow).first()
    user = session.query(UserRow).first()
    job = JobRow(name="j", command=command, organisation_id=org.id, user_id=user.id, state=state,
                 request={"devices": devices}, devices=devices, time_limit_s=86_400, pool_id=pool.id,
                 backend_job_id=backend_job_id, retries=0)
    session.add(job)
    session.flush()
    if state == "unknown":
        session.add(JobEventRow(job_id=job.id, from_state=before_unknown, to_state="unknown", reason="test"))
        job.unknown_since = T0
    session.flush()
    return job


class Adapters:
    """Hands out the adapter a test built for each center (the platform's BackendCache builds them
    from the center row; tests need adapters with an injected clock or a fault)."""

    def __init__(self, **by_center: Backend) -> None:
        self.by_center = by_center

    def for_center(self, center: CenterRow) -> Backend:
        return self.by_center[center.name]
