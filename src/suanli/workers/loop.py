"""The scheduler/metering loop.

One tick: place jobs awaiting the broker (leader only), dispatch queued jobs, follow active ones,
reconcile unknown ones; about once a minute the leader signs a tree head of the transparency log
(a periodic checkpoint auditors can hold the platform to). Every job is handled in its own unit of work so one failing center cannot
roll back another's progress. Several loops may run at once on PostgreSQL: placement runs only in
the holder of an advisory lock (leader election); dispatch and follow lock job rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.models.base import utcnow
from suanli.db.uow import unit_of_work
from suanli.domain.errors import SuanliError
from suanli.services import audit, dispatch, metering
from suanli.services.backends import BackendCache

log = structlog.get_logger("suanli.worker")
LEADER_LOCK_KEY = 0x5A4E4C49  # "SUANLI"-ish: one scheduler leader per database
BATCH = 200
CHECKPOINT_EVERY_S = 60.0


class Worker:
    def __init__(self, sessions: sessionmaker[Session], backends: BackendCache, interval_s: float = 0.5) -> None:
        self.sessions = sessions
        self.backends = backends
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_checkpoint = 0.0

    def tick(self) -> int:
        """One pass; returns how many jobs it acted on."""
        acted = self._as_leader(dispatch.place_awaiting)
        with unit_of_work(self.sessions) as session:
            now = utcnow()
            queued = dispatch.queued_job_ids(session, now=now, limit=BATCH)
            active = dispatch.active_job_ids(session, now=now, limit=BATCH)
        for job_id in queued:
            acted += self._each(job_id, dispatch.dispatch_job)
        for job_id in active:
            acted += self._each(job_id, dispatch.follow_job)
        acted += self._reconcile()
        if time.monotonic() - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._last_checkpoint = time.monotonic()
            self._as_leader(self._checkpoint)
        return acted

    def _reconcile(self) -> int:
        try:
            with unit_of_work(self.sessions) as session:
                report = metering.reconcile(session, now=utcnow(), backends=self.backends)
        except Exception:
            log.exception("reconciliation failed")
            return 0
        return report.checked

    def _checkpoint(self, session: Session) -> int:
        audit.sign_head(session, signer=audit.init_signer(self.backends.data_dir))
        return 0

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
