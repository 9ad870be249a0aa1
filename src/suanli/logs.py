"""Logging set-up: structured lines without local variables in tracebacks.

Rich tracebacks with locals would print secrets held in local variables (passwords, tokens) and cost
seconds of CPU per error, a lever for anyone who can provoke errors; plain tracebacks print neither.
"""

from __future__ import annotations

import logging

import structlog


def configure_logging(level: int = logging.INFO) -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
