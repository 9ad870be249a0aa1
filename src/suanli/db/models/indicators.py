"""Industry indicators (产业指标): definitions with their yearly targets, and the figures the bureau
enters or imports per period (every entry kept, the newest counts)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin

Value = Numeric(24, 4)


class IndicatorRow(Base, IdMixin):
    __tablename__ = "indicators"
    code: Mapped[str] = mapped_column(String(63), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit_zh: Mapped[str] = mapped_column(String(32))
    unit_en: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))  # year | quarter
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text, default="")
    platform_metric: Mapped[str | None] = mapped_column(String(63), nullable=True)
    public: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))


class IndicatorTargetRow(Base, IdMixin):
    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Value)
    source: Mapped[str] = mapped_column(Text, default="")


class IndicatorFigureRow(Base, IdMixin):
    __tablename__ = "indicator_figures"
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))  # "2024" or "2024Q3"
    value: Mapped[Decimal] = mapped_column(Value)
    source: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(64))
