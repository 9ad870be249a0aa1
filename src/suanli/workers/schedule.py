"""The worker's scheduled steps: periodic work that no request triggers.

| step | every | what |
|---|---|---|
| `wallet-expiry` | 1 h | close voucher wallets past their validity, remainders back to the program budget |
| `monthly-invoices` | 1 h | invoice every organisation's charges of closed months (China time) not yet invoiced |
| `monthly-statements` | 1 h | a provider statement for charges of closed months not yet on one |
| `audit-checkpoint` | 60 s | sign a tree head of the transparency log |
| `stale-jobs` | 5 min | ask the centers again about jobs in state `unknown` (beyond the per-tick pass) |
| `notifications` | 30 s | file the notices new facts call for (inbox, mail outbox, webhook deliveries); the worker sends them outside any transaction (`workers/deliveries.py`) |

Each step is idempotent (running it twice issues nothing twice: the services refuse or skip what
is already done) and runs under the scheduler leader's lock on PostgreSQL; its row in
`scheduled_steps`, locked while it runs, holds the last run and the next, so several workers run a
step once per period. A failed step is retried after `RETRY_AFTER` and its detail kept for
`suanli admin schedule`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.orm import Session

from suanli.config import Settings
from suanli.db.models.base import utcnow
from suanli.db.repositories import schedule as repo
from suanli.db.uow import unit_of_work
from suanli.domain.errors import Conflict
from suanli.domain.ledger.periods import period_of
from suanli.services import audit, metering, settlement, vouchers
from suanli.services.notifications import derive as notifications

if TYPE_CHECKING:
    from suanli.workers.loop import Worker

log = structlog.get_logger("suanli.schedule")
RETRY_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Step:
    name: str
    every: timedelta
    run: Callable[[Session, datetime, Worker], str]


def _wallet_expiry(session: Session, now: datetime, _worker: Worker) -> str:
    closed = vouchers.expire_due_wallets(session, now=now, actor="system")
    return f"{len(closed)} wallets expired, {sum(r for _, r in closed)} fen returned"


def _invoices(session: Session, now: datetime, _worker: Worker) -> str:
    issued = 0
    for organisation_id, month in repo.uninvoiced(session, before_month=period_of(now)):
        try:
            settlement.issue_invoice(session, organisation_id=organisation_id, month=month)
            issued += 1
        except Conflict:  # another issuer took the charges meanwhile
            continue
    return f"{issued} invoices issued"


def _statements(session: Session, now: datetime, _worker: Worker) -> str:
    issued = 0
    for account_id, month in repo.unstated(session, before_month=period_of(now)):
        try:
            settlement.issue_statement(session, provider_account_id=account_id, month=month)
            issued += 1
        except Conflict:
            continue
    return f"{issued} statements issued"


def _checkpoint(session: Session, _now: datetime, worker: Worker) -> str:
    head = audit.sign_head(session, signer=audit.init_signer(worker.backends.data_dir))
    return f"tree size {head.tree_size}"


def _stale_jobs(session: Session, now: datetime, worker: Worker) -> str:
    report = metering.reconcile(session, now=now, backends=worker.backends, limit=1000)
    return f"{report.checked} unknown jobs checked"


def _notifications(session: Session, now: datetime, worker: Worker) -> str:
    settings = worker.settings if getattr(worker, "settings", None) is not None else Settings()
    filed = notifications.derive(session, now=now, public_url=settings.public_url)
    return f"{filed} notices filed"


STEPS: tuple[Step, ...] = (
    Step("wallet-expiry", timedelta(hours=1), _wallet_expiry),
    Step("monthly-invoices", timedelta(hours=1), _invoices),
    Step("monthly-statements", timedelta(hours=1), _statements),
    Step("audit-checkpoint", timedelta(seconds=60), _checkpoint),
    Step("stale-jobs", timedelta(minutes=5), _stale_jobs),
    Step("notifications", timedelta(seconds=30), _notifications),
)


def run_due(worker: Worker, *, now: datetime | None = None) -> list[str]:
    """Run every step that is due (as the leader); the names of those that ran."""
    ran = []
    for step in STEPS:
        at = now or utcnow()
        try:
            if worker._as_leader(lambda session, s=step, t=at: _run_if_due(session, s, t, worker)):
                ran.append(step.name)
        except Exception as exc:
            log.exception("scheduled step failed", step=step.name)
            _record_failure(worker, step, at, exc)
    return ran


def _run_if_due(session: Session, step: Step, now: datetime, worker: Worker) -> int:
    row = repo.lock_step(session, step.name, first_run_at=now)
    if row.next_run_at > now:
        return 0
    started = utcnow()
    detail = step.run(session, now, worker)
    row.last_started_at, row.last_finished_at = started, utcnow()
    row.last_status, row.last_detail = "ok", detail
    row.runs = int(row.runs or 0) + 1
    row.next_run_at = now + step.every
    log.info("scheduled step ran", step=step.name, detail=detail)
    return 1


def _record_failure(worker: Worker, step: Step, now: datetime, exc: Exception) -> None:
    try:
        with unit_of_work(worker.sessions) as session:
            row = repo.lock_step(session, step.name, first_run_at=now)
            row.last_started_at = row.last_finished_at = utcnow()
            row.last_status, row.last_detail = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            row.failures = int(row.failures or 0) + 1
            row.next_run_at = now + min(step.every, RETRY_AFTER)
    except Exception:
        log.exception("cannot record the failure of a scheduled step", step=step.name)


def status(session: Session) -> list[dict[str, Any]]:
    """Every step with its period, last run and next run (steps that never ran yet are listed too)."""
    rows = {row.name: row for row in repo.list_steps(session)}
    out = []
    for step in STEPS:
        row = rows.get(step.name)
        out.append({"name": step.name, "every_s": int(step.every.total_seconds()),
                    "last_started_at": row.last_started_at.isoformat() if row and row.last_started_at else None,
                    "last_status": row.last_status if row else None,
                    "last_detail": row.last_detail if row else None,
                    "runs": int(row.runs) if row else 0, "failures": int(row.failures) if row else 0,
                    "next_run_at": row.next_run_at.isoformat() if row else "at the worker's next tick"})
    return out
