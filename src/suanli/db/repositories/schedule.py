"""SQL for the worker's scheduled steps and the documents they issue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.db.models.ledger import LedgerChargeRow as C
from suanli.db.models.schedule import ScheduledStepRow


def lock_step(session: Session, name: str, *, first_run_at: datetime) -> ScheduledStepRow:
    """The step's row, locked for this transaction (created, due at `first_run_at`, when new)."""
    row = session.scalars(select(ScheduledStepRow).where(ScheduledStepRow.name == name).with_for_update()).first()
    if row is None:
        row = ScheduledStepRow(name=name, next_run_at=first_run_at, runs=0, failures=0)
        session.add(row)
        session.flush()
    return row


def list_steps(session: Session) -> Sequence[ScheduledStepRow]:
    return session.scalars(select(ScheduledStepRow).order_by(ScheduledStepRow.name)).all()


def uninvoiced(session: Session, *, before_month: str) -> list[tuple[int, str]]:
    """(organisation, month) pairs with charges of a closed month not yet on an invoice."""
    rows = session.execute(select(C.organisation_id, C.month).where(C.month < before_month, C.invoice_id.is_(None))
                           .distinct().order_by(C.month, C.organisation_id))
    return [(int(org), str(month)) for org, month in rows]


def unstated(session: Session, *, before_month: str) -> list[tuple[int, str]]:
    """(provider account, month) pairs with charges of a closed month not yet on a statement."""
    rows = session.execute(select(C.provider_account_id, C.month).where(C.month < before_month,
                                                                         C.statement_id.is_(None))
                           .distinct().order_by(C.month, C.provider_account_id))
    return [(int(account), str(month)) for account, month in rows]
