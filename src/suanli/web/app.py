"""Mounts the web UI on the API app: page routers, static files, Plotly from the installed package,
and error handling that answers browsers with pages (sign-in redirect, 403, error page) while API
paths keep their problem+json.

`suanli.api.app.create_app` calls `install(app)` when this module exists.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import secrets
from pathlib import Path
from typing import Any

import plotly  # type: ignore[import-untyped]
import swagger_ui  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from suanli.domain.errors import SuanliError
from suanli.web import routes as routes_package
from suanli.web.common import PageForbidden, SignInRequired, error_text, optional_viewer, redirect, render
from suanli.web.csrf import CsrfRefused
from suanli.web.i18n import language, translator
from suanli.web.problems import HTTP_TITLES

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Swagger UI 5 (OpenAPI 3.1, which FastAPI emits) as vendored by the `swagger-ui-py` package.
SWAGGER_UI = Path(swagger_ui.__file__).parent / "static"


def install(app: FastAPI) -> None:
    app.state.web_secret = app.state.settings.secret("web_secret") or _secret(app.state.settings)
    for module in _route_modules():
        app.include_router(module.router)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """Swagger UI from the installed `swagger-ui-py` package: nothing is fetched from elsewhere."""
        return render(request, "api_docs.html", viewer=None)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        return redirect("/docs")

    app.mount("/vendor/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_errors(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Content-Security-Policy",
                                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                        "script-src 'self' 'unsafe-eval'; frame-ancestors 'none'")
        return response


def _route_modules() -> list[Any]:
    return [importlib.import_module(f"{routes_package.__name__}.{info.name}")
            for info in sorted(pkgutil.iter_modules(routes_package.__path__), key=lambda i: i.name)]


def _secret(settings: Any) -> bytes:
    """Outside production, with no configured web secret: a per-installation secret for CSRF tokens,
    kept in the data directory so restarts and several server processes agree; a random one when the
    directory cannot be written. Production refuses to start without a configured one."""
    path = Path(settings.data_dir) / "web-secret"
    try:
        if path.exists():
            return path.read_bytes()
        settings.require_no_generation("web_secret")
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(value)
        return value
    except OSError:
        return secrets.token_bytes(32)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/metrics", "/openapi.json"))


def _install_errors(app: FastAPI) -> None:
    api_handler = app.exception_handlers.get(SuanliError)
    http_handler = app.exception_handlers.get(StarletteHTTPException)
    validation_handler = app.exception_handlers.get(RequestValidationError)

    async def sign_in(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/signin?next={target}" if target not in ("/", "/home") else "/signin")

    async def forbidden(request: Request, _exc: Exception) -> Response:
        viewer = await run_in_threadpool(_viewer, request)  # a database read: off the event loop
        return render(request, "error.html", 403, viewer=viewer, code=403, detail=None)

    async def refused_csrf(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", 403, viewer=None, code="csrf", detail=None)

    async def suanli_error(request: Request, exc: Exception) -> Response:
        if not _is_page(request) and api_handler is not None:
            return await api_handler(request, exc)  # type: ignore[no-any-return,misc]
        assert isinstance(exc, SuanliError)
        viewer = await run_in_threadpool(_viewer, request)
        # In the reader's language: a Chinese page never shows the service's English sentence.
        return render(request, "error.html", exc.status, viewer=viewer, code=exc.status,
                      detail=error_text(exc, language(request)))

    async def request_error(request: Request, exc: Exception) -> Response:
        """A page that does not exist, a method it does not take, a malformed form or path: the error
        page in the reader's language for a browser (it asks for text/html); problem+json for the API
        and for every other client (the outward contract: errors are problem+json)."""
        handler = validation_handler if isinstance(exc, RequestValidationError) else http_handler
        wants_page = _is_page(request) and "text/html" in request.headers.get("accept", "")
        if not wants_page and handler is not None:
            return await handler(request, exc)  # type: ignore[no-any-return,misc]
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 422
        viewer = await run_in_threadpool(_viewer, request)
        reason = HTTP_TITLES.get(status)
        response = render(request, "error.html", status, viewer=viewer, code=status,
                          detail=translator(language(request))(reason) if reason else None)
        if isinstance(exc, StarletteHTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    app.add_exception_handler(StarletteHTTPException, request_error)
    app.add_exception_handler(RequestValidationError, request_error)
    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(PageForbidden, forbidden)
    app.add_exception_handler(CsrfRefused, refused_csrf)
    app.add_exception_handler(SuanliError, suanli_error)


def _viewer(request: Request) -> Any:
    session = request.app.state.sessions()
    try:
        return optional_viewer(request, session)
    finally:
        session.close()
