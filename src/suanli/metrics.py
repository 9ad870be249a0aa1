"""Prometheus metrics of one process (API or worker): what the code counts as it runs, what the
database says at scrape time, and the default process/platform/GC collectors.

In-process series (module level, shared by every app and worker of the process):
`suanli_worker_tick_seconds`, `suanli_worker_last_success_timestamp_seconds`,
`suanli_placement_cycle_seconds`, `suanli_backend_call_seconds{center,operation,outcome}`,
`suanli_backend_up{center}` (1 after a call that reached the center, 0 after one that did not),
`suanli_gc_frozen_objects` (what a server process froze once started, `api.app.for_serving`).

Database series (computed at each scrape, the same whichever host is scraped):
`suanli_jobs{state,center}`, `suanli_queue_oldest_age_seconds{center}`,
`suanli_ledger_transfers_total`, `suanli_audit_events_total` (take `rate()` of these for write
rates across all hosts), `suanli_audit_unsigned_entries` (entries not yet under a signed head: the
signing lag), `suanli_audit_outbox_pending` (events committed, not yet sequenced: the
sequencing lag), `suanli_voucher_wallets_fen{scope}`, `suanli_program_budget_fen{program}`.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.repositories import metrics as repo

log = structlog.get_logger("suanli.metrics")
# Not in prometheus_client's global registry: each app or worker registry adds these (build_registry).
TICK_SECONDS = Histogram("suanli_worker_tick_seconds", "Duration of one worker tick", registry=None,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
TICK_LAST_SUCCESS = Gauge("suanli_worker_last_success_timestamp_seconds",
                          "Unix time of the worker's last tick that completed", registry=None)
TICK_FAILURES = Counter("suanli_worker_tick_failures", "Worker ticks that raised", registry=None)
PLACEMENT_SECONDS = Histogram("suanli_placement_cycle_seconds", "Duration of one placement (broker) cycle",
                              registry=None, buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BACKEND_SECONDS = Histogram("suanli_backend_call_seconds", "Latency of calls to a center's backend",
                            ["center", "operation", "outcome"], registry=None,
                            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60))
BACKEND_UP = Gauge("suanli_backend_up", "1 when the last call to the center's backend reached it, else 0",
                   ["center"], registry=None)


RUNTIME: tuple[Any, ...] = (TICK_SECONDS, TICK_LAST_SUCCESS, TICK_FAILURES, PLACEMENT_SECONDS, BACKEND_SECONDS,
                            BACKEND_UP)
INSTRUMENTED = frozenset({"submit", "observe", "cancel", "usage", "capacity", "health", "logs"})


class InstrumentedBackend:
    """A center's adapter with every call timed and its reachability noted (attributes pass through),
    and a per-center back-off: after a call finds the center unreachable, further calls fail at once
    with `BackendUnavailable` for `backoff_s` (doubling per failure up to `MAX_BACKOFF_S`, reset by a
    call that gets through), so a tick with many jobs on a dead center costs one timeout, not one per
    job. `health()` always asks (it is the probe the UI shows)."""

    MIN_BACKOFF_S = 2.0
    MAX_BACKOFF_S = 60.0

    def __init__(self, backend: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self._backend = backend
        self._clock = clock
        self._failures = 0
        self._closed_until = 0.0

    @property
    def backoff_s(self) -> float:
        return min(self.MAX_BACKOFF_S, self.MIN_BACKOFF_S * 2 ** max(0, self._failures - 1)) if self._failures else 0.0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._backend, name)
        if name not in INSTRUMENTED or not callable(value):
            return value
        center = str(getattr(self._backend, "center", "?"))

        def call(*args: Any, **kwargs: Any) -> Any:
            from suanli.domain.errors import BackendUnavailable

            if name == "health":  # the probe: always asked, and its answer leaves the back-off alone
                with timed_backend_call(center, name):
                    return value(*args, **kwargs)
            now = self._clock()
            if now < self._closed_until:
                BACKEND_SECONDS.labels(center, name, "skipped").observe(0)
                raise BackendUnavailable(f"center {center} was unreachable; next attempt in "
                                         f"{self._closed_until - now:.0f} s")
            try:
                with timed_backend_call(center, name):
                    result = value(*args, **kwargs)
            except BackendUnavailable:
                self._failures += 1
                self._closed_until = self._clock() + self.backoff_s
                raise
            except Exception:
                self._failures, self._closed_until = 0, 0.0  # the center answered
                raise
            self._failures, self._closed_until = 0, 0.0
            return result

        return call


@contextmanager
def timed_tick() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except Exception:
        TICK_FAILURES.inc()
        raise
    else:
        TICK_LAST_SUCCESS.set_to_current_time()
    finally:
        TICK_SECONDS.observe(time.perf_counter() - started)


@contextmanager
def timed_backend_call(center: str, operation: str) -> Iterator[None]:
    from suanli.domain.errors import BackendUnavailable

    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BackendUnavailable:
        outcome = "unavailable"
        BACKEND_UP.labels(center).set(0)
        raise
    except Exception:
        outcome = "error"
        BACKEND_UP.labels(center).set(1)  # the center answered, with a refusal
        raise
    else:
        BACKEND_UP.labels(center).set(1)
    finally:
        BACKEND_SECONDS.labels(center, operation, outcome).observe(time.perf_counter() - started)


class FrozenObjectsCollector(Collector):
    """`suanli_gc_frozen_objects`: objects a server process moved out of the collector's sight once
    started (`api.app.for_serving`); 0 in a process that did not."""

    def collect(self) -> Iterator[Metric]:
        frozen = GaugeMetricFamily("suanli_gc_frozen_objects",
                                   "Objects of the started process kept out of garbage collections (gc.freeze)")
        frozen.add_metric([], gc.get_freeze_count())
        yield frozen


class DatabaseCollector(Collector):
    """Reads the gauges above from the database at scrape time (a failed read drops them, logged)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            try:
                families = self._read()
            except Exception:
                log.warning("metrics: database read failed", exc_info=True)
                return
        yield from families

    def _read(self) -> list[Metric]:
        session = self.sessions()
        try:
            jobs = GaugeMetricFamily("suanli_jobs", "Jobs by state and center (center empty: not placed yet)",
                                     labels=["state", "center"])
            for state, center, n in repo.jobs_by_state_and_center(session):
                jobs.add_metric([state, center], n)
            age = GaugeMetricFamily("suanli_queue_oldest_age_seconds", "Age of the oldest queued job per center",
                                    labels=["center"])
            now = utcnow()
            for center, oldest in repo.oldest_queued(session):
                age.add_metric([center], max(0.0, (now - oldest).total_seconds()))
            transfers = CounterMetricFamily("suanli_ledger_transfers", "Ledger transfers written (all hosts)")
            transfers.add_metric([], repo.ledger_transfer_count(session))
            size, signed, pending = repo.audit_sizes(session)
            events = CounterMetricFamily("suanli_audit_events", "Audit log entries (all hosts)")
            events.add_metric([], size)
            lag = GaugeMetricFamily("suanli_audit_unsigned_entries", "Audit entries not yet under a signed head")
            lag.add_metric([], size - signed)
            outbox = GaugeMetricFamily("suanli_audit_outbox_pending", "Audit events committed, not yet sequenced")
            outbox.add_metric([], pending)
            wallets = GaugeMetricFamily("suanli_voucher_wallets_fen", "Voucher wallet balances per program scope",
                                        labels=["scope"])
            for scope, total in repo.balances_by_purpose(session, "voucher_wallet"):
                wallets.add_metric([scope], total)
            budgets = GaugeMetricFamily("suanli_program_budget_fen", "Unallocated program budget per program",
                                        labels=["program"])
            for program, total in repo.balances_by_purpose(session, "program_budget"):
                budgets.add_metric([program], total)
            return [jobs, age, transfers, events, lag, outbox, wallets, budgets]
        finally:
            session.close()


def build_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """A registry for one app or worker: runtime series, database series, process collectors."""
    registry = CollectorRegistry()
    for collector in RUNTIME:
        registry.register(collector)
    registry.register(DatabaseCollector(sessions))
    registry.register(FrozenObjectsCollector())
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def serve_worker_metrics(registry: CollectorRegistry, host: str, port: int) -> Callable[[], None]:
    """Serve `registry` on http://host:port/metrics from a daemon thread; returns a stopper."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=host, registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
