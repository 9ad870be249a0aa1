"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from suanli.api.problems import problem
from suanli.services import health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> dict[str, str] | JSONResponse:
    reason = health.readiness_problem(request.app.state.engine)
    if reason:
        return problem(503, "not-ready", "Not ready", reason)
    return {"status": "ready"}
