"""The few aggregate reads `/metrics` makes at scrape time (each one indexed GROUP BY or MAX)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.db.models.audit import AuditTreeHead
from suanli.db.models.federation import CenterRow, PoolRow
from suanli.db.models.jobs import JobRow
from suanli.db.models.ledger import LedgerAccountRow as A
from suanli.db.models.ledger import LedgerTransferRow
from suanli.db.repositories.audit import count_outbox, read_state


def jobs_by_state_and_center(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(select(JobRow.state, CenterRow.name, func.count())
                           .select_from(JobRow).outerjoin(PoolRow, PoolRow.id == JobRow.pool_id)
                           .outerjoin(CenterRow, CenterRow.id == PoolRow.center_id)
                           .group_by(JobRow.state, CenterRow.name))
    return [(str(state), str(center or ""), int(n)) for state, center, n in rows]


def oldest_queued(session: Session) -> list[tuple[str, datetime]]:
    """Per center ("" for jobs still awaiting placement): when its oldest queued job was submitted."""
    rows = session.execute(select(CenterRow.name, func.min(JobRow.created_at))
                           .select_from(JobRow).outerjoin(PoolRow, PoolRow.id == JobRow.pool_id)
                           .outerjoin(CenterRow, CenterRow.id == PoolRow.center_id)
                           .where(JobRow.state == "queued").group_by(CenterRow.name))
    return [(str(center or ""), oldest) for center, oldest in rows if oldest is not None]


def balances_by_purpose(session: Session, purpose: str) -> list[tuple[str, int]]:
    """(scope or owner, natural balance in fen) of every account with this purpose, summed per scope."""
    key = A.scope if purpose == "voucher_wallet" else A.owner_id
    rows = session.execute(select(key, func.sum(A.balance_fen * A.normal_sign)).where(A.purpose == purpose)
                           .group_by(key))
    return [(str(k if k is not None else ""), int(total or 0)) for k, total in rows]


def ledger_transfer_count(session: Session) -> int:
    return int(session.scalar(select(func.max(LedgerTransferRow.id))) or 0)


def audit_sizes(session: Session) -> tuple[int, int, int]:
    """(entries in the log, entries under the newest signed head, events waiting in the outbox)."""
    size, _ = read_state(session)
    signed = session.scalar(select(func.max(AuditTreeHead.tree_size))) or 0
    return size, int(signed), count_outbox(session)
