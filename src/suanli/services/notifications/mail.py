"""E-mail through the SMTP relay the operator configured (`SUANLI_SMTP_HOST`, `_PORT`, `_USERNAME`,
`_PASSWORD`, `_FROM`, `_STARTTLS`), with the standard library's `smtplib`. A mail the relay refuses
or cannot take is retried with a growing pause (1, 2, 4, 8 minutes) and marked failed after
`MAX_ATTEMPTS`, its last error kept."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.repositories import notifications as repo

MAX_ATTEMPTS = 5
BATCH = 100


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


def deliver(session: Session, *, relay: Relay | None, now: datetime) -> tuple[int, int]:
    """Hand the due mails to the relay; (sent, failed this round). Without a relay nothing is sent
    (the mails wait until one is configured)."""
    if relay is None:
        return 0, 0
    sent = failed = 0
    for mail in repo.due_emails(session, now, BATCH):
        try:
            _send(relay, mail.to_address, mail.subject, mail.body)
        except (OSError, smtplib.SMTPException) as exc:
            mail.attempts = int(mail.attempts or 0) + 1
            mail.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = "failed"
            mail.next_attempt_at = now + timedelta(minutes=2 ** (mail.attempts - 1))
            failed += 1
            continue
        mail.attempts = int(mail.attempts or 0) + 1
        mail.status, mail.sent_at, mail.last_error = "sent", now, None
        sent += 1
    session.flush()
    return sent, failed
