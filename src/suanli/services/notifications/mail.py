"""E-mail through the SMTP relay the operator configured (`SUANLI_SMTP_HOST`, `_PORT`, `_USERNAME`,
`_PASSWORD`, `_FROM`, `_STARTTLS`), with the standard library's `smtplib`. A mail the relay refuses
or cannot take is retried with a growing pause (1, 2, 4, 8 minutes) and marked failed after
`MAX_ATTEMPTS`, its last error kept.

Nothing is sent inside a database transaction: a worker claims due mails in one short transaction
(`claim`: a lease until `LEASE` from now), sends them with no transaction open (`send`), and records
each outcome in another (`record`). Two workers never claim the same mail; a worker that dies after
claiming loses its lease and another sends the mail when it runs out (so a mail whose sending
succeeded but could not be recorded is sent again: at least once, never lost)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.notifications import OutboundEmailRow
from suanli.db.repositories import notifications as repo

MAX_ATTEMPTS = 5
BATCH = 20
# Long enough for a batch at the relay's timeout; a worker stops sending at half of it (`workers/deliveries`).
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


def relay_of(settings: Any) -> Relay | None:
    """The relay the settings configure, or None when no SMTP host is set."""
    if not settings.smtp_host:
        return None
    password = settings.secret("smtp_password")
    return Relay(settings.smtp_host, int(settings.smtp_port), settings.smtp_from, settings.smtp_username,
                 password.decode() if password else None, bool(settings.smtp_starttls))


def _send(relay: Relay, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = relay.sender, to, subject
    message.set_content(body)  # UTF-8, so Chinese arrives as written
    with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout_s) as smtp:
        if relay.starttls:
            smtp.starttls()
        if relay.username and relay.password:
            smtp.login(relay.username, relay.password)
        smtp.send_message(message)


@dataclass(frozen=True)
class Claimed:
    """One mail a worker holds the lease on; `attempt` is the claim's token."""

    id: int
    attempt: int
    to: str
    subject: str
    body: str


def claim(session: Session, *, now: datetime, limit: int = BATCH) -> list[Claimed]:
    rows = repo.claim_due(session, OutboundEmailRow, now=now, lease_until=now + LEASE, limit=limit)
    return [Claimed(r.id, int(r.attempts), r.to_address, r.subject, r.body) for r in rows]


def send(relay: Relay, mail: Claimed) -> str | None:
    """Hand one mail to the relay (no database here); None when it took it, else the error."""
    try:
        _send(relay, mail.to, mail.subject, mail.body)
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return None


def record(session: Session, mail: Claimed, error: str | None, *, now: datetime) -> bool:
    """Sent, or failed with the next try after 1, 2, 4, 8 minutes (failed for good after
    `MAX_ATTEMPTS`); False when the lease was lost meanwhile (nothing recorded)."""
    if error is None:
        return repo.finish_claim(session, OutboundEmailRow, mail.id, mail.attempt, status="sent", sent_at=now,
                                 last_error=None)
    return repo.finish_claim(session, OutboundEmailRow, mail.id, mail.attempt, last_error=error,
                             status="failed" if mail.attempt >= MAX_ATTEMPTS else "pending",
                             next_attempt_at=now + timedelta(minutes=2 ** (mail.attempt - 1)))


def release(session: Session, mail: Claimed, *, now: datetime) -> bool:
    """Give back a claim that was not tried (the lease would have run out first): due again now,
    the attempt not counted."""
    return repo.finish_claim(session, OutboundEmailRow, mail.id, mail.attempt, status="pending",
                             attempts=mail.attempt - 1, next_attempt_at=now)
