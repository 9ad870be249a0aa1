"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from suanli.domain.errors import PROBLEM_BASE, SuanliError

MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("suanli.api")

HTTP_SLUGS = {400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
              405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 413: "payload-too-large",
              415: "unsupported-media-type", 422: "invalid-input", 429: "too-many-requests"}


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    headers = {"Retry-After": str(extra["retry_after_s"])} if "retry_after_s" in extra else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI, *, translate: Callable[[BaseException], SuanliError | None] | None = None) -> None:
    """Render every error as problem+json; `translate` turns a busy database into a SuanliError."""

    @app.exception_handler(SuanliError)
    async def on_suanli_error(_request: Request, exc: SuanliError) -> JSONResponse:
        body = exc.problem()
        return problem(body.pop("status"), exc.slug, body.pop("title"), body.pop("detail"),
                       **{k: v for k, v in body.items() if k != "type"})

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()][:20]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}"
        return problem(422, "invalid-input", "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = HTTP_SLUGS.get(exc.status_code, "http-error")
        return problem(exc.status_code, slug, slug.replace("-", " ").capitalize(), str(exc.detail))

    # A number past what the database column holds (an id of 2**63, an amount of 10**20) is bad input,
    # not a server fault: SQLite raises OverflowError, PostgreSQL a DataError (numeric out of range).
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def on_out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        return problem(422, "invalid-input", "Invalid input", "a number or value in the request is out of range")

    # Input nested deeper than the parsers recurse (a YAML file of `[[[[...`) is bad input too.
    @app.exception_handler(RecursionError)
    async def on_too_deep(_request: Request, exc: Exception) -> JSONResponse:
        return problem(422, "invalid-input", "Invalid input", "the request is nested too deeply")

    # The safety net under the services' own checks: a database rule (a foreign key to nothing, a
    # unique key taken meanwhile) refused the request's change. The request was at fault, not the server.
    @app.exception_handler(IntegrityError)
    async def on_refused_by_database(_request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("database refused a change", error=type(exc.orig).__name__)
        return problem(409, "conflict", "Conflict",
                       "the request refers to something that does not exist or conflicts with existing data")

    # A busy database met outside a unit of work (which translates these itself): 503 + Retry-After.
    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def on_busy_database(request: Request, exc: Exception) -> JSONResponse:
        translated = translate(exc) if translate is not None else None
        if translated is None:
            return await on_unexpected(request, exc)
        return await on_suanli_error(request, translated)

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error=type(exc).__name__)
        return problem(500, "internal-error", "Internal error", "an unexpected error occurred; it was logged")
