"""Signed webhooks (回调): a person registers an https (or http) URL for some kinds of notice; each
notice of those kinds is POSTed there as JSON with

    X-Suanli-Delivery: <delivery id>
    X-Suanli-Timestamp: <unix seconds>
    X-Suanli-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

so the receiver checks who sent it and that it is fresh. A delivery that gets no 2xx within 5 s is
retried after 1, 2, 4, 8 minutes and marked failed after `MAX_ATTEMPTS`; each attempt's status code or
error is kept (the delivery log on the settings page)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from suanli.db.models.notifications import WebhookDeliveryRow, WebhookEndpointRow
from suanli.db.repositories import notifications as repo
from suanli.domain.errors import InvalidInput, NotFound
from suanli.domain.organisations import Principal
from suanli.services.notifications.inbox import kinds_for

MAX_ATTEMPTS = 5
MAX_ENDPOINTS = 5
BATCH = 100


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def add_endpoint(session: Session, *, principal: Principal, url: str, kinds: Sequence[str]) -> WebhookEndpointRow:
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("the webhook address must be an http(s) URL", field="url")
    allowed = kinds_for(principal.role)
    if not kinds or any(k not in allowed for k in kinds):
        raise InvalidInput("choose the kinds of notice the webhook receives", field="kind")
    if len(repo.endpoints_of(session, principal.user_id, active_only=True)) >= MAX_ENDPOINTS:
        raise InvalidInput(f"at most {MAX_ENDPOINTS} webhooks per person", field="url")
    return repo.add(session, WebhookEndpointRow(user_id=principal.user_id, url=url, secret=secrets.token_hex(32),
                                                kinds=sorted(set(kinds)), active=True))


def remove_endpoint(session: Session, *, principal: Principal, endpoint_id: int) -> None:
    row = session.get(WebhookEndpointRow, endpoint_id) if 0 < endpoint_id < 2**62 else None
    if row is None or row.user_id != principal.user_id:
        raise NotFound(f"webhook {endpoint_id} does not exist")
    row.active = False
    session.flush()


def my_endpoints(session: Session, *, principal: Principal) -> tuple[list[WebhookEndpointRow], list[WebhookDeliveryRow]]:
    return repo.endpoints_of(session, principal.user_id, active_only=True), repo.deliveries_of(session, principal.user_id)


def queue(session: Session, *, user_id: int, kind: str, key: str, payload: dict[str, Any], now: datetime) -> int:
    """A delivery per active endpoint of this person that wants this kind (once per endpoint and fact)."""
    queued = 0
    for endpoint in repo.endpoints_of(session, user_id, active_only=True):
        if kind in endpoint.kinds and not repo.delivery_exists(session, endpoint.id, key):
            repo.add(session, WebhookDeliveryRow(endpoint_id=endpoint.id, key=key, kind=kind, payload=payload,
                                                 next_attempt_at=now))
            queued += 1
    return queued


def deliver(session: Session, *, now: datetime, timeout_s: float = 5.0) -> tuple[int, int]:
    """POST the due deliveries; (delivered, refused this round)."""
    delivered = refused = 0
    with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
        for delivery, endpoint in repo.due_deliveries(session, now, BATCH):
            body = json.dumps({"id": delivery.id, "kind": delivery.kind, **delivery.payload}, ensure_ascii=False,
                              sort_keys=True).encode()
            stamp = str(int(now.timestamp()))
            headers = {"Content-Type": "application/json; charset=utf-8", "X-Suanli-Delivery": str(delivery.id),
                       "X-Suanli-Timestamp": stamp, "X-Suanli-Signature": sign(endpoint.secret, stamp, body),
                       "User-Agent": "suanli-webhooks"}
            delivery.attempts = int(delivery.attempts or 0) + 1
            try:
                response = client.post(endpoint.url, content=body, headers=headers)
                delivery.last_status_code, delivery.last_error = response.status_code, None
                ok = 200 <= response.status_code < 300
                if not ok:
                    delivery.last_error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                delivery.last_status_code, ok = None, False
                delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if ok:
                delivery.status, delivery.delivered_at = "delivered", now
                delivered += 1
                continue
            refused += 1
            delivery.next_attempt_at = now + timedelta(minutes=2 ** (delivery.attempts - 1))
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "failed"
    session.flush()
    return delivered, refused
