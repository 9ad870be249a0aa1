"""Voucher tables (算力券): programs (with the exact file text and its hash), applications, reviews,
grants, wallets, reservations, redemptions (unique per usage record and per claim), clawbacks and
published disclosure lists (公示). Counters on programs and wallets are guarded by CHECK constraints
so no race can take them past the budget or the grant; the ledger holds the money itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, Money, UTCDateTime


class VoucherProgramRow(Base, IdMixin):
    __tablename__ = "voucher_programs"
    __table_args__ = (
        CheckConstraint("granted_fen >= 0 AND returned_fen >= 0 AND clawed_back_fen >= 0", name="non_negative"),
        CheckConstraint("granted_fen <= budget_fen + returned_fen + clawed_back_fen", name="within_budget"),
    )
    code: Mapped[str] = mapped_column(String(63), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    side_mode: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="loaded")  # loaded | open | closed
    budget_fen: Mapped[int] = mapped_column(Money)
    granted_fen: Mapped[int] = mapped_column(Money, default=0)
    returned_fen: Mapped[int] = mapped_column(Money, default=0)  # expired remainders back in the budget
    clawed_back_fen: Mapped[int] = mapped_column(Money, default=0)
    budget_account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    loaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class VoucherApplicationRow(Base, IdMixin):
    __tablename__ = "voucher_applications"
    __table_args__ = (CheckConstraint("requested_fen > 0", name="positive"),)
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    applicant_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(16))
    project: Mapped[str] = mapped_column(String(500))
    project_class: Mapped[str | None] = mapped_column(String(63), nullable=True)
    sector: Mapped[str | None] = mapped_column(String(63), nullable=True)
    requested_fen: Mapped[int] = mapped_column(Money)
    scale_pflops_fp16: Mapped[str | None] = mapped_column(String(32), nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # kind -> metadata (not the files)
    # submitted | in_review | needs_documents (a reviewer asked for more) | approved | rejected | granted
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class VoucherReviewRow(Base, IdMixin):
    __tablename__ = "voucher_reviews"
    __table_args__ = (UniqueConstraint("application_id", "stage"),)  # one act per stage: no double approval
    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), index=True)
    stage: Mapped[str] = mapped_column(String(63))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    approve: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The scale the reviewer verified at a stage with `verifies_scale` (migration 0016), never the claimant's.
    verified_scale_pflops_fp16: Mapped[str | None] = mapped_column(String(32), nullable=True)


class VoucherWalletRow(Base, IdMixin):
    __tablename__ = "voucher_wallets"
    __table_args__ = (
        UniqueConstraint("program_id", "organisation_id"),
        CheckConstraint("reserved_fen >= 0 AND redeemed_fen >= 0 AND returned_fen >= 0", name="non_negative"),
        CheckConstraint("reserved_fen + redeemed_fen + returned_fen <= granted_fen", name="within_grant"),
    )
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_class: Mapped[str | None] = mapped_column(String(63), nullable=True)
    side: Mapped[str] = mapped_column(String(16), default="demand", server_default="demand")  # from the grant
    granted_fen: Mapped[int] = mapped_column(Money, default=0)
    reserved_fen: Mapped[int] = mapped_column(Money, default=0)
    redeemed_fen: Mapped[int] = mapped_column(Money, default=0)
    returned_fen: Mapped[int] = mapped_column(Money, default=0)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | expired
    ledger_account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class VoucherGrantRow(Base, IdMixin):
    __tablename__ = "voucher_grants"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="positive"),)
    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("voucher_wallets.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Money)
    expires_on: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    funder_split: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)  # co-funding (migration 0016)


class VoucherReservationRow(Base, IdMixin):
    """Voucher funds held for a job at admission, posted at completion, the rest released."""

    __tablename__ = "voucher_reservations"
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="non_negative"),)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("voucher_wallets.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Money)  # still held
    hold_transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed


class VoucherRedemptionRow(Base, IdMixin):
    __tablename__ = "voucher_redemptions"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="positive"),
                      Index("ix_voucher_redemptions_idempotency_key", "organisation_id", "idempotency_key",
                            unique=True))
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("voucher_wallets.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Never twice: one redemption per bill (usage record or contract), across every program and both
    # sides; `claim_key` is the bill (migration 0010), so whoever races, the database keeps one.
    usage_record_id: Mapped[int | None] = mapped_column(ForeignKey("usage_records.id"), unique=True, nullable=True)
    claim_key: Mapped[str] = mapped_column(String(200), unique=True)
    basis: Mapped[str] = mapped_column(String(190), index=True)
    side: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(63))
    order_amount_fen: Mapped[int] = mapped_column(Money)
    amount_fen: Mapped[int] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="redeemed")  # redeemed | written_off | clawed_back
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # A client's Idempotency-Key (per organisation) and the SHA-256 of the canonical claim it came with:
    # a retry answers this row, a different claim under the same key is a 409 (migration 0008).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The disbursement batch that paid a `direct_to_claimant` redemption to its claimant (migration 0016).
    batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payee_account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the claimant's payable


class VoucherClawbackRow(Base, IdMixin):
    __tablename__ = "voucher_clawbacks"
    redemption_id: Mapped[int] = mapped_column(ForeignKey("voucher_redemptions.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(2000))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    transfer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class VoucherDisclosureRow(Base, IdMixin):
    """A published disclosure list (公示): the rows as published and their hash."""

    __tablename__ = "voucher_disclosures"
    program_id: Mapped[int] = mapped_column(ForeignKey("voucher_programs.id"), index=True)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rows_hash: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class VoucherContractRow(Base, IdMixin):
    """A contract (合同): declared by its buyer (or created by the platform for an order placed through
    it), confirmed by its provider, whose payment the provider confirms too (two-party attestation).
    `number_key` is the provider's number normalised; `bill` (set at confirmation) is unique, so a
    provider confirms one contract per number, and a claim on it is unique by the same bill."""

    __tablename__ = "voucher_contracts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="positive"),
        CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="paid_within_amount"),
        UniqueConstraint("provider_organisation_id", "buyer_organisation_id", "number_key",
                         name="uq_voucher_contracts_number"),
    )
    provider_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    number: Mapped[str] = mapped_column(String(120))
    number_key: Mapped[str] = mapped_column(String(120))
    bill: Mapped[str | None] = mapped_column(String(190), unique=True, nullable=True)
    amount_fen: Mapped[int] = mapped_column(Money)
    signed_on: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    through_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="declared")  # declared | confirmed | refused
    declared_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    paid_fen: Mapped[int] = mapped_column(Money, default=0)
    payment_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class VoucherDocumentRow(Base, IdMixin):
    """An uploaded evidence document (证明材料) of an application or a contract. The bytes are stored
    content-addressed under the data directory by their SHA-256 (`db/blobs.py`); the row keeps the
    kind, file name, media type, size, the digest and the audit receipt that published the digest."""

    __tablename__ = "voucher_documents"
    __table_args__ = (
        CheckConstraint("(application_id IS NULL) <> (contract_id IS NULL)", name="one_subject"),
        CheckConstraint("size_bytes > 0", name="size"),
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_applications.id"), index=True,
                                                       nullable=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_contracts.id"), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class VoucherDocumentRequestRow(Base, IdMixin):
    """A reviewer's request for more documents (需补充材料) on an application: the stage it was asked
    at, who asked, why and which document types; the application waits in `needs_documents` until
    the applicant answers, then goes back to the state it had (`status_before`). One open request per
    application (a partial unique index), so two reviewers racing cannot both park it."""

    __tablename__ = "voucher_document_requests"
    __table_args__ = (
        Index("uq_voucher_document_requests_open", "application_id", unique=True,
              sqlite_where=text("answered_at IS NULL"), postgresql_where=text("answered_at IS NULL")),
    )
    application_id: Mapped[int] = mapped_column(ForeignKey("voucher_applications.id"), index=True)
    stage: Mapped[str] = mapped_column(String(63))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # Evidence values; empty: "see the reason"
    reason: Mapped[str] = mapped_column(String(2000))
    status_before: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answer: Mapped[str] = mapped_column(String(2000), default="")
