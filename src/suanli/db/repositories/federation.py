"""Queries for centers and pools."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow
from suanli.domain.jobs import ACTIVE_STATES, JobState


def list_centers(session: Session) -> Sequence[CenterRow]:
    return session.scalars(select(CenterRow).options(selectinload(CenterRow.pools)).order_by(CenterRow.id)).all()


def center_by_name(session: Session, name: str) -> CenterRow | None:
    return session.scalar(select(CenterRow).where(CenterRow.name == name))


def get_center(session: Session, center_id: int) -> CenterRow | None:
    return session.get(CenterRow, center_id)


def get_pool(session: Session, pool_id: int) -> PoolRow | None:
    return session.get(PoolRow, pool_id)


def list_pools(session: Session) -> Sequence[PoolRow]:
    return session.scalars(select(PoolRow).options(selectinload(PoolRow.center)).order_by(PoolRow.id)).all()


def pool_by_names(session: Session, center: str, pool: str) -> PoolRow | None:
    return session.scalar(
        select(PoolRow).join(CenterRow).where(CenterRow.name == center, PoolRow.name == pool)
    )


def devices_in_use(session: Session) -> dict[int, int]:
    """Devices held by active jobs per pool: the platform's own view of load."""
    held = [s.value for s in ACTIVE_STATES if s != JobState.QUEUED]
    rows = session.execute(
        select(JobRow.pool_id, func.sum(JobRow.devices)).where(JobRow.state.in_(held)).group_by(JobRow.pool_id)
    ).all()
    return {pool_id: int(total) for pool_id, total in rows if pool_id is not None}
