"""The queries behind the platform dashboard: who was served, where, how many device-hours each center
and ecosystem delivered, how busy the centers are, and subsidy against budget. Served members and
delivered device-seconds come from the aggregates (`db/models/reports.py`), which `count_usage` and
`mark_served` keep in the transactions that meter usage and submit jobs; nothing here scans
`usage_records` or all jobs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.reports import ServedRow, UsageDailyRow
from suanli.db.models.vouchers import VoucherProgramRow, VoucherRedemptionRow
from suanli.db.repositories.dialects import upsert

ACTIVE_STATES = ("dispatched", "running", "cancelling")


# --- kept with the writes they sum ------------------------------------------------------------------------


def count_usage(session: Session, *, center_id: int, ecosystem: str, day: date, device_seconds: int) -> None:
    """Add a usage record's device-seconds to its center's day (call in the transaction that writes it)."""
    statement = upsert(session, UsageDailyRow).values(center_id=center_id, ecosystem=ecosystem, day=day,
                                                       device_seconds=device_seconds)
    session.execute(statement.on_conflict_do_update(
        index_elements=["center_id", "ecosystem", "day"],
        set_={"device_seconds": UsageDailyRow.device_seconds + statement.excluded.device_seconds}))


def mark_served(session: Session, *, organisation_id: int, user_id: int) -> None:
    """Remember that this organisation and user were served (call where a job is submitted)."""
    statement = upsert(session, ServedRow).values([{"kind": "organisation", "member_id": organisation_id},
                                                    {"kind": "user", "member_id": user_id}])
    session.execute(statement.on_conflict_do_nothing(index_elements=["kind", "member_id"]))


# --- read --------------------------------------------------------------------------------------------------


def served_counts(session: Session) -> tuple[int, int]:
    """(organisations, users) that submitted at least one job."""
    counts = dict(session.execute(select(ServedRow.kind, func.count()).group_by(ServedRow.kind)).all())
    return int(counts.get("organisation", 0)), int(counts.get("user", 0))


def cities_served(session: Session) -> list[str]:
    served = select(ServedRow.member_id).where(ServedRow.kind == "organisation").scalar_subquery()
    query = select(OrganisationRow.city).distinct().where(OrganisationRow.id.in_(served)).order_by(OrganisationRow.city)
    return [c for c in session.scalars(query).all() if c]


def device_seconds_by_center(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(CenterRow.name, CenterRow.name_zh, func.sum(UsageDailyRow.device_seconds))
        .join(UsageDailyRow, UsageDailyRow.center_id == CenterRow.id)
        .group_by(CenterRow.name, CenterRow.name_zh).order_by(CenterRow.name)).all()
    return [(name, zh, int(ds or 0)) for name, zh, ds in rows]


def device_seconds_by_ecosystem(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(UsageDailyRow.ecosystem, func.sum(UsageDailyRow.device_seconds))
        .group_by(UsageDailyRow.ecosystem).order_by(UsageDailyRow.ecosystem)).all()
    return [(eco, int(ds or 0)) for eco, ds in rows]


def center_capacity(session: Session) -> list[tuple[int, str, str, str | None, int]]:
    """(center id, name, name_zh, name_en, total devices) for every center."""
    rows = session.execute(
        select(CenterRow.id, CenterRow.name, CenterRow.name_zh, CenterRow.name_en,
               func.sum(PoolRow.nodes * PoolRow.devices_per_node))
        .join(PoolRow, PoolRow.center_id == CenterRow.id)
        .group_by(CenterRow.id, CenterRow.name, CenterRow.name_zh, CenterRow.name_en).order_by(CenterRow.id)).all()
    return [(cid, name, zh, en, int(total or 0)) for cid, name, zh, en, total in rows]


def busy_devices_by_center(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(PoolRow.center_id, func.sum(JobRow.devices)).join(PoolRow, PoolRow.id == JobRow.pool_id)
        .where(JobRow.state.in_(ACTIVE_STATES)).group_by(PoolRow.center_id)).all()
    return {cid: int(n or 0) for cid, n in rows}


def usage_by_day(session: Session, since: date) -> list[tuple[int, date, int]]:
    """(center id, day, device-seconds) of usage that started on or after `since`."""
    rows = session.execute(
        select(UsageDailyRow.center_id, UsageDailyRow.day, func.sum(UsageDailyRow.device_seconds))
        .where(UsageDailyRow.day >= since).group_by(UsageDailyRow.center_id, UsageDailyRow.day)).all()
    return [(cid, day, int(ds or 0)) for cid, day, ds in rows]


def programs_budget(session: Session) -> list[tuple[str, str, str, int, int, int]]:
    """(code, title_zh, title_en, budget, granted, redeemed) per voucher program, in fen."""
    redeemed = dict(session.execute(
        select(VoucherRedemptionRow.program_id, func.sum(VoucherRedemptionRow.amount_fen))
        .where(VoucherRedemptionRow.status != "clawed_back").group_by(VoucherRedemptionRow.program_id)).all())
    rows = session.scalars(select(VoucherProgramRow).order_by(VoucherProgramRow.id)).all()
    return [(p.code, p.title_zh, p.title_en, int(p.budget_fen), int(p.granted_fen), int(redeemed.get(p.id) or 0))
            for p in rows]
