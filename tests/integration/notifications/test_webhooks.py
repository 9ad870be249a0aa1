"""Signed webhooks against a real HTTP server on loopback: a notice of a chosen kind is POSTed as
JSON with an HMAC-SHA256 signature the receiver verifies with the endpoint's secret; a receiver that
answers 500 is retried with growing pauses and finally marked failed, every attempt in the log; only
the owner removes an endpoint; a bad address or kind is refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.orm import Session

from suanli.db.repositories.organisations import user_by_username
from suanli.domain.errors import InvalidInput, NotFound
from suanli.services import accounts
from suanli.services.demo import load_demo
from suanli.services.notifications import derive, webhooks

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(500 if self.path == "/broken" else 204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    session.flush()
    return session


def _who(session: Session, username: str):  # type: ignore[no-untyped-def]
    return accounts.principal_of(user_by_username(session, username))  # type: ignore[arg-type]


def test_a_notice_arrives_signed_and_the_signature_checks_out(demo: Session, receiver: Receiver) -> None:
    finance = _who(demo, "finance")
    endpoint = webhooks.add_endpoint(demo, principal=finance, url=f"{receiver.url}/hooks",
                                     kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    assert webhooks.deliver(demo, now=NOW) == (1, 0)
    ((headers, body),) = receiver.received
    assert headers["X-Suanli-Signature"] == webhooks.sign(endpoint.secret, headers["X-Suanli-Timestamp"], body)
    assert headers["X-Suanli-Signature"] != webhooks.sign("another secret", headers["X-Suanli-Timestamp"], body)
    sent = json.loads(body)
    assert sent["kind"] == "batch_awaiting_approval" and "待审批" in sent["subject"]["zh"] and sent["link"] == "/batches"
    _endpoints, log = webhooks.my_endpoints(demo, principal=finance)
    assert [(d.status, d.attempts, d.last_status_code) for d in log] == [("delivered", 1, 204)]
    assert derive.derive(demo, now=NOW) == 0 and webhooks.deliver(demo, now=NOW) == (0, 0)  # once per fact


def test_a_failing_receiver_is_retried_then_marked_failed_with_every_attempt_logged(demo: Session, receiver: Receiver) -> None:
    finance = _who(demo, "finance")
    webhooks.add_endpoint(demo, principal=finance, url=f"{receiver.url}/broken", kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    at = NOW
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        assert webhooks.deliver(demo, now=at) == (0, 1)
        assert webhooks.deliver(demo, now=at) == (0, 0)  # not due again yet
        (delivery,) = webhooks.my_endpoints(demo, principal=finance)[1]
        assert delivery.attempts == attempt and delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        at = delivery.next_attempt_at
    assert delivery.status == "failed" and len(receiver.received) == webhooks.MAX_ATTEMPTS


def test_endpoints_are_checked_and_only_their_owner_removes_them(demo: Session) -> None:
    finance, officer = _who(demo, "finance"), _who(demo, "officer")
    for url, kinds in (("ftp://x.example/", ["batch_awaiting_approval"]), ("https://x.example/", ["job_ended"]),
                       ("https://x.example/", [])):
        with pytest.raises(InvalidInput):
            webhooks.add_endpoint(demo, principal=finance, url=url, kinds=kinds)
    endpoint = webhooks.add_endpoint(demo, principal=finance, url="https://hooks.cdczj.example/suanli",
                                     kinds=["batch_awaiting_approval"])
    with pytest.raises(NotFound):
        webhooks.remove_endpoint(demo, principal=officer, endpoint_id=endpoint.id)
    webhooks.remove_endpoint(demo, principal=finance, endpoint_id=endpoint.id)
    assert webhooks.my_endpoints(demo, principal=finance)[0] == []
