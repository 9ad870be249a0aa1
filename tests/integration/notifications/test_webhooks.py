"""Signed webhooks against a real HTTP server on loopback: a notice of a chosen kind is POSTed as
JSON with an HMAC-SHA256 signature the receiver verifies with the endpoint's secret; a receiver that
answers 500 is retried with growing pauses and finally marked failed, every attempt in the log; only
the owner removes an endpoint; a bad address or kind is refused; a target in the platform's own
network (loopback, private …) is refused at registration and again at delivery, unless the operator
allowed it (the tests allow their loopback receiver)."""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.repositories.organisations import user_by_username
from suanli.domain.errors import InvalidInput, NotFound
from suanli.services import accounts
from suanli.services.notifications import derive, webhooks
from suanli.workers.deliveries import deliver_webhooks

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


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers listen on loopback, which the SSRF rule refuses unless the operator allows it."""
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOWED_TARGETS", "127.0.0.1/32")


@pytest.fixture
def demo(session: Session) -> Session:
    """The demo, loaded once per database kind and copied for this test (conftest.py)."""
    return session


def _who(session: Session, username: str):  # type: ignore[no-untyped-def]
    return accounts.principal_of(user_by_username(session, username))  # type: ignore[arg-type]


def test_a_notice_arrives_signed_and_the_signature_checks_out(demo: Session, sessions: sessionmaker[Session],
                                                              receiver: Receiver) -> None:
    finance = _who(demo, "finance")
    endpoint = webhooks.add_endpoint(demo, principal=finance, url=f"{receiver.url}/hooks",
                                     kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    demo.commit()
    assert deliver_webhooks(sessions, now=NOW) == (1, 0)
    ((headers, body),) = receiver.received
    assert headers["X-Suanli-Signature"] == webhooks.sign(endpoint.secret, headers["X-Suanli-Timestamp"], body)
    assert headers["X-Suanli-Signature"] != webhooks.sign("another secret", headers["X-Suanli-Timestamp"], body)
    sent = json.loads(body)
    assert sent["kind"] == "batch_awaiting_approval" and "待审批" in sent["subject"]["zh"] and sent["link"] == "/batches"
    assert headers["Host"] == receiver.url.removeprefix("http://")
    demo.expire_all()
    _endpoints, log = webhooks.my_endpoints(demo, principal=finance)
    assert [(d.status, d.attempts, d.last_status_code) for d in log] == [("delivered", 1, 204)]
    demo.commit()
    assert derive.derive(demo, now=NOW) == 0
    demo.commit()
    assert deliver_webhooks(sessions, now=NOW) == (0, 0)  # once per fact


def test_a_failing_receiver_is_retried_then_marked_failed_with_every_attempt_logged(
        demo: Session, sessions: sessionmaker[Session], receiver: Receiver) -> None:
    finance = _who(demo, "finance")
    webhooks.add_endpoint(demo, principal=finance, url=f"{receiver.url}/broken", kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    demo.commit()
    at = NOW
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        assert deliver_webhooks(sessions, now=at) == (0, 1)
        assert deliver_webhooks(sessions, now=at) == (0, 0)  # not due again yet
        demo.expire_all()
        (delivery,) = webhooks.my_endpoints(demo, principal=finance)[1]
        assert delivery.attempts == attempt and delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        demo.commit()
        at = delivery.next_attempt_at
    assert delivery.status == "failed" and len(receiver.received) == webhooks.MAX_ATTEMPTS


def test_endpoints_are_checked_and_only_their_owner_removes_them(demo: Session) -> None:
    finance, officer = _who(demo, "finance"), _who(demo, "officer")
    for url, kinds in (("ftp://x.example/", ["batch_awaiting_approval"]), ("https://x.example/", ["job_ended"]),
                       ("https://x.example/", [])):
        with pytest.raises(InvalidInput):
            webhooks.add_endpoint(demo, principal=finance, url=url, kinds=kinds)
    endpoint = webhooks.add_endpoint(demo, principal=finance, url="https://hooks.cdczj.example/suanli",
                                     kinds=["batch_awaiting_approval"], resolver=_public)
    with pytest.raises(NotFound):
        webhooks.remove_endpoint(demo, principal=officer, endpoint_id=endpoint.id)
    webhooks.remove_endpoint(demo, principal=finance, endpoint_id=endpoint.id)
    assert webhooks.my_endpoints(demo, principal=finance)[0] == []


def _public(_host: str, _port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    return [ipaddress.ip_address("8.8.8.8")]  # a public address, without asking DNS


REFUSED = ("http://127.0.0.1:8080/", "http://localhost/", "https://10.1.2.3/", "http://172.16.0.1/",
           "http://192.168.1.1/", "http://[::1]/", "http://[::ffff:192.168.1.1]/", "http://[::ffff:7f00:1]/",
           "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/",
           "http://[ff02::1]/", "http://[fe80::1]/", "http://[fd00::1]/", "http://100.64.0.1/", "http://240.0.0.1/")


def test_a_target_in_the_platforms_own_network_is_refused_at_registration(
        demo: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOWED_TARGETS", "")
    finance = _who(demo, "finance")
    for url in REFUSED:
        with pytest.raises(webhooks.WebhookTargetRefused) as refused:
            webhooks.add_endpoint(demo, principal=finance, url=url, kinds=["batch_awaiting_approval"])
        assert refused.value.problem()["type"].endswith("/webhook-target-refused") and refused.value.status == 422, url
    for url in ("gopher://8.8.8.8/", "file:///etc/passwd", "http://8.8.8.8:99999/"):
        with pytest.raises(InvalidInput, match="http"):
            webhooks.add_endpoint(demo, principal=finance, url=url, kinds=["batch_awaiting_approval"])
    webhooks.add_endpoint(demo, principal=finance, url="https://8.8.8.8/hook", kinds=["batch_awaiting_approval"])


def test_the_operators_allow_list_lets_a_named_network_through(demo: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOWED_TARGETS", "hooks.intra.example, 10.20.0.0/16")
    finance = _who(demo, "finance")
    webhooks.add_endpoint(demo, principal=finance, url="https://10.20.3.4/in", kinds=["batch_awaiting_approval"])
    webhooks.add_endpoint(demo, principal=finance, url="https://hooks.intra.example/in", kinds=["batch_awaiting_approval"],
                          resolver=lambda _h, _p: [ipaddress.ip_address("192.168.0.9")])
    with pytest.raises(webhooks.WebhookTargetRefused):
        webhooks.add_endpoint(demo, principal=finance, url="https://10.21.0.1/in", kinds=["batch_awaiting_approval"])


def test_a_name_that_later_resolves_into_the_platforms_network_is_refused_at_delivery(
        demo: Session, sessions: sessionmaker[Session], receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    finance = _who(demo, "finance")
    webhooks.add_endpoint(demo, principal=finance, url=f"{receiver.url}/hooks", kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    demo.commit()
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOWED_TARGETS", "")  # the operator withdrew the exception meanwhile
    assert deliver_webhooks(sessions, now=NOW) == (0, 1)
    assert receiver.received == []
    demo.expire_all()
    (delivery,) = webhooks.my_endpoints(demo, principal=finance)[1]
    assert delivery.status == "pending" and delivery.last_error.startswith("refused: ") and "loopback" in delivery.last_error
    demo.commit()
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOWED_TARGETS", "127.0.0.1")
    assert deliver_webhooks(sessions, now=delivery.next_attempt_at) == (1, 0)
    assert len(receiver.received) == 1


def test_two_workers_never_claim_the_same_delivery_and_a_dead_ones_lease_runs_out(
        demo: Session, sessions: sessionmaker[Session], receiver: Receiver) -> None:
    finance = _who(demo, "finance")
    for path in range(webhooks.MAX_ENDPOINTS):  # one batch notice, one delivery per endpoint
        webhooks.add_endpoint(demo, principal=finance, url=f"{receiver.url}/h{path}", kinds=["batch_awaiting_approval"])
    derive.derive(demo, now=NOW)
    demo.commit()
    barrier, claims = threading.Barrier(2), []

    def worker() -> None:
        barrier.wait()
        with sessions.begin() as session:
            claims.append(webhooks.claim(session, now=NOW, limit=3))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [c.id for claim in claims for c in claim]
    assert len(ids) == webhooks.MAX_ENDPOINTS and len(set(ids)) == len(ids)  # all claimed, none twice
    # Both workers died holding their leases: nothing is sent until the leases run out, then all once.
    assert deliver_webhooks(sessions, now=NOW + timedelta(seconds=1)) == (0, 0)
    assert deliver_webhooks(sessions, now=NOW + webhooks.LEASE) == (webhooks.MAX_ENDPOINTS, 0)
    assert sorted(int(h["X-Suanli-Delivery"]) for h, _ in receiver.received) == sorted(ids)
    assert deliver_webhooks(sessions, now=NOW + 2 * webhooks.LEASE) == (0, 0)
