"""The in-process sequencer of `suanli serve`: a thread that moves the audit outbox into the
transparency log soon after a commit wrote to it, so a single-process deployment sequences by itself.

A commit that wrote outbox rows wakes it (`services.audit.on_outbox_commit`); it waits a short gather
window so one batch takes the events of many transactions, then sequences until the outbox is empty.
It also sweeps every `sweep_s` for rows other processes wrote, and signs a tree head over what it
placed at most every `head_every_s`, so the latest signed head readers show lags the log by about that. On PostgreSQL several sequencers (this
thread in each API process, the worker's leader) may run at once: the log-state row is taken with
SKIP LOCKED, so the others just return and one tree grows without gaps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli.db.uow import unit_of_work
from suanli.domain.audit.signing import Signer
from suanli.services import audit

log = structlog.get_logger("suanli.sequencer")


def sequence_all(sessions: sessionmaker[Session], *, wait: bool = False,
                 on_placed: Callable[[list[audit.RecordedEvent]], None] | None = None) -> int:
    """Sequence batches, one transaction each, until the outbox is empty or another sequencer holds
    the log (PostgreSQL); how many events this call placed. `on_placed` sees each committed batch."""
    placed = 0
    while True:
        with unit_of_work(sessions) as session:
            batch = audit.sequence_pending(session, wait=wait)
        if on_placed is not None and batch:
            on_placed(batch)
        placed += len(batch)
        if len(batch) < audit.SEQUENCE_BATCH:
            return placed


class Sequencer:
    def __init__(self, sessions: sessionmaker[Session], *, signer: Callable[[], Signer] | None = None,
                 gather_s: float = 0.02, sweep_s: float = 1.0, head_every_s: float = 1.0,
                 on_placed: Callable[[list[audit.RecordedEvent]], None] | None = None) -> None:
        self.sessions = sessions
        self.on_placed = on_placed
        self.signer = signer
        self.gather_s = gather_s
        self.sweep_s = sweep_s
        self.head_every_s = head_every_s
        self._unsigned = False
        self._signed_at = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: object = None
        bind = sessions.kw.get("bind")
        self._engine = bind if isinstance(bind, Engine) else None

    def _committed(self, engine: Engine) -> None:
        if self._engine is None or engine is self._engine:
            self._wake.set()

    def run_until_stopped(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.sweep_s)
            if self._stop.is_set():
                break
            if woken:
                self._stop.wait(self.gather_s)  # let the commits of the next few milliseconds join the batch
            self._wake.clear()
            try:
                self._unsigned |= sequence_all(self.sessions, on_placed=self.on_placed) > 0
                if self._unsigned and self.signer is not None and time.monotonic() - self._signed_at >= self.head_every_s:
                    with unit_of_work(self.sessions) as session:
                        audit.sign_head(session, signer=self.signer())
                    self._unsigned, self._signed_at = False, time.monotonic()
            except Exception:
                log.exception("sequencing the audit outbox failed")
                self._stop.wait(self.sweep_s)

    def start(self) -> None:
        self._unsubscribe = audit.on_outbox_commit(self._committed)
        self._thread = threading.Thread(target=self.run_until_stopped, name="suanli-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if callable(self._unsubscribe):
            self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
