"""Per-center back-off: a center that cannot be reached is asked once, then calls fail at once until
the back-off passes; a call that gets through resets it. Against a real closed port (connection
refused) and a real Ray-protocol HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from suanli.backends.registry import create
from suanli.domain.errors import BackendUnavailable
from suanli.metrics import BACKEND_SECONDS, InstrumentedBackend


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def count(center: str, operation: str, outcome: str) -> float:
    for metric in BACKEND_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels == {"center": center, "operation": operation,
                                                                     "outcome": outcome}:
                return sample.value
    return 0.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_unreachable_center_is_asked_once_per_back_off(tmp_path: Any) -> None:
    port = closed_port()
    clock = FakeClock()
    backend = InstrumentedBackend(create("ray", "dead-center", {"address": f"http://127.0.0.1:{port}", "timeout_s": 2},
                                         {"cpu": ("CPU", 2)}), clock)
    with pytest.raises(BackendUnavailable, match="unreachable"):
        backend.observe("suanli-1")
    for _ in range(5):
        with pytest.raises(BackendUnavailable, match="next attempt in 2 s"):
            backend.observe("suanli-2")
    assert count("dead-center", "observe", "unavailable") == 1
    assert count("dead-center", "observe", "skipped") == 5
    assert not backend.health().ok  # the probe still asks
    clock.now += 2.5
    with pytest.raises(BackendUnavailable, match="unreachable"):
        backend.observe("suanli-3")
    assert count("dead-center", "observe", "unavailable") == 2 and backend.backoff_s == 4


def test_a_call_that_gets_through_resets_the_back_off() -> None:
    class Ray(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"detail": "not found"}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Ray)
    port = server.server_address[1]
    server.server_close()  # not listening yet: the first call is refused
    clock = FakeClock()
    backend = InstrumentedBackend(create("ray", "flaky-center", {"address": f"http://127.0.0.1:{port}"},
                                         {"cpu": ("CPU", 2)}), clock)
    with pytest.raises(BackendUnavailable):
        backend.observe("suanli-1")
    server = HTTPServer(("127.0.0.1", port), Ray)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        clock.now += 3
        assert backend.observe("suanli-1").state.value == "missing"  # Ray answered 404: the center is up
        assert backend.backoff_s == 0 and count("flaky-center", "observe", "ok") == 1
    finally:
        server.shutdown()
        server.server_close()
