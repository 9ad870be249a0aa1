"""Queries the broker needs: pools with their centers, load per pool and per organisation, and the
jobs awaiting placement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from suanli.db.models.federation import PoolRow
from suanli.db.models.jobs import JobRow
from suanli.domain.jobs import ACTIVE_STATES, JobState

# States in which a job holds its pool's devices (a queued job with a pool is placed, awaiting dispatch).
HOLDING = [s.value for s in ACTIVE_STATES if s not in (JobState.QUEUED,)]


@dataclass(slots=True)
class PoolLoad:
    held_devices: int = 0  # devices of active jobs on the pool
    queued_device_hours: float = 0.0  # work handed to the center but not yet running there
    remaining_hours: list[float] | None = None  # time left of each running job


def pools_with_centers(session: Session) -> Sequence[PoolRow]:
    return session.scalars(select(PoolRow).options(selectinload(PoolRow.center)).order_by(PoolRow.id)).all()


def simulated_pool_ids(session: Session) -> frozenset[int]:
    """Pools of simulated centers (virtual time: a command sent there never runs)."""
    from suanli.db.models.federation import CenterRow

    return frozenset(session.scalars(select(PoolRow.id).join(CenterRow, CenterRow.id == PoolRow.center_id)
                                     .where(CenterRow.backend_kind == "simulated")).all())


def active_jobs_on_pools(session: Session) -> Sequence[tuple[int, int, str, int, int, datetime | None]]:
    """(pool_id, organisation_id, state, devices, time_limit_s, started_at) of every job holding or
    about to hold devices."""
    placed = (JobRow.state == JobState.QUEUED.value) & JobRow.pool_id.is_not(None)
    rows = session.execute(
        select(JobRow.pool_id, JobRow.organisation_id, JobRow.state, JobRow.devices, JobRow.time_limit_s, JobRow.started_at)
        .where(JobRow.state.in_(HOLDING) | placed)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def load_per_pool(session: Session, now: datetime) -> dict[int, PoolLoad]:
    loads: dict[int, PoolLoad] = defaultdict(PoolLoad)
    for pool_id, _org, state, devices, limit_s, started in active_jobs_on_pools(session):
        load = loads[pool_id]
        load.held_devices += devices
        if state in (JobState.QUEUED.value, JobState.DISPATCHED.value):
            load.queued_device_hours += devices * limit_s / 3600
        elif state == JobState.RUNNING.value and started is not None:
            left = max(limit_s - (now - started).total_seconds(), 0.0) / 3600
            load.remaining_hours = [*(load.remaining_hours or []), left]
    return dict(loads)


def devices_per_organisation(session: Session) -> dict[int, int]:
    usage: dict[int, int] = defaultdict(int)
    for _pool, org, _state, devices, _limit, _started in active_jobs_on_pools(session):
        usage[org] += devices
    return dict(usage)


def jobs_awaiting_placement(session: Session, limit: int) -> Sequence[JobRow]:
    """Queued jobs without a pool, oldest first."""
    return session.scalars(
        select(JobRow).where(JobRow.state == JobState.QUEUED.value, JobRow.pool_id.is_(None))
        .order_by(JobRow.id).limit(limit)
    ).all()
