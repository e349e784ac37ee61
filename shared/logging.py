"""structlog set-up shared by all services: JSON (or console) with PII redaction."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from shared.pii import redact

_SAFE_KEYS = frozenset(
    {"timestamp", "level", "logger", "service", "event_id", "correlation_id", "correlation_ids"}
)


def redact_pii(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: no NIK or phone number leaves the process in a log line."""
    return {k: (v if k in _SAFE_KEYS else redact(v)) for k, v in event_dict.items()}


def _stderr_logger(*_: Any) -> structlog.PrintLogger:
    # Why sys.stderr is looked up for each logger and not bound once: the stream current at
    # configuration time may be replaced and closed later (a test's captured output, a
    # redirected stderr), and every later log line would then fail.
    return structlog.PrintLogger(sys.stderr)


def configure_logging(*, service: str, fmt: str = "json", level: str = "INFO") -> None:
    """Configure structlog and route stdlib logging (uvicorn, aiokafka) through it."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(),
            # plain tracebacks: rich ones print local variables, which may hold personal data
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_pii,
    ]
    structlog.configure(
        processors=[*shared_processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[
                *shared_processors[:-2],
                structlog.stdlib.add_logger_name,
                redact_pii,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "faststream", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def get_logger(name: str | None = None) -> Any:
    """A structlog logger (bound to the service's context)."""
    return structlog.get_logger(name)


def is_enabled_for(logger: Any, level: int) -> bool:
    """Whether `logger` emits lines at `level` (a stdlib level number) as configured now.

    For hot paths: ask once (e.g. per batch) before building many DEBUG lines, each of which
    would otherwise cost a bound logger and its arguments even when filtered out. A logger
    that cannot tell is taken to emit.
    """
    bound = logger.bind() if hasattr(logger, "bind") else logger
    check = getattr(bound, "is_enabled_for", None)
    return True if check is None else bool(check(level))
