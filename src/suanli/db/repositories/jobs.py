"""Queries for jobs, their events and usage records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from suanli.db.models.jobs import JobEventRow, JobRow, UsageRecordRow
from suanli.db.models.ledger import LedgerChargeRow
from suanli.db.repositories.paging import keyset


def get_job(session: Session, job_id: int, *, for_update: bool = False) -> JobRow | None:
    query = select(JobRow).where(JobRow.id == job_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def list_jobs(
    session: Session,
    *,
    organisation_id: int | None,
    user_id: int | None,
    states: Sequence[str],
    offset: int,
    limit: int,
    after: int | None = None,
) -> Sequence[JobRow]:
    query = keyset(select(JobRow), JobRow.id, after=after, descending=True, offset=offset, limit=limit)
    if organisation_id is not None:
        query = query.where(JobRow.organisation_id == organisation_id)
    if user_id is not None:
        query = query.where(JobRow.user_id == user_id)
    if states:
        query = query.where(JobRow.state.in_(states))
    return session.scalars(query).all()


def claim_jobs(session: Session, *, states: Sequence[str], now: datetime, limit: int, placed_only: bool) -> Sequence[JobRow]:
    """Jobs for a worker to act on, locked so two workers on PostgreSQL never take the same one
    (SKIP LOCKED); SQLite serialises writers anyway."""
    query = (
        select(JobRow)
        .where(JobRow.state.in_(states))
        .where(or_(JobRow.next_check_at.is_(None), JobRow.next_check_at <= now))
        .order_by(JobRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if placed_only:
        query = query.where(JobRow.pool_id.is_not(None))
    return session.scalars(query).all()


def job_events(session: Session, job_id: int) -> Sequence[JobEventRow]:
    return session.scalars(select(JobEventRow).where(JobEventRow.job_id == job_id).order_by(JobEventRow.id)).all()


def usage_for_job(session: Session, job_id: int) -> Sequence[UsageRecordRow]:
    return session.scalars(select(UsageRecordRow).where(UsageRecordRow.job_id == job_id).order_by(UsageRecordRow.id)).all()


def charges_for_job(session: Session, job_id: int) -> dict[int, LedgerChargeRow]:
    """The ledger's priced charge of each of a job's usage records, by usage record (a record not yet
    billed has none)."""
    rows = session.scalars(select(LedgerChargeRow).where(LedgerChargeRow.job_id == job_id))
    return {row.usage_record_id: row for row in rows}
