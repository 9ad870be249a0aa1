"""Centers and their pools (offerings), as loaded from a federation file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from suanli.db.models.base import Base, IdMixin


class CenterRow(Base, IdMixin):
    __tablename__ = "centers"
    name: Mapped[str] = mapped_column(String(63), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100), nullable=True)  # `name` is a handle, not a name
    kind: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(100))
    backend_kind: Mapped[str] = mapped_column(String(32))
    backend_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    green_share: Mapped[float] = mapped_column(Float, default=0.0)
    provider_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    health_detail: Mapped[str] = mapped_column(String(500), default="")
    pools: Mapped[list[PoolRow]] = relationship(back_populates="center", order_by="PoolRow.id")


class PoolRow(Base, IdMixin):
    __tablename__ = "pools"
    __table_args__ = (UniqueConstraint("center_id", "name"),)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    model: Mapped[str] = mapped_column(String(32))
    ecosystem: Mapped[str] = mapped_column(String(16))
    device_memory_gb: Mapped[int] = mapped_column(Integer)
    fp16_tflops: Mapped[float] = mapped_column(Float)
    nodes: Mapped[int] = mapped_column(Integer)
    devices_per_node: Mapped[int] = mapped_column(Integer)
    cpus_per_node: Mapped[int] = mapped_column(Integer)
    memory_gb_per_node: Mapped[int] = mapped_column(Integer)
    price_fen_per_device_hour: Mapped[int] = mapped_column(BigInteger)
    partition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    max_nodes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # per job; None: all `nodes`
    free_devices: Mapped[int | None] = mapped_column(Integer, nullable=True)  # last capacity report
    center: Mapped[CenterRow] = relationship(back_populates="pools")

    @property
    def total_devices(self) -> int:
        return self.nodes * self.devices_per_node

    @property
    def job_node_limit(self) -> int:
        """How many nodes one job may span here."""
        return min(self.max_nodes or self.nodes, self.nodes)
