"""Queries for industry indicators, and the platform's own yearly figures from its records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from suanli.db.models.federation import PoolRow
from suanli.db.models.indicators import IndicatorFigureRow, IndicatorRow, IndicatorTargetRow
from suanli.db.models.jobs import UsageRecordRow
from suanli.db.models.organisations import OrganisationRow
from suanli.db.models.vouchers import VoucherRedemptionRow


def by_code(session: Session, code: str) -> IndicatorRow | None:
    return session.scalar(select(IndicatorRow).where(IndicatorRow.code == code))


def list_indicators(session: Session, *, public_only: bool) -> Sequence[IndicatorRow]:
    query = select(IndicatorRow).order_by(IndicatorRow.id)
    if public_only:
        query = query.where(IndicatorRow.public.is_(True))
    return session.scalars(query).all()


def targets(session: Session, indicator_id: int) -> Sequence[IndicatorTargetRow]:
    return session.scalars(select(IndicatorTargetRow).where(IndicatorTargetRow.indicator_id == indicator_id)
                           .order_by(IndicatorTargetRow.year)).all()


def figures(session: Session, indicator_id: int) -> Sequence[IndicatorFigureRow]:
    """Every entry, oldest first (a later entry for a period replaces an earlier one)."""
    return session.scalars(select(IndicatorFigureRow).where(IndicatorFigureRow.indicator_id == indicator_id)
                           .order_by(IndicatorFigureRow.id)).all()


def usage_between(session: Session, start: datetime, end: datetime) -> tuple[int, int, int]:
    """(organisations, cities, device-seconds) of usage that started in [start, end)."""
    window = (UsageRecordRow.started_at >= start, UsageRecordRow.started_at < end)
    orgs = session.scalar(select(func.count(distinct(UsageRecordRow.organisation_id))).where(*window)) or 0
    cities = session.scalar(select(func.count(distinct(OrganisationRow.city)))
                            .join(UsageRecordRow, UsageRecordRow.organisation_id == OrganisationRow.id)
                            .where(*window)) or 0
    seconds = session.scalar(select(func.coalesce(func.sum(UsageRecordRow.device_seconds), 0)).where(*window)) or 0
    return int(orgs), int(cities), int(seconds)


def total_devices(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PoolRow.nodes * PoolRow.devices_per_node), 0))) or 0)


def subsidies_between(session: Session, start: datetime, end: datetime) -> int:
    """Voucher redemptions (核销) standing, in fen, made in [start, end)."""
    return int(session.scalar(select(func.coalesce(func.sum(VoucherRedemptionRow.amount_fen), 0))
                              .where(VoucherRedemptionRow.status != "clawed_back",
                                     VoucherRedemptionRow.created_at >= start,
                                     VoucherRedemptionRow.created_at < end)) or 0)
