"""Aggregates behind the public dashboard: device-seconds per center, ecosystem and day, and the
organisations and users ever served. Each is written in the same transaction as the fact it sums
(a usage record, metered exactly once by the worker; a job submission), so the dashboard reads a
few hundred rows, exact, at a year of a province's data as on the first day (it summed
`usage_records` and counted distinct jobs over every job on each request before)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base


class UsageDailyRow(Base):
    __tablename__ = "report_usage_daily"

    center_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the usage's start day (UTC)
    device_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


class ServedRow(Base):
    __tablename__ = "report_served"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # organisation | user
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
