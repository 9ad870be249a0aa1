"""Read-only aggregate queries behind the platform dashboard: who was served, where, how many
device-hours each center and ecosystem delivered, how busy the centers are, and subsidy against budget.
Sums are done in SQL; day bucketing in Python (portable across SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow, UsageRecordRow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import VoucherProgramRow, VoucherRedemptionRow

ACTIVE_STATES = ("dispatched", "running", "cancelling")


def served_counts(session: Session) -> tuple[int, int]:
    """(organisations, users) that submitted at least one job."""
    orgs = session.scalar(select(func.count(distinct(JobRow.organisation_id)))) or 0
    users = session.scalar(select(func.count(distinct(JobRow.user_id)))) or 0
    return int(orgs), int(users)


def cities_served(session: Session) -> list[str]:
    served = select(JobRow.organisation_id).distinct().scalar_subquery()
    query = select(OrganisationRow.city).distinct().where(OrganisationRow.id.in_(served)).order_by(OrganisationRow.city)
    return [c for c in session.scalars(query).all() if c]


def device_seconds_by_center(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(CenterRow.name, CenterRow.name_zh, func.sum(UsageRecordRow.device_seconds))
        .join(UsageRecordRow, UsageRecordRow.center_id == CenterRow.id)
        .group_by(CenterRow.name, CenterRow.name_zh).order_by(CenterRow.name)).all()
    return [(name, zh, int(ds or 0)) for name, zh, ds in rows]


def device_seconds_by_ecosystem(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(PoolRow.ecosystem, func.sum(UsageRecordRow.device_seconds))
        .join(UsageRecordRow, UsageRecordRow.pool_id == PoolRow.id)
        .group_by(PoolRow.ecosystem).order_by(PoolRow.ecosystem)).all()
    return [(eco, int(ds or 0)) for eco, ds in rows]


def center_capacity(session: Session) -> list[tuple[int, str, str, int]]:
    """(center id, name, name_zh, total devices) for every center."""
    rows = session.execute(
        select(CenterRow.id, CenterRow.name, CenterRow.name_zh, func.sum(PoolRow.nodes * PoolRow.devices_per_node))
        .join(PoolRow, PoolRow.center_id == CenterRow.id)
        .group_by(CenterRow.id, CenterRow.name, CenterRow.name_zh).order_by(CenterRow.id)).all()
    return [(cid, name, zh, int(total or 0)) for cid, name, zh, total in rows]


def busy_devices_by_center(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(PoolRow.center_id, func.sum(JobRow.devices)).join(PoolRow, PoolRow.id == JobRow.pool_id)
        .where(JobRow.state.in_(ACTIVE_STATES)).group_by(PoolRow.center_id)).all()
    return {cid: int(n or 0) for cid, n in rows}


def usage_since(session: Session, since: datetime) -> list[tuple[int, datetime, int]]:
    """(center id, started at, device-seconds) of usage that started since `since`."""
    rows = session.execute(
        select(UsageRecordRow.center_id, UsageRecordRow.started_at, UsageRecordRow.device_seconds)
        .where(UsageRecordRow.started_at >= since).order_by(UsageRecordRow.started_at)).all()
    return [(cid, started, int(ds)) for cid, started, ds in rows]


def programs_budget(session: Session) -> list[tuple[str, str, str, int, int, int]]:
    """(code, title_zh, title_en, budget, granted, redeemed) per voucher program, in fen."""
    redeemed = dict(session.execute(
        select(VoucherRedemptionRow.program_id, func.sum(VoucherRedemptionRow.amount_fen))
        .where(VoucherRedemptionRow.status != "clawed_back").group_by(VoucherRedemptionRow.program_id)).all())
    rows = session.scalars(select(VoucherProgramRow).order_by(VoucherProgramRow.id)).all()
    return [(p.code, p.title_zh, p.title_en, int(p.budget_fen), int(p.granted_fen), int(redeemed.get(p.id) or 0))
            for p in rows]
