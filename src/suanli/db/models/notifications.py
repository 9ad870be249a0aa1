"""Notifications (通知): a person's in-site inbox, their choices of what they receive by which channel
and the address mail goes to, the outbox of e-mails the worker hands to the SMTP relay, and the
notifier's cursors over the facts it reads (the audit log, job history), and signed webhooks with
their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suanli.db.models.base import Base, IdMixin, UTCDateTime, utcnow


class NotificationRow(Base, IdMixin):
    __tablename__ = "notifications"
    # One notice per person per fact: deriving it again (a retried step) inserts nothing.
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    subject_zh: Mapped[str] = mapped_column(String(300))
    subject_en: Mapped[str] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(String(2000), default="")
    body_en: Mapped[str] = mapped_column(String(2000), default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationSettingsRow(Base):
    """What one person chose: an e-mail address, and the kinds they do not want in the inbox or by mail."""

    __tablename__ = "notification_settings"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    muted_inbox: Mapped[list[str]] = mapped_column(JSON, default=list)
    muted_email: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboundEmailRow(Base, IdMixin):
    """One mail per person per fact (as the inbox: the same key), whether or not the inbox shows it."""

    __tablename__ = "outbound_emails"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationCursorRow(Base):
    """How far the notifier has read a source (`audit`: the last event seq; `jobs`: the last job event id)."""

    __tablename__ = "notification_cursors"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookEndpointRow(Base, IdMixin):
    """A person's signed webhook: notices of the chosen kinds are POSTed to `url` as JSON, signed with
    HMAC-SHA256 under `secret` (shown to its owner, who verifies with it)."""

    __tablename__ = "webhook_endpoints"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class WebhookDeliveryRow(Base, IdMixin):
    """One notice to one endpoint, its attempts and their outcome (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "key"),)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
