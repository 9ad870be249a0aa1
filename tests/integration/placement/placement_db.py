"""Rows for the broker's integration tests: one organisation and user, a small federation, jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.domain.organisations import Principal, Role
from suanli.domain.resources import accelerator


def seed(session: Session) -> Principal:
    org = OrganisationRow(name="Acme AI", name_zh="某智能", type="enterprise", city="chengdu")
    session.add(org)
    session.flush()
    user = UserRow(username="alice", display_name="Alice", password_hash="x", role="org_member", organisation_id=org.id)
    session.add(user)
    for name, city, green, pools in [
        ("chengdu-ai", "chengdu", 0.3, [("a800", "A800", 2, 8, 1000), ("910b", "Ascend910B", 4, 8, 600)]),
        ("yaan-dc", "yaan", 0.9, [("h800", "H800", 2, 8, 3000)]),
        ("dazhou", "dazhou", 0.1, [("t4", "T4", 4, 4, 200)]),
    ]:
        center = CenterRow(name=name, name_zh=name, kind="ai", city=city, backend_kind="simulated", backend_options={},
                           green_share=green)
        session.add(center)
        session.flush()
        for pool_name, model, nodes, dpn, price in pools:
            acc = accelerator(model)
            session.add(PoolRow(center_id=center.id, name=pool_name, model=model, ecosystem=acc.ecosystem.value,
                                device_memory_gb=acc.memory_gb, fp16_tflops=acc.fp16_tflops, nodes=nodes,
                                devices_per_node=dpn, cpus_per_node=64, memory_gb_per_node=512,
                                price_fen_per_device_hour=price))
    session.flush()
    return Principal(user_id=user.id, username="alice", organisation_id=org.id, role=Role.ORG_MEMBER)


def pool_id(session: Session, name: str) -> int:
    return session.query(PoolRow).filter_by(name=name).one().id


def add_job(session: Session, principal: Principal, *, devices: int, state: str = "queued", pool: int | None = None,
            hours: float = 2, **request) -> JobRow:
    job = JobRow(name="train", command="python train.py", organisation_id=principal.organisation_id,
                 user_id=principal.user_id, state=state, devices=devices, time_limit_s=int(hours * 3600),
                 # The seeded centers are simulated, so the broker's jobs allow them unless a test says otherwise.
                 request={"devices": devices, "ecosystems": [], "models": [], "min_device_memory_gb": 0,
                          "cpus_per_device": 1, "memory_gb_per_device": 0, "allow_simulated": True, **request},
                 pool_id=pool)
    session.add(job)
    session.flush()
    return job
