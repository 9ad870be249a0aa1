"""Auto placement: each worker tick the broker places the jobs awaiting a pool jointly, and moves a
job the chosen center rejected to its next option.

A job awaits placement while it is `queued` with no pool. Placed jobs get `pool_id` and a
`placement` record (the explanation: chosen option with its score components, the ranked pool ids
for failover, every excluded pool with its reason in zh/en) and stay `queued` for the dispatcher.
Jobs no pool can ever take fail with the reason; jobs that only lack free devices wait for the next
cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.db.models.base import utcnow
from suanli.db.models.jobs import JobRow
from suanli.db.repositories import placement as repo
from suanli.domain.errors import InvalidResourceRequest, SuanliError
from suanli.domain.jobs import JobState
from suanli.domain.placement import (
    NoFeasiblePlacement,
    PendingJob,
    PlacementRequest,
    block,
    next_option,
    place_batch,
)
from suanli.domain.placement.explain import render
from suanli.domain.placement.requests import placement_request
from suanli.services import quotes
from suanli.services.jobs import move

SIMULATED_ONLY = ("simulated centers run no commands and are used only when the job allows them (allow_simulated)"
                  " or names one")
# Keys of a job's `request` JSON the broker reads beyond the ResourceRequest (all optional).
PLACEMENT_KEYS = ("equivalents", "pflops", "devices_per_node", "deadline", "max_price_fen", "allowed_regions",
                  "designated_only", "input_city", "input_gb", "prefer")


def request_of(job: JobRow, now: datetime | None = None) -> PlacementRequest:
    """The job's stored request as a `PlacementRequest`; its time limit is the runtime estimate."""
    try:
        return _request_of(job, now)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidResourceRequest(f"the stored request cannot be read: {exc}") from None


def _request_of(job: JobRow, now: datetime | None) -> PlacementRequest:
    data: dict[str, Any] = dict(job.request or {})
    if data.get("equivalents") is None and data.get("pflops") is None:
        data["devices"] = data.get("devices", job.devices)
    data["hours"] = max(job.time_limit_s, 1) / 3600
    if data.get("nodes") and not data.get("devices_per_node"):  # a gang of N nodes: its shape per node
        data["devices_per_node"] = int(data.get("devices", job.devices)) // int(data["nodes"])
    return placement_request(data, now=now or utcnow(), strict=False)


def place_queued_jobs(session: Session, *, limit: int = 10_000, now: datetime | None = None) -> int:
    """Place up to `limit` jobs awaiting placement; the number placed."""
    now = now or utcnow()
    rows = repo.jobs_awaiting_placement(session, limit)
    if not rows:
        return 0
    pending, by_id = [], {}
    for row in rows:
        try:
            pending.append(PendingJob(row.id, row.organisation_id, request_of(row, now)))
            by_id[row.id] = row
        except SuanliError as exc:
            _fail(session, row, f"cannot be placed: {exc.detail}", {"outcome": "infeasible", "reason": exc.detail})
    subsidy = quotes.subsidy_policy(session, organisation_ids=sorted({p.organisation_id for p in pending}))
    # Real commands never go to a simulated center (where nothing runs) unless the job allows it: the
    # jobs that do not are placed first, on the real pools only; then those that do, on every pool,
    # with the capacity the first round took.
    simulated = repo.simulated_pool_ids(session)
    real_only = [p for p in pending if not by_id[p.key].request.get("allow_simulated")]
    allowing = [p for p in pending if by_id[p.key].request.get("allow_simulated")]
    placed = 0
    for group, keep in ((real_only, lambda pool_id: pool_id not in simulated), (allowing, lambda _pool_id: True)):
        if group:
            views = [v for v in quotes.pool_views(session, subsidy=subsidy, now=now) if keep(v.pool_id)]
            if not views:  # only simulated centers, and these jobs did not allow them
                for pending_job in group:
                    _fail(session, by_id[pending_job.key], SIMULATED_ONLY, {"outcome": "infeasible", "reason": SIMULATED_ONLY})
                continue
            result = place_batch(group, views, subsidy=subsidy, usage_by_organisation=repo.devices_per_organisation(session))
            placed += _apply(session, result, by_id, now, note_simulated=bool(simulated) and group is real_only)
            session.flush()
    return placed


def _apply(session: Session, result: Any, by_id: dict[int, JobRow], now: datetime, *, note_simulated: bool) -> int:
    placed = 0
    for decision in result.decisions:
        job = by_id[decision.key]
        record = {**decision.as_dict(), "decided_at": now.isoformat(), "solver": result.solver}
        if decision.outcome == "placed":
            job.pool_id, job.placement, job.reason = decision.option.pool_id, record, None
            placed += 1
        elif decision.outcome == "infeasible":
            why = _why_infeasible(decision.excluded)
            if note_simulated:
                why = f"{why}; {SIMULATED_ONLY}"
            _fail(session, job, why[:1000], record)
        elif (job.placement or {}).get("option", {}) != record["option"]:
            job.placement = record  # deferred: only rewritten when the best option changed
            job.reason = "awaiting free capacity"
    return placed


def _why_infeasible(excluded) -> str:
    reasons = sorted({render(e.code, e.params, "en") for e in excluded})
    return ("no pool can run this job: " + "; ".join(reasons))[:1000]


def _fail(session: Session, job: JobRow, reason: str, record: dict[str, Any]) -> None:
    job.placement = record
    move(session, job, JobState.FAILED, reason[:1000])
    job.ended_at = utcnow()


def next_option_after_rejection(session: Session, *, job: JobRow, reason: str) -> int | None:
    """Block the job's current pool with `reason` and re-quote: the next-best pool id, recorded in
    the job's placement, or None when every option is blocked or none fits any more."""
    record = dict(job.placement or {})
    blocked = {int(k): str(v) for k, v in (record.get("blocked") or {}).items()}
    if job.pool_id is not None:
        blocked = block(blocked, job.pool_id, reason)
    history = [*record.get("history", []), {"from_pool": job.pool_id, "reason": reason, "at": utcnow().isoformat()}]
    chosen = None
    # Failing over never moves a real command onto a simulated center it did not allow.
    shunned = {} if (job.request or {}).get("allow_simulated") else {
        pool_id: "simulated center: not chosen" for pool_id in repo.simulated_pool_ids(session)}
    try:
        options = quotes.quote(session, principal=None, request=request_of(job), blocked={**shunned, **blocked}).options
        chosen = next_option(options, {**shunned, **blocked})
    except NoFeasiblePlacement:
        pass
    except SuanliError as exc:
        history[-1]["requote_error"] = exc.detail
    record.update(blocked={str(k): v for k, v in blocked.items()}, history=history)
    if chosen is None:
        record["outcome"] = "exhausted"
        job.placement = record
        return None
    record.update(outcome="placed", option=chosen.as_dict())
    job.placement = record
    job.pool_id = chosen.pool_id
    session.flush()
    return chosen.pool_id


