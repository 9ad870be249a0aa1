"""Tables of the transparency log (审计日志): events (the leaves), complete subtree hashes, signed
tree heads, the single log-state row whose lock serialises the sequencer, and the outbox business
transactions append to (insert-only; the sequencer moves its rows into the log, see services/audit.py).

`audit_nodes` keeps only levels >= 1; level 0 (leaf hashes) lives on `audit_events.leaf_hash`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, UTCDateTime, utcnow

LOG_STATE_ID = 1


class AuditLogState(Base):
    """One row: the tree size and the frontier (complete subtrees covering the tree, largest first)."""

    __tablename__ = "audit_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    frontier: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_organisation_id_seq", "organisation_id", "seq"),  # an org's page
        Index("ix_audit_events_kind_seq", "kind", "seq"),  # one kind's page; the kinds' skip scan
        Index("ix_audit_events_subject", "subject"),  # the search: one subject's entries
        Index("ux_audit_events_outbox_id", "outbox_id", unique=True),  # nothing sequenced twice
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # leaf index
    kind: Mapped[str] = mapped_column(String(100), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    canonical: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # None: appended before 0027


class AuditOutbox(Base):
    """An event a business transaction wrote, waiting for the sequencer to give it its place (seq)."""

    __tablename__ = "audit_outbox"
    # Ids are never reused (SQLite would hand out max(rowid) + 1 again once the sequencer emptied the
    # table): `audit_events.outbox_id` is unique, and a receipt is asked for by outbox id.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    kind: Mapped[str] = mapped_column(String(100), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    organisation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # canonical JSON of the normalised payload
    recorded_at: Mapped[str] = mapped_column(String(40), nullable=False)  # as the event document names it


class AuditNode(Base):
    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class AuditTreeHead(Base):
    """A signed tree head (checkpoint)."""

    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
