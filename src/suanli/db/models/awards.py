"""Incentive awards (政策兑现): award program files, applications with their decision, the benefit bases
no two awards may pay, and the organisation profile's facts (一企一档) with source and date.

The database enforces what concurrency could break: each organisation holds an item's once-only key
(the item, a tier, a standard) once; a ranked item's places are unique and never above its number of
places; a product, contract or expense is paid by one award only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, Money, UTCDateTime


class AwardItemRow(Base, IdMixin):
    __tablename__ = "award_items"
    code: Mapped[str] = mapped_column(String(63), unique=True)
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    family: Mapped[str] = mapped_column(String(63))
    text: Mapped[str] = mapped_column(Text)
    loaded_by: Mapped[str] = mapped_column(String(64))


class AwardApplicationRow(Base, IdMixin):
    __tablename__ = "award_applications"
    __table_args__ = (
        UniqueConstraint("item_id", "organisation_id", "once_key"),
        UniqueConstraint("item_id", "place"),
        CheckConstraint("place IS NULL OR (place >= 1 AND place <= places)", name="place_within_places"),
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("award_items.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(190))
    once_key: Mapped[str] = mapped_column(String(190))  # "once", a tier id or the basis (schedules)
    status: Mapped[str] = mapped_column(String(16), default="decided")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    parties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # party -> [organisation, fen]
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    place: Mapped[int | None] = mapped_column(Integer, nullable=True)
    places: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the item's places when ranked
    decided_by: Mapped[str] = mapped_column(String(64))


class AwardBenefitRow(Base, IdMixin):
    """One paid basis (product, contract, expense): unique across every award."""

    __tablename__ = "award_benefits"
    basis: Mapped[str] = mapped_column(String(190), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("award_applications.id"), index=True)


class AwardPayoutRow(Base, IdMixin):
    """What a decided award owes one party (migration 0021): moved at decision from the item's budget to
    the party's claimant payable; the finance disbursement batch (拨付批次) that takes it pays it out of
    cash, as for a direct-to-claimant voucher. One row per (application, party)."""

    __tablename__ = "award_payouts"
    __table_args__ = (UniqueConstraint("application_id", "party"),
                      CheckConstraint("status IN ('owed', 'paid')", name="status"),
                      CheckConstraint("amount_fen > 0", name="amount_positive"))
    application_id: Mapped[int] = mapped_column(ForeignKey("award_applications.id"), index=True)
    party: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Money)
    payee_account_id: Mapped[int] = mapped_column(Integer)  # the party's claimant payable (awards)
    transfer_id: Mapped[int] = mapped_column(Integer)  # budget -> payable, at decision
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("disbursement_batches.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="owed")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AwardDisclosureRow(Base, IdMixin):
    """A published award disclosure list (公示, migration 0021): the rows as published and their hash."""

    __tablename__ = "award_disclosures"
    item_id: Mapped[int] = mapped_column(ForeignKey("award_items.id"), index=True)
    published_by: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rows_hash: Mapped[str] = mapped_column(String(64))


class ProfileFactRow(Base, IdMixin):
    __tablename__ = "organisation_profile_facts"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    as_of: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
