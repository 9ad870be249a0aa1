"""A small world for voucher use cases: a city bureau, two applicant organisations, officers, a
designated center with a pool, and helpers to create jobs with metered usage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.organisations import OrganisationRow, UserRow
from suanli.db.uow import unit_of_work
from suanli.domain.organisations import Principal, Role

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"


@dataclass
class World:
    bureau: Principal
    officer2: Principal
    finance: Principal
    sme_admin: Principal
    big_admin: Principal
    bureau_member_org_admin: Principal  # an org admin of the bureau itself (own-organisation case)
    center_id: int
    pool_id: int
    provider_admin: Principal  # the administrator of the provider that operates the center
    operator: Principal  # the platform operator, who records the orders placed through the platform


def confirmed_contract(sessions: sessionmaker[Session], world: World, buyer: Principal, number: str,
                       amount_fen: int = 100_000, *, paid: bool = True, kind: str = "compute",
                       through_platform: bool = True) -> int:
    """A contract the center's provider confirmed (and confirmed paid): an order the platform recorded
    for `buyer` (through the platform), or one the buyer declared itself."""
    from datetime import date

    from suanli.services import vouchers as svc

    with unit_of_work(sessions) as s:
        row = svc.declare_contract(s, command=svc.DeclareContract(
            world.provider_admin.organisation_id, number, amount_fen, date(2023, 2, 1), 12,
            [{"kind": kind, "amount_fen": amount_fen}], buyer.organisation_id if through_platform else None),
            actor=world.operator if through_platform else buyer)
        svc.confirm_contract(s, contract_id=row.id, actor=world.provider_admin)
        if paid:
            svc.confirm_payment(s, contract_id=row.id, actor=world.provider_admin, paid_fen=amount_fen)
        return row.id


def _org(session: Session, name: str, type_: str, *, sme: bool = False, sectors: list[str] | None = None,
         city: str = "成都") -> OrganisationRow:
    row = OrganisationRow(name=name, name_zh=name, type=type_, city=city, sectors=sectors or [], sme=sme,
                          incubator=None, affiliated_centers=[], demo=False)
    session.add(row)
    session.flush()
    return row


def _user(session: Session, name: str, role: Role, org: OrganisationRow) -> Principal:
    row = UserRow(username=name, display_name=name, password_hash="x", role=role.value, organisation_id=org.id,
                  active=True)
    session.add(row)
    session.flush()
    return Principal(row.id, name, org.id, role)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with unit_of_work(sessions) as s:
        bureau = _org(s, "chengdu-bureau", "government")
        sme = _org(s, "rongcheng-ai", "enterprise", sme=True, sectors=["healthcare"])
        big = _org(s, "big-corp", "enterprise", sme=False)
        provider = _org(s, "nscc", "provider")
        platform = _org(s, "platform", "platform")
        center = CenterRow(name="nscc-chengdu", name_zh="国家超算成都中心", kind="supercomputing", city="成都",
                           backend_kind="local", backend_options={}, green_share=0.0, healthy=True, health_detail="",
                           provider_organisation_id=provider.id)
        s.add(center)
        s.flush()
        pool = PoolRow(center_id=center.id, name="gpu", model="A100", ecosystem="cuda", device_memory_gb=80,
                       fp16_tflops=312.0, nodes=1, devices_per_node=8, cpus_per_node=64, memory_gb_per_node=512,
                       price_fen_per_device_hour=1500)
        s.add(pool)
        s.flush()
        return World(_user(s, "officer", Role.PROGRAM_OFFICER, bureau), _user(s, "officer2", Role.PROGRAM_OFFICER, bureau),
                     _user(s, "finance", Role.FINANCE_OFFICER, bureau), _user(s, "sme", Role.ORG_ADMIN, sme),
                     _user(s, "big", Role.ORG_ADMIN, big), _user(s, "bureau-admin", Role.ORG_ADMIN, bureau),
                     center.id, pool.id, _user(s, "nscc-admin", Role.PROVIDER_ADMIN, provider),
                     _user(s, "operator", Role.PLATFORM_OPERATOR, platform))


@pytest.fixture
def contract(sessions: sessionmaker[Session], world: World) -> Callable[..., int]:
    """`contract(buyer, number, amount_fen=..., paid=True)`: a confirmed contract's id (see `confirmed_contract`)."""

    def make(buyer: Principal, number: str, amount_fen: int = 100_000, **kw: object) -> int:
        return confirmed_contract(sessions, world, buyer, number, amount_fen, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def metered(world: World) -> Callable[..., tuple[int, int]]:
    """Create a job for `who` with one usage record charged `charge_fen`; returns (job id, usage id)."""

    def make(session: Session, who: Principal, charge_fen: int, step: str = "0") -> tuple[int, int]:
        now = datetime(2023, 3, 1, tzinfo=UTC)
        job = JobRow(name="train", command="true", organisation_id=who.organisation_id, user_id=who.user_id,
                     state="completed", request={}, devices=1, time_limit_s=3600, pool_id=world.pool_id)
        session.add(job)
        session.flush()
        usage = UsageRecordRow(job_id=job.id, center_id=world.center_id, pool_id=world.pool_id,
                               organisation_id=who.organisation_id, backend_job_id=f"b{job.id}", step=step,
                               device_seconds=3600, core_seconds=0, wall_seconds=3600, started_at=now, ended_at=now,
                               source="test", charge_fen=charge_fen)
        session.add(usage)
        session.flush()
        return job.id, usage.id

    return make
