"""Jobs, their state history and metered usage records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, UTCDateTime


class JobRow(Base, IdMixin):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("devices >= 1", name="devices_positive"),
        # The lists' filters with their keyset order (newest first by id): migration 0018.
        Index("ix_jobs_organisation_id_id", "organisation_id", "id"),
        Index("ix_jobs_organisation_id_state_id", "organisation_id", "state", "id"),
        Index("ix_jobs_user_id_id", "user_id", "id"),
        Index("ix_jobs_state_id", "state", "id"),  # the operator's jobs of one state, newest first
        # The search over every tenant's names and commands (PostgreSQL only; migration 0026 leaves them out
        # where pg_trgm cannot be created).
        Index("ix_jobs_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        Index("ix_jobs_command_trgm", "command", postgresql_using="gin", postgresql_ops={"command": "gin_trgm_ops"}),
    )
    name: Mapped[str] = mapped_column(String(128))
    command: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # the ResourceRequest as asked
    devices: Mapped[int] = mapped_column(Integer)
    time_limit_s: Mapped[int] = mapped_column(Integer)
    # None while the job awaits the broker's placement (auto mode).
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pools.id"), index=True, nullable=True)
    backend_job_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unknown_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    placement: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the broker's explanation


class JobEventRow(Base, IdMixin):
    __tablename__ = "job_events"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class UsageRecordRow(Base, IdMixin):
    """One metered step of one job, from the center's own accounting. The unique key makes metering
    exactly-once: a second write of the same (center, backend job, step) is a constraint violation."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("center_id", "backend_job_id", "step"),
        CheckConstraint("device_seconds >= 0 AND core_seconds >= 0 AND wall_seconds >= 0", name="non_negative"),
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    backend_job_id: Mapped[str] = mapped_column(String(128))
    step: Mapped[str] = mapped_column(String(64))
    device_seconds: Mapped[int] = mapped_column(BigInteger)
    core_seconds: Mapped[int] = mapped_column(BigInteger)
    wall_seconds: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(32))
    charge_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # list price of this usage
