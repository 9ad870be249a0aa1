"""Data exchange tables (数据交易所): trader roles (数商), products and versions, content-addressed
blobs, review steps, public-notice objections (公示异议), certificates (one per version, enforced
by a unique column), orders under a contract, scoped API keys with metered calls, compute runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, Money, UTCDateTime


class ExchangeMembershipRow(Base, IdMixin):
    __tablename__ = "exchange_memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "role"),)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    statement: Mapped[str] = mapped_column(String(2000), default="")
    applied_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(2000), default="")


class ExchangeProductRow(Base, IdMixin):
    __tablename__ = "exchange_products"
    __table_args__ = (CheckConstraint("price_fen >= 0", name="price_non_negative"),)
    supplier_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(1000))
    legal_basis: Mapped[str] = mapped_column(String(1000))
    pi_level: Mapped[str] = mapped_column(String(16))
    update_frequency: Mapped[str] = mapped_column(String(64))
    sample: Mapped[str] = mapped_column(Text, default="")
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    delivery_mode: Mapped[str] = mapped_column(String(16), index=True)
    price_model: Mapped[str] = mapped_column(String(16))
    price_fen: Mapped[int] = mapped_column(Money)
    licence: Mapped[str] = mapped_column(Text)
    center: Mapped[str | None] = mapped_column(String(63), nullable=True)
    pool: Mapped[str | None] = mapped_column(String(63), nullable=True)
    search_text: Mapped[str] = mapped_column(Text)
    registered: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # some version certified


class ExchangeBlobRow(Base, IdMixin):
    """Content-addressed bytes: the row's key is the SHA-256 of its content."""

    __tablename__ = "exchange_blobs"
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ExchangeVersionRow(Base, IdMixin):
    __tablename__ = "exchange_versions"
    __table_args__ = (UniqueConstraint("product_id", "label"),)
    product_id: Mapped[int] = mapped_column(ForeignKey("exchange_products.id"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    assessor_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notice_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notice_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(2000), default="")


class ExchangeReviewStepRow(Base, IdMixin):
    __tablename__ = "exchange_review_steps"
    __table_args__ = (UniqueConstraint("version_id", "stage"),)
    version_id: Mapped[int] = mapped_column(ForeignKey("exchange_versions.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(2000), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))


class ExchangeObjectionRow(Base, IdMixin):
    __tablename__ = "exchange_objections"
    version_id: Mapped[int] = mapped_column(ForeignKey("exchange_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(5000))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | upheld | dismissed
    resolution: Mapped[str] = mapped_column(String(2000), default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExchangeCertificateRow(Base, IdMixin):
    __tablename__ = "exchange_certificates"
    version_id: Mapped[int] = mapped_column(ForeignKey("exchange_versions.id"), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("exchange_products.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # body, key_id, signature, receipt
    digest: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ExchangeOrderRow(Base, IdMixin):
    __tablename__ = "exchange_orders"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND used >= 0 AND used <= quantity", name="within_quantity"),
        CheckConstraint("total_fen >= 0 AND fee_fen >= 0 AND subsidy_fen >= 0 AND fee_fen <= total_fen "
                        "AND subsidy_fen <= total_fen", name="amounts"),
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("exchange_products.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("exchange_versions.id"))
    buyer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    contract: Mapped[dict[str, Any]] = mapped_column(JSON)
    contract_sha256: Mapped[str] = mapped_column(String(64))
    delivery_mode: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    unit_price_fen: Mapped[int] = mapped_column(Money)
    total_fen: Mapped[int] = mapped_column(Money)
    fee_fen: Mapped[int] = mapped_column(Money)
    subsidy_fen: Mapped[int] = mapped_column(Money, default=0)
    voucher_program_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_programs.id"), nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="settled")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # subscriptions
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ExchangeApiKeyRow(Base, IdMixin):
    __tablename__ = "exchange_api_keys"
    order_id: Mapped[int] = mapped_column(ForeignKey("exchange_orders.id"), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("exchange_products.id"))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ExchangeApiCallRow(Base, IdMixin):
    __tablename__ = "exchange_api_calls"
    order_id: Mapped[int] = mapped_column(ForeignKey("exchange_orders.id"), index=True)
    rows: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(Integer)


class ExchangeComputeRunRow(Base, IdMixin):
    __tablename__ = "exchange_compute_runs"
    order_id: Mapped[int] = mapped_column(ForeignKey("exchange_orders.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
