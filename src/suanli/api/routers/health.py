"""Liveness and readiness.

Both answer on the event loop, outside the admission limit (see `api.app.Admission`): `/healthz`
touches nothing, `/readyz` asks the database through its own tiny engine in its own two threads, so
neither ever waits behind business requests for a slot, a thread or a connection.
"""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from suanli.api.problems import problem
from suanli.services import health

router = APIRouter(tags=["health"])
READY_TIMEOUT_S = 3.0
_probes = anyio.CapacityLimiter(2)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> dict[str, str] | JSONResponse:
    state = request.app.state
    if getattr(state, "readiness", None) is None:
        state.readiness = health.ReadinessProbe(state.settings.url)
    try:
        with anyio.fail_after(READY_TIMEOUT_S):
            reason = await anyio.to_thread.run_sync(state.readiness.problem, limiter=_probes, abandon_on_cancel=True)
    except TimeoutError:
        return problem(503, "not-ready", "Not ready", f"database did not answer within {READY_TIMEOUT_S:g} s",
                       retry_after_s=1)
    if reason:
        return problem(503, "not-ready", "Not ready", reason)
    return {"status": "ready"}
