"""Tables of the ledger capability: accounts, transfers and their legs, accounting periods, priced
charges, invoices, provider settlement statements and disbursement batches.

The invariants live here a second time (CHECK constraints) and a third time in the triggers that
migration 0002 installs (legs sum to zero per transfer, balances maintained from legs, legs are
append-only, closed periods refuse postings). Money is BigInteger fen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, Money, UTCDateTime


class LedgerAccountRow(Base, IdMixin):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("currency = 'CNY'", name="cny_only"),
        CheckConstraint("normal_sign IN (-1, 1)", name="normal_sign"),
        # The balance cache may never show an overdraft on an account that must stay non-negative.
        CheckConstraint("NOT non_negative OR balance_fen * normal_sign >= 0", name="non_negative_balance"),
        Index("ix_ledger_accounts_owner", "owner_kind", "owner_id"),
    )
    code: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(32))
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scope: Mapped[str] = mapped_column(String(100), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    normal_sign: Mapped[int] = mapped_column(SmallInteger)
    non_negative: Mapped[bool] = mapped_column(Boolean)
    # Raw (debit-positive) sum of this account's legs, maintained by a database trigger on leg insert.
    balance_fen: Mapped[int] = mapped_column(Money, default=0)


class LedgerTransferRow(Base, IdMixin):
    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("currency = 'CNY'", name="cny_only"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'posted', 'voided', 'reversed')", name="status"),
        CheckConstraint("posted_fen >= 0 AND released_fen >= 0 AND posted_fen + released_fen <= amount_fen",
                        name="hold_progress"),
        Index("ix_ledger_transfers_source", "source_kind", "source_id"),
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    memo: Mapped[str] = mapped_column(String(500), default="")
    # Where the money movement came from: usage_record / job / grant / batch / reserve_fund / manual.
    source_kind: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(7), index=True)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The hold this post/void settles, or the transfer this reversal undoes.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), nullable=True, index=True)
    # Hold bookkeeping (reserve transfers only).
    debit_account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=True)
    credit_account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=True)
    clearing_account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=True)
    posted_fen: Mapped[int] = mapped_column(Money, default=0)
    released_fen: Mapped[int] = mapped_column(Money, default=0)
    # SQLite checks a transfer's balance when it is sealed and refuses legs on sealed transfers.
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)


class LedgerLegRow(Base):
    __tablename__ = "ledger_legs"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="non_zero"),
        UniqueConstraint("transfer_id", "account_id"),
        # An account's transfers in keyset order (transfer_id) and its sums (amount_fen) from one index (0034).
        Index("ix_ledger_legs_account_transfer", "account_id", "transfer_id", "amount_fen"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_fen: Mapped[int] = mapped_column(Money)  # > 0 debit, < 0 credit


class LedgerPeriodRow(Base, IdMixin):
    __tablename__ = "ledger_periods"
    month: Mapped[str] = mapped_column(String(7), unique=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LedgerChargeRow(Base, IdMixin):
    """One priced usage record: list price, the voucher's subsidy and what the organisation pays.
    Unique per usage record, which makes billing exactly-once."""

    __tablename__ = "ledger_charges"
    __table_args__ = (
        CheckConstraint("list_price_fen = subsidy_fen + amount_due_fen", name="split_adds_up"),
        CheckConstraint("subsidy_fen >= 0 AND amount_due_fen >= 0 AND from_reserve_fen >= 0 AND fee_fen >= 0",
                        name="non_negative"),
        CheckConstraint("from_reserve_fen <= subsidy_fen", name="reserve_within_subsidy"),
    )
    usage_record_id: Mapped[int] = mapped_column(ForeignKey("usage_records.id"), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    device_seconds: Mapped[int] = mapped_column(BigInteger)
    price_fen_per_device_hour: Mapped[int] = mapped_column(Money)
    list_price_fen: Mapped[int] = mapped_column(Money)
    subsidy_fen: Mapped[int] = mapped_column(Money)
    amount_due_fen: Mapped[int] = mapped_column(Money)
    fee_fen: Mapped[int] = mapped_column(Money, default=0)
    from_reserve_fen: Mapped[int] = mapped_column(Money, default=0)
    reserve_account_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=True)
    program: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subsidy_reasons: Mapped[str] = mapped_column(String(1000), default="")
    # The one invoice and the one statement this charge is on (NULL until issued). One column each, so a
    # charge cannot be on two; set only from NULL (`documents.claim_charges`), never changed after.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_statements.id"), nullable=True, index=True)


class InvoiceRow(Base, IdMixin):
    """An organisation's invoice for a month: `sequence` 1 is the month's first, 2, 3... are supplementary
    invoices for charges metered after the previous one was issued."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organisation_id", "month", "sequence"),
        CheckConstraint("list_price_fen = subsidy_fen + amount_due_fen", name="totals_add_up"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    month: Mapped[str] = mapped_column(String(7))
    sequence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    list_price_fen: Mapped[int] = mapped_column(Money)
    subsidy_fen: Mapped[int] = mapped_column(Money)
    amount_due_fen: Mapped[int] = mapped_column(Money)


class InvoiceLineRow(Base, IdMixin):
    __tablename__ = "invoice_lines"
    __table_args__ = (CheckConstraint("list_price_fen = subsidy_fen + amount_due_fen", name="line_adds_up"),)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("ledger_charges.id"), unique=True)
    description: Mapped[str] = mapped_column(String(300))
    device_seconds: Mapped[int] = mapped_column(BigInteger)
    price_fen_per_device_hour: Mapped[int] = mapped_column(Money)
    list_price_fen: Mapped[int] = mapped_column(Money)
    subsidy_fen: Mapped[int] = mapped_column(Money)
    amount_due_fen: Mapped[int] = mapped_column(Money)


class DisbursementBatchRow(Base, IdMixin):
    """拨付批次: statements the finance officer approves at once; paying it settles the providers'
    payables and tops their reserve funds back up."""

    __tablename__ = "disbursement_batches"
    __table_args__ = (CheckConstraint("status IN ('draft', 'approved', 'paid')", name="status"),)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    total_fen: Mapped[int] = mapped_column(Money)
    created_by: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SettlementStatementRow(Base, IdMixin):
    """结算单: what one provider earned in one month and how it is paid; `sequence` > 1 for supplementary
    statements of charges metered after the previous one."""

    __tablename__ = "settlement_statements"
    __table_args__ = (
        UniqueConstraint("provider_account_id", "month", "sequence"),
        CheckConstraint("gross_fen = fee_fen + from_reserve_fen + payable_fen", name="adds_up"),
    )
    number: Mapped[str] = mapped_column(String(32), unique=True)
    provider_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    month: Mapped[str] = mapped_column(String(7))
    sequence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    charges: Mapped[int] = mapped_column(Integer)
    gross_fen: Mapped[int] = mapped_column(Money)  # list price of usage delivered
    subsidy_fen: Mapped[int] = mapped_column(Money)  # paid by vouchers
    fee_fen: Mapped[int] = mapped_column(Money)  # the platform's fee
    from_reserve_fen: Mapped[int] = mapped_column(Money)  # already paid from the reserve fund (备用金)
    payable_fen: Mapped[int] = mapped_column(Money)  # still to pay in the batch
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("disbursement_batches.id"), nullable=True, index=True)
