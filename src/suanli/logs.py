"""Logging set-up: structured lines without local variables in tracebacks.

Rich tracebacks with locals would print secrets held in local variables (passwords, tokens) and cost
seconds of CPU per error, a lever for anyone who can provoke errors; plain tracebacks print neither.

`SUANLI_LOG_FORMAT=json` writes one JSON object per line (for a log shipper), `console` (default)
readable lines; `SUANLI_LOG_LEVEL` filters. Every line logged while an HTTP request is handled
carries its `request_id` (from the client's `X-Request-ID` when it is sane, else generated), which
the response echoes; services read it with `request_id()`.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

import structlog

_request_id: ContextVar[str | None] = ContextVar("suanli_request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def configure_logging(level: int | str = logging.INFO, *, json_lines: bool = False) -> None:
    if isinstance(level, str):
        level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: Any = (structlog.processors.JSONRenderer(ensure_ascii=False) if json_lines else
                     structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback))
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if json_lines:
        processors.append(structlog.processors.format_exc_info)
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # The process's own stderr (file descriptor 2), not whatever `sys.stderr` was swapped for: a CLI
    # runner that captures output for a while must neither receive the server's log lines nor leave
    # loggers writing into its closed capture file afterwards ("I/O operation on closed file").
    return structlog.PrintLogger(sys.__stderr__ or sys.stderr)


def configure_from(settings: Any) -> None:
    configure_logging(settings.log_level, json_lines=settings.log_format == "json")


def new_request_id(offered: str | None) -> str:
    """The client's id when it is a sane token, else a fresh one."""
    return offered if offered and _SANE_ID.match(offered) else uuid.uuid4().hex


def bind_request_id(value: str) -> Any:
    structlog.contextvars.bind_contextvars(request_id=value)
    return _request_id.set(value)


def unbind_request_id(token: Any) -> None:
    structlog.contextvars.unbind_contextvars("request_id")
    _request_id.reset(token)


def request_id() -> str | None:
    """The id of the HTTP request being handled, if any."""
    return _request_id.get()
