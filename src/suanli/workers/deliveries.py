"""Sending the mail outbox and the webhook deliveries with no database transaction open while a
relay or receiver answers (which may take the whole timeout): claim due items in one short
transaction (a lease), commit, send, then record every outcome in another. Claims past half their
lease are not tried but given back, so a slow batch never outlives its lease and meets a second
worker sending the same item."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.uow import unit_of_work
from suanli.services.notifications import mail, webhooks


def deliver_mail(sessions: sessionmaker[Session], *, relay: mail.Relay | None, now: datetime | None = None,
                 limit: int = mail.BATCH) -> tuple[int, int]:
    """(sent, refused) this round; without a relay nothing is claimed (the mails wait for one)."""
    if relay is None:
        return 0, 0
    at = now or utcnow()
    with unit_of_work(sessions) as session:
        claimed = mail.claim(session, now=at, limit=limit)
    stop_at = time.monotonic() + mail.LEASE.total_seconds() / 2
    outcomes = [(item, mail.send(relay, item) if time.monotonic() < stop_at else False) for item in claimed]
    sent = refused = 0
    with unit_of_work(sessions) as session:
        done = now or utcnow()
        for item, error in outcomes:
            if error is False:
                mail.release(session, item, now=done)
            elif mail.record(session, item, error, now=done):
                sent, refused = (sent + 1, refused) if error is None else (sent, refused + 1)
    return sent, refused


def deliver_webhooks(sessions: sessionmaker[Session], *, now: datetime | None = None, limit: int = webhooks.BATCH,
                     timeout_s: float = webhooks.TIMEOUT_S) -> tuple[int, int]:
    """(delivered, refused) this round."""
    at = now or utcnow()
    with unit_of_work(sessions) as session:
        claimed = webhooks.claim(session, now=at, limit=limit)
    if not claimed:
        return 0, 0
    allowed = webhooks.allowed_targets()
    stop_at = time.monotonic() + webhooks.LEASE.total_seconds() / 2
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        outcomes = [(item, webhooks.send(client, item, now=at, allowed=allowed) if time.monotonic() < stop_at else None)
                    for item in claimed]
    delivered = refused = 0
    with unit_of_work(sessions) as session:
        done = now or utcnow()
        for item, outcome in outcomes:
            if outcome is None:
                webhooks.release(session, item, now=done)
            elif webhooks.record(session, item, outcome, now=done):
                delivered, refused = (delivered + 1, refused) if outcome.ok else (delivered, refused + 1)
    return delivered, refused
