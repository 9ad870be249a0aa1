"""Signed webhooks (回调): a person registers an https (or http) URL for some kinds of notice; each
notice of those kinds is POSTed there as JSON with

    X-Suanli-Delivery: <delivery id>
    X-Suanli-Timestamp: <unix seconds>
    X-Suanli-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

so the receiver checks who sent it and that it is fresh. A delivery that gets no 2xx within 5 s is
retried after 1, 2, 4, 8 minutes and marked failed after `MAX_ATTEMPTS`; each attempt's status code or
error is kept (the delivery log on the settings page).

Targets are checked against SSRF (`domain/webhook_targets`) when registered and again at every
delivery, since a name may resolve elsewhere later; the delivery then connects to the very address
it checked (the name kept in the Host header and TLS SNI), so a second lookup cannot redirect it.
Like mail, deliveries are claimed under a lease, POSTed with no transaction open and recorded
after (`claim`, `send`, `record`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy.orm import Session

from suanli.config import load_settings
from suanli.db.models.notifications import WebhookDeliveryRow, WebhookEndpointRow
from suanli.db.repositories import notifications as repo
from suanli.domain.errors import InvalidInput, NotFound
from suanli.domain.organisations import Principal
from suanli.domain.webhook_targets import (
    Address,
    AllowedTargets,
    literal_address,
    parse_allowed,
    target_refusal,
    url_refusal,
)
from suanli.services.notifications.inbox import kinds_for

MAX_ATTEMPTS = 5
MAX_ENDPOINTS = 5
BATCH = 20
TIMEOUT_S = 5.0
LEASE = timedelta(minutes=5)  # a batch at the timeout fits in half of it
Resolver = Callable[[str, int], list[Address]]


class WebhookTargetRefused(InvalidInput):
    slug, title = "webhook-target-refused", "Webhook target refused"


def allowed_targets() -> AllowedTargets:
    return parse_allowed(load_settings().webhook_allowed_targets)


def resolve(host: str, port: int) -> list[Address]:
    """Every address the name resolves to now (none when it does not resolve)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found: list[Address] = []
    for info in infos:
        address = literal_address(str(info[4][0]).split("%")[0])
        if address is not None and address not in found:
            found.append(address)
    return found


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def checked_address(url: str, *, allowed: AllowedTargets, resolver: Resolver = resolve) -> Address | None:
    """The address to connect to for `url`, or WebhookTargetRefused naming why none may be used;
    None for a host the operator allowed by name that does not resolve (yet)."""
    if url_refusal(url) is not None:
        raise InvalidInput("the webhook address must be an http(s) URL", field="url")
    host = urlsplit(url).hostname or ""
    addresses = resolver(host, _port(url))
    reason = target_refusal(host, addresses, allowed)
    if reason == "unresolved":
        raise WebhookTargetRefused(f"the webhook host {host[:80]!r} cannot be resolved", field="url")
    if reason is not None:
        raise WebhookTargetRefused(f"the webhook address is not allowed: it points to a {reason} address",
                                   field="url", reason=reason)
    return addresses[0] if addresses else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def add_endpoint(session: Session, *, principal: Principal, url: str, kinds: Sequence[str],
                 resolver: Resolver = resolve) -> WebhookEndpointRow:
    url = url.strip()
    if url_refusal(url) is not None:
        raise InvalidInput("the webhook address must be an http(s) URL", field="url")
    allowed = kinds_for(principal.role)
    if not kinds or any(k not in allowed for k in kinds):
        raise InvalidInput("choose the kinds of notice the webhook receives", field="kind")
    if len(repo.endpoints_of(session, principal.user_id, active_only=True)) >= MAX_ENDPOINTS:
        raise InvalidInput(f"at most {MAX_ENDPOINTS} webhooks per person", field="url")
    checked_address(url, allowed=allowed_targets(), resolver=resolver)
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


@dataclass(frozen=True)
class Claimed:
    """One delivery a worker holds the lease on; `attempt` is the claim's token."""

    id: int
    attempt: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def claim(session: Session, *, now: datetime, limit: int = BATCH) -> list[Claimed]:
    out = []
    for delivery in repo.claim_due(session, WebhookDeliveryRow, now=now, lease_until=now + LEASE, limit=limit):
        endpoint = repo.endpoint_of(session, delivery.endpoint_id)
        if endpoint is None:
            continue
        body = json.dumps({"id": delivery.id, "kind": delivery.kind, **delivery.payload}, ensure_ascii=False,
                          sort_keys=True).encode()
        out.append(Claimed(delivery.id, int(delivery.attempts), endpoint.url, endpoint.secret, body))
    return out


def _pinned(url: str, address: Address) -> str:
    """`url` with its host replaced by the checked address (the name goes in Host and SNI)."""
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit((parts.scheme, f"{host}:{_port(url)}", parts.path or "/", parts.query, ""))


def send(client: httpx.Client, delivery: Claimed, *, now: datetime, allowed: AllowedTargets,
         resolver: Resolver = resolve) -> Outcome:
    """POST one delivery (no database here), to the address checked just now."""
    try:
        address = checked_address(delivery.url, allowed=allowed, resolver=resolver)
    except InvalidInput as exc:
        return Outcome(None, f"refused: {exc.detail}"[:500])
    if address is None:
        return Outcome(None, f"the host {urlsplit(delivery.url).hostname!r} cannot be resolved"[:500])
    parts = urlsplit(delivery.url)
    stamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Suanli-Delivery": str(delivery.id),
               "X-Suanli-Timestamp": stamp, "X-Suanli-Signature": sign(delivery.secret, stamp, delivery.body),
               "User-Agent": "suanli-webhooks", "Host": parts.netloc.rpartition("@")[2]}
    try:
        response = client.post(_pinned(delivery.url, address), content=delivery.body, headers=headers,
                               extensions={"sni_hostname": parts.hostname or ""})
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, f"HTTP {response.status_code}")


def record(session: Session, delivery: Claimed, outcome: Outcome, *, now: datetime) -> bool:
    """Delivered, or refused with the next try after 1, 2, 4, 8 minutes (failed for good after
    `MAX_ATTEMPTS`); False when the lease was lost meanwhile (nothing recorded)."""
    if outcome.ok:
        return repo.finish_claim(session, WebhookDeliveryRow, delivery.id, delivery.attempt, status="delivered",
                                 delivered_at=now, last_status_code=outcome.status_code, last_error=None)
    return repo.finish_claim(session, WebhookDeliveryRow, delivery.id, delivery.attempt,
                             last_status_code=outcome.status_code, last_error=outcome.error,
                             status="failed" if delivery.attempt >= MAX_ATTEMPTS else "pending",
                             next_attempt_at=now + timedelta(minutes=2 ** (delivery.attempt - 1)))


def release(session: Session, delivery: Claimed, *, now: datetime) -> bool:
    """Give back a claim that was not tried: due again now, the attempt not counted."""
    return repo.finish_claim(session, WebhookDeliveryRow, delivery.id, delivery.attempt, status="pending",
                             attempts=delivery.attempt - 1, next_attempt_at=now)
