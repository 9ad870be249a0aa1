"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from suanli.api.problems import problem
from suanli.db.migrate import is_current

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> dict[str, str] | JSONResponse:
    try:
        current = is_current(request.app.state.engine)
    except Exception as exc:  # noqa: BLE001 - any database trouble means not ready
        return problem(503, "not-ready", "Not ready", f"database unreachable: {type(exc).__name__}")
    if not current:
        return problem(503, "not-ready", "Not ready", "database not migrated: run `suanli db upgrade`")
    return {"status": "ready"}
