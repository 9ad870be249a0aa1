"""SQL of the notifications: the notifier's cursors and the facts it reads after them, recipients by
role, people's settings, the inbox and the e-mail outbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from suanli.db.models.audit import AuditEvent
from suanli.db.models.awards import ProfileFactRow
from suanli.db.models.jobs import JobEventRow, JobRow
from suanli.db.models.notifications import (
    NotificationCursorRow,
    NotificationRow,
    NotificationSettingsRow,
    OutboundEmailRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
)
from suanli.db.models.organisations import UserRow
from suanli.db.models.vouchers import VoucherProgramRow, VoucherWalletRow


def cursor(session: Session, name: str, *, start: Callable[[], int] = lambda: 0) -> NotificationCursorRow:
    """The cursor `name`; one that does not exist yet starts at `start()` (its first run)."""
    row = session.get(NotificationCursorRow, name)
    if row is None:
        row = NotificationCursorRow(name=name, position=start())
        session.add(row)
        session.flush()
    return row


def last_audit_seq_before(session: Session, at: datetime) -> int:
    """The last audit event recorded before `at` (0: none); read once, at the notifier's first run."""
    return int(session.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.created_at < at)) or 0)


def last_job_event_before(session: Session, at: datetime) -> int:
    return int(session.scalar(select(func.max(JobEventRow.id)).where(JobEventRow.created_at < at)) or 0)


def events_after(session: Session, seq: int, kinds: Sequence[str], limit: int) -> list[tuple[AuditEvent, dict[str, Any]]]:
    """Audit events after `seq` of the given kinds, with their payload."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq).limit(limit)).all()
    out = []
    for row in rows:
        payload = json.loads(row.canonical).get("payload", {}) if row.kind in kinds else {}
        out.append((row, payload))
    return out


def job_events_after(session: Session, event_id: int, limit: int) -> list[tuple[int, str, JobRow]]:
    """(event id, state moved to, job) of the job history after `event_id`, oldest first."""
    rows = session.execute(select(JobEventRow.id, JobEventRow.to_state, JobRow).join(JobRow, JobRow.id == JobEventRow.job_id)
                           .where(JobEventRow.id > event_id).order_by(JobEventRow.id).limit(limit)).all()
    return [(int(eid), str(state), job) for eid, state, job in rows]


def users(session: Session, *, roles: Sequence[str], organisation_id: int | None = None) -> list[UserRow]:
    query = select(UserRow).where(UserRow.role.in_(roles), UserRow.active.is_(True)).order_by(UserRow.id)
    if organisation_id is not None:
        query = query.where(UserRow.organisation_id == organisation_id)
    return list(session.scalars(query).all())


def settings_of(session: Session, user_id: int) -> NotificationSettingsRow | None:
    return session.get(NotificationSettingsRow, user_id)


def save_settings(session: Session, user_id: int, *, email: str | None, muted_inbox: list[str],
                  muted_email: list[str], now: datetime) -> NotificationSettingsRow:
    row = session.get(NotificationSettingsRow, user_id)
    if row is None:
        row = NotificationSettingsRow(user_id=user_id)
        session.add(row)
    row.email, row.muted_inbox, row.muted_email, row.updated_at = email, muted_inbox, muted_email, now
    session.flush()
    return row


def notified(session: Session, user_id: int, key: str) -> bool:
    """Whether this fact was already told to this person (inbox or mail)."""
    inbox_row = select(NotificationRow.id).where(NotificationRow.user_id == user_id, NotificationRow.key == key)
    mail_row = select(OutboundEmailRow.id).where(OutboundEmailRow.user_id == user_id, OutboundEmailRow.key == key)
    return session.scalar(inbox_row) is not None or session.scalar(mail_row) is not None


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def inbox(session: Session, user_id: int, *, unread_only: bool, offset: int, limit: int) -> tuple[list[NotificationRow], int]:
    query = select(NotificationRow).where(NotificationRow.user_id == user_id)
    if unread_only:
        query = query.where(NotificationRow.read_at.is_(None))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(NotificationRow.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def unread_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(NotificationRow)
                              .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))) or 0)


def get_notification(session: Session, notification_id: int) -> NotificationRow | None:
    return session.get(NotificationRow, notification_id)


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(update(NotificationRow).where(NotificationRow.user_id == user_id,
                                                           NotificationRow.read_at.is_(None)).values(read_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


LEASED = "sending"  # claimed by a worker until `next_attempt_at` (the lease's end)


def claim_due(session: Session, model: type[Any], *, now: datetime, lease_until: datetime, limit: int) -> list[Any]:
    """Claim up to `limit` due rows of the outbox `model` (mail or webhook deliveries): pending ones
    whose time has come and leased ones whose lease ran out (their worker died). A claim counts an
    attempt and moves `next_attempt_at` to the lease's end; the attempt count is the claim's token,
    so a worker whose lease another took over records nothing. PostgreSQL skips rows another
    worker is claiming at this moment (SKIP LOCKED); on both databases the conditional UPDATE lets
    exactly one claimant have each row."""
    due = (select(model.id, model.attempts)
           .where(model.status.in_(("pending", LEASED)), model.next_attempt_at <= now)
           .order_by(model.next_attempt_at, model.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    for row_id, attempts in session.execute(due).all():
        result = session.execute(update(model)
                                 .where(model.id == row_id, model.attempts == attempts,
                                        model.status.in_(("pending", LEASED)), model.next_attempt_at <= now)
                                 .values(status=LEASED, attempts=int(attempts or 0) + 1, next_attempt_at=lease_until)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row_id)
    if not claimed:
        return []
    return list(session.scalars(select(model).where(model.id.in_(claimed))
                                .order_by(model.id).execution_options(populate_existing=True)).all())


def finish_claim(session: Session, model: type[Any], row_id: int, attempt: int, **values: Any) -> bool:
    """Record the outcome of the claim `attempt` of a row; False when the lease was lost meanwhile
    (another worker claimed the row again after it ran out)."""
    result = session.execute(update(model).where(model.id == row_id, model.attempts == attempt, model.status == LEASED)
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def emails(session: Session, *, status: str | None = None) -> list[OutboundEmailRow]:
    query = select(OutboundEmailRow).order_by(OutboundEmailRow.id)
    if status is not None:
        query = query.where(OutboundEmailRow.status == status)
    return list(session.scalars(query).all())


def wallets_expiring(session: Session, *, on_or_before: date, today: date) -> list[tuple[VoucherWalletRow, VoucherProgramRow]]:
    """Active wallets with a balance left that expire between today and the given day."""
    rows = session.execute(select(VoucherWalletRow, VoucherProgramRow)
                           .join(VoucherProgramRow, VoucherProgramRow.id == VoucherWalletRow.program_id)
                           .where(VoucherWalletRow.status == "active", VoucherWalletRow.expires_on <= on_or_before,
                                  VoucherWalletRow.expires_on >= today,
                                  VoucherWalletRow.granted_fen > VoucherWalletRow.reserved_fen + VoucherWalletRow.redeemed_fen
                                  + VoucherWalletRow.returned_fen)
                           .order_by(VoucherWalletRow.id)).all()
    return [(w, p) for w, p in rows]


def endpoints_of(session: Session, user_id: int, *, active_only: bool = False) -> list[Any]:
    query = select(WebhookEndpointRow).where(WebhookEndpointRow.user_id == user_id).order_by(WebhookEndpointRow.id)
    if active_only:
        query = query.where(WebhookEndpointRow.active.is_(True))
    return list(session.scalars(query).all())


def delivery_exists(session: Session, endpoint_id: int, key: str) -> bool:
    return session.scalar(select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.endpoint_id == endpoint_id,
                                                              WebhookDeliveryRow.key == key)) is not None


def endpoint_of(session: Session, endpoint_id: int) -> WebhookEndpointRow | None:
    return session.get(WebhookEndpointRow, endpoint_id)


def deliveries_of(session: Session, user_id: int, limit: int = 50) -> list[Any]:
    return list(session.scalars(select(WebhookDeliveryRow)
                                .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
                                .where(WebhookEndpointRow.user_id == user_id)
                                .order_by(WebhookDeliveryRow.id.desc()).limit(limit)).all())


def organisations_with_facts(session: Session, *, after: int, limit: int) -> list[int]:
    """Organisations holding profile facts with an id after `after`, in id order (the policy sweep)."""
    return [int(i) for i in session.scalars(select(ProfileFactRow.organisation_id).distinct()
                                            .where(ProfileFactRow.organisation_id > after)
                                            .order_by(ProfileFactRow.organisation_id).limit(limit))]
