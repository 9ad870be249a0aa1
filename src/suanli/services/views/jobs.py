"""Job pages: pool names for the jobs a person may read, and one job's history and metered usage
with what the ledger charged for it (through `services.jobs.get_job`, so another tenant's job is a 404)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.db.models.jobs import JobEventRow, JobRow, UsageRecordRow
from suanli.db.models.ledger import LedgerChargeRow
from suanli.db.repositories import jobs as jobs_repo
from suanli.db.repositories import web as web_repo
from suanli.domain.organisations import Principal
from suanli.services import jobs


def pool_names(session: Session, *, principal: Principal, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(center, pool) names of pools; the federation is public to every signed-in role."""
    return web_repo.pool_names(session, ids)


@dataclass
class JobHistory:
    job: JobRow
    events: Sequence[JobEventRow]
    usage: Sequence[UsageRecordRow]
    pool: tuple[str, str] | None
    charges: dict[int, LedgerChargeRow]  # by usage record: list price, the voucher's subsidy, what is due




def job_history(session: Session, *, principal: Principal, job_id: int) -> JobHistory:
    job = jobs.get_job(session, principal=principal, job_id=job_id)
    pools = web_repo.pool_names(session, [job.pool_id] if job.pool_id else [])
    return JobHistory(job, jobs_repo.job_events(session, job.id), jobs_repo.usage_for_job(session, job.id),
                      pools.get(job.pool_id or 0), jobs_repo.charges_for_job(session, job.id))
