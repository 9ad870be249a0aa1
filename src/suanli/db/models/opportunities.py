"""The AI opportunity list (机会清单): publication batches, items, their search terms, matching requests
(对接) with their history, and evaluations of closed items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, UTCDateTime


class OpportunityBatchRow(Base, IdMixin):
    __tablename__ = "opportunity_batches"
    title: Mapped[str] = mapped_column(String(200))
    issuer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    prepared_by: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OpportunityRow(Base, IdMixin):
    __tablename__ = "opportunities"
    __table_args__ = (UniqueConstraint("code"),)
    batch_id: Mapped[int] = mapped_column(ForeignKey("opportunity_batches.id"), index=True)
    code: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    track: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200))
    issuer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True,
                                                                index=True)
    region: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    indicators: Mapped[str] = mapped_column(Text, default="")
    budget_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    contact_name: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(Text, default="")
    compute_devices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    compute_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    compute_models: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OpportunityTermRow(Base):
    """One search term of one item (see domain/opportunities/search.py)."""

    __tablename__ = "opportunity_terms"
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class OpportunityMatchRow(Base, IdMixin):
    __tablename__ = "opportunity_matches"
    __table_args__ = (UniqueConstraint("opportunity_id", "requester_organisation_id"),)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    requester_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome_amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class OpportunityMatchEventRow(Base, IdMixin):
    __tablename__ = "opportunity_match_events"
    match_id: Mapped[int] = mapped_column(ForeignKey("opportunity_matches.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class OpportunityEvaluationRow(Base, IdMixin):
    __tablename__ = "opportunity_evaluations"
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    matches: Mapped[int] = mapped_column(Integer, default=0)
    deals: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_by: Mapped[str] = mapped_column(String(64))
