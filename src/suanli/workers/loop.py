"""The scheduler/metering loop.

One tick: place jobs awaiting the broker and sequence the audit outbox into the transparency log
(leader only), dispatch queued jobs, follow active ones,
reconcile unknown ones; then the scheduled steps that are due (`workers/schedule.py`: wallet expiry,
monthly invoices and statements, a signed tree head about once a minute, stale jobs, notices), and
at most every `DELIVERY_EVERY_S` the due mails and webhooks, sent with no transaction open
(`workers/deliveries.py`; every worker takes part, each claiming its own). Every job is handled in its own unit of work so one failing center cannot
roll back another's progress. Several loops may run at once on PostgreSQL: placement runs only in
the holder of an advisory lock (leader election); dispatch and follow lock job rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from suanli import metrics
from suanli.config import Settings
from suanli.db.models.base import utcnow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import SuanliError
from suanli.services import audit, dispatch, metering
from suanli.services.backends import BackendCache
from suanli.services.notifications import mail
from suanli.workers import deliveries, schedule

log = structlog.get_logger("suanli.worker")
LEADER_LOCK_KEY = 0x5A4E4C49  # "SUANLI"-ish: one scheduler leader per database
BATCH = 200
DELIVERY_EVERY_S = 5.0


class Worker:
    def __init__(self, sessions: sessionmaker[Session], backends: BackendCache, interval_s: float = 0.5,
                 settings: Any = None) -> None:
        self.sessions = sessions
        self.backends = backends
        self.interval_s = interval_s
        # The process's Settings (SMTP relay, public URL for notification mail); None: read from the environment.
        self.settings = settings
        self._next_delivery = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        """One pass; returns how many jobs it acted on (timed for /metrics)."""
        with metrics.timed_tick():
            return self._tick()

    def _tick(self) -> int:
        with metrics.PLACEMENT_SECONDS.time():
            acted = self._as_leader(dispatch.place_awaiting)
        self._sequence()
        with unit_of_work(self.sessions) as session:
            now = utcnow()
            queued = dispatch.queued_job_ids(session, now=now, limit=BATCH)
            active = dispatch.active_job_ids(session, now=now, limit=BATCH)
        for job_id in queued:
            acted += self._each(job_id, dispatch.dispatch_job)
        for job_id in active:
            acted += self._each(job_id, dispatch.follow_job)
        acted += self._reconcile()
        schedule.run_due(self)  # wallet expiry, invoices, statements, checkpoints (workers/schedule.py)
        self._deliver()
        return acted

    def _sequence(self) -> None:
        """Move the audit outbox into the log, one batch per unit of work, as long as batches are full."""
        try:
            while self._as_leader(lambda session: len(audit.sequence_pending(session))) >= audit.SEQUENCE_BATCH:
                pass
        except Exception:
            log.exception("sequencing the audit outbox failed")

    def _deliver(self) -> None:
        if time.monotonic() < self._next_delivery:
            return
        self._next_delivery = time.monotonic() + DELIVERY_EVERY_S
        settings = self.settings if self.settings is not None else Settings()
        for channel, send in (("mail", lambda: deliveries.deliver_mail(self.sessions, relay=mail.relay_of(settings))),
                              ("webhooks", lambda: deliveries.deliver_webhooks(self.sessions))):
            try:
                done, refused = send()
            except Exception:
                log.exception("notification delivery failed", channel=channel)
                continue
            if done or refused:
                log.info("notifications delivered", channel=channel, delivered=done, refused=refused)

    def _reconcile(self) -> int:
        try:
            with unit_of_work(self.sessions) as session:
                report = metering.reconcile(session, now=utcnow(), backends=self.backends)
        except Exception:
            log.exception("reconciliation failed")
            return 0
        return report.checked

    def _each(self, job_id: int, step: Callable[..., None]) -> int:
        try:
            with unit_of_work(self.sessions) as session:
                step(session, job_id=job_id, backends=self.backends)
            return 1
        except SuanliError as exc:
            log.warning("job step refused", job_id=job_id, step=step.__name__, detail=exc.detail)
        except Exception:
            log.exception("job step failed", job_id=job_id, step=step.__name__)
        return 0

    def _as_leader(self, step: Callable[[Session], int]) -> int:
        with unit_of_work(self.sessions) as session:
            if session.get_bind().dialect.name == "postgresql":
                got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar()
                if not got:
                    return 0
            return step(session)

    def run_until_stopped(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("worker tick failed")
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_until_stopped, name="suanli-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
