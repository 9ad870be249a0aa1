"""The FastAPI app factory: wires settings, the database, backends, routers, errors and metrics.

Nothing is built at import time; `create_app` makes everything. Routers are found in
`suanli.api.routers` (every module with a `router`), the web UI in `suanli.web` when present.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import pkgutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import structlog
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from suanli import __version__, bootstrap
from suanli.api import problems
from suanli.api import routers as routers_package
from suanli.api.throttle import FailedSignIns
from suanli.config import Settings, load_settings
from suanli.db.engine import engine_from_settings
from suanli.db.uow import busy_error, session_factory
from suanli.logs import bind_request_id, configure_from, new_request_id, unbind_request_id
from suanli.metrics import build_registry
from suanli.services import audit
from suanli.services.backends import BackendCache
from suanli.workers.loop import Worker
from suanli.workers.sequencer import Sequencer

access = structlog.get_logger("suanli.access")


def create_app(settings: Settings | None = None, *, run_workers: bool = False) -> FastAPI:
    settings = settings or load_settings()
    configure_from(settings)
    bootstrap.wire(settings)
    engine = engine_from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        audit.init_signer(settings.data_dir)  # the log's signing key exists from the first start
        # Every admitted request holds at most one thread at a time; with threads to spare, a request
        # holding a lock always gets the thread it needs to finish (docs/operations-load.md).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, settings.request_limit + 16)
        worker = (Worker(app.state.sessions, app.state.backends, settings.worker_interval_s, settings=settings)
                  if run_workers else None)
        # Audit events wait in the outbox until sequenced: this process sequences its own commits.
        sequencer = Sequencer(app.state.sessions, signer=lambda: audit.init_signer(settings.data_dir),
                              gather_s=settings.sequencer_gather_ms / 1000)
        sequencer.start()
        if worker:
            worker.start()
        yield
        if worker:
            worker.stop()
        sequencer.stop()
        engine.dispose()
        if getattr(app.state, "readiness", None) is not None:
            app.state.readiness.dispose()

    # /docs is served by the web package from installed Swagger UI assets (air-gapped, CSP self-only).
    app = FastAPI(title="Suanli 算力 API", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Regional compute-power service platform with compute vouchers (算力券).")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.backends = BackendCache(settings.data_dir)
    app.state.failed_sign_ins = FailedSignIns(settings.login_max_failures_per_client, settings.login_lockout_seconds)
    problems.install(app, translate=busy_error)
    app.add_middleware(Admission, limit=settings.request_limit, wait_s=settings.admission_wait_s,
                       retry_after_s=settings.retry_after_s)
    _install_metrics(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for router in _discover_routers():
        app.include_router(router)
    _mount_web(app)
    return app


def app_from_environment() -> FastAPI:
    """The factory each process of `suanli serve --workers N` calls (settings from the environment)."""
    import os

    return for_serving(create_app(load_settings(), run_workers=os.environ.get("SUANLI_SERVE_RUN_WORKERS", "1") == "1"))


def for_serving(app: FastAPI) -> FastAPI:
    """The app of a server process, once built: what starting up allocated (modules, routes, models,
    templates, catalogs: ~230,000 objects) is moved out of the garbage collector's sight. Otherwise
    every full collection walks all of it inside whichever request triggered it: measured on
    `/dashboard`, one request in ~100 took 114-134 ms against a p50 of 5 ms (a full collection of a
    fresh app costs 60-85 ms here), and none over 13 ms with the objects frozen. Only for serving:
    a process that builds many apps (the tests) would keep every frozen one alive."""
    gc.collect()
    gc.freeze()
    return app


def _discover_routers() -> list[Any]:
    found = []
    for info in sorted(pkgutil.iter_modules(routers_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{routers_package.__name__}.{info.name}")
        if hasattr(module, "router"):
            found.append(module.router)
    return found


def _mount_web(app: FastAPI) -> None:
    try:
        web = importlib.import_module("suanli.web.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("suanli.web", "suanli.web.app"):
            raise
        return
    web.install(app)


def _install_metrics(app: FastAPI) -> None:
    # A registry per app, so several apps (tests) never collide on metric names: the HTTP series, the
    # process-wide worker/backend series, the database gauges and the process collectors (metrics.py).
    registry = build_registry(app.state.sessions)
    requests = Counter("suanli_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("suanli_http_request_seconds", "HTTP request latency", ["method", "route"], registry=registry)
    app.state.metrics_registry = registry

    app.add_middleware(RequestMetrics, requests=requests, latency=latency,
                       access_log=app.state.settings.access_log)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Count and time every request by route template (a plain ASGI middleware: cheaper than
    Starlette's BaseHTTPMiddleware on the hot path)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram, access_log: bool = True) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        offered = dict(scope.get("headers", [])).get(b"x-request-id")
        request_id = new_request_id(offered.decode("latin-1") if offered else None)
        token = bind_request_id(request_id)  # every log line of this request carries it

        async def send_and_note(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], route, str(status)).inc()
            self.latency.labels(scope["method"], route).observe(elapsed)
            if self.access_log:
                client = scope.get("client")
                access.info("request", method=scope["method"], path=scope.get("path"), route=route, status=status,
                            ms=round(elapsed * 1000, 2), client=client[0] if client else None)
            unbind_request_id(token)


class Admission:
    """Back-pressure at the edge: at most `limit` requests of this process in the app at once (what
    its connection pool can serve); a request finding every slot taken for `wait_s` gets 503 +
    `Retry-After` problem+json at once instead of queueing for a connection or a thread behind a lock
    holder that then could not finish. Probes, metrics and static files are never held back."""

    EXEMPT = ("/healthz", "/readyz", "/metrics")

    def __init__(self, app: ASGIApp, limit: int, wait_s: float, retry_after_s: int) -> None:
        self.app = app
        self.limit = limit
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self._slots: asyncio.Semaphore | None = None
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in self.EXEMPT or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made on the server's event loop, at the first request
            self._slots = asyncio.Semaphore(self.limit)
        if not await self._admit(self._slots):
            self.refused += 1
            response = problems.problem(503, "service-busy", "Service busy",
                                        f"every one of the {self.limit} request slots is taken; "
                                        f"retry in {self.retry_after_s} s", retry_after_s=self.retry_after_s)
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()

    async def _admit(self, slots: asyncio.Semaphore) -> bool:
        if not slots.locked():
            await slots.acquire()  # a free slot: returns without suspending
            return True
        if self.wait_s <= 0:
            return False
        try:
            await asyncio.wait_for(slots.acquire(), self.wait_s)
        except TimeoutError:
            return False
        return True


class BodySizeLimit:
    """Refuse request bodies over the limit with 413 problem+json, counting streamed bytes too."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen, too_large = 0, False

        async def counting_receive() -> Any:
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                too_large = True
                raise _TooLarge
            return message

        async def guarded_send(message: Any) -> None:
            # FastAPI turns an exception while reading the body into its own 400; the 413 wins.
            if not too_large:
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        if too_large:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problems.problem(413, "payload-too-large", "Payload too large",
                                    f"request body larger than {self.max_bytes} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
