"""Process logging: JSON events one per line (or coloured text on a terminal), each carrying the
trace and span ids, the tenant and the request id, with secrets masked."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from attrs import frozen
from opentelemetry import trace

from lana_adapters.settings import Settings
from lana_adapters.telemetry.redaction import RedactSecrets


@frozen
class RequestContext:
    """What log lines of one request carry; ``tenant`` is read late, once authentication ran."""

    request_id: str
    tenant: Callable[[], str | None]


REQUEST_CONTEXT: ContextVar[RequestContext | None] = ContextVar("lana_request_context", default=None)
_HANDLER_NAME = "lana"
_COLOURS = {"DEBUG": "\x1b[2m", "INFO": "\x1b[32m", "WARNING": "\x1b[33m", "ERROR": "\x1b[31m"}
_RESET = "\x1b[0m"


def correlation() -> dict[str, str | None]:
    """trace_id, span_id, tenant and request_id of the code running now (None where unknown)."""
    span = trace.get_current_span().get_span_context()
    request = REQUEST_CONTEXT.get()
    return {
        "trace_id": format(span.trace_id, "032x") if span.is_valid else None,
        "span_id": format(span.span_id, "016x") if span.is_valid else None,
        "tenant": request.tenant() if request else None,
        "request_id": request.request_id if request else None,
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation ids, exception."""

    def __init__(self, redactor: RedactSecrets) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            # The handler's RedactSecrets filter has already cleaned the message.
            "message": record.getMessage(),
            **correlation(),
        }
        if record.exc_info:
            event["exception"] = self._redactor.clean(self.formatException(record.exc_info))
        return _ENCODER.encode(event)


# json.dumps with options builds a new encoder on every call; a log line needs only one.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


@functools.lru_cache(maxsize=4)
def _second(whole_seconds: int) -> str:
    return datetime.fromtimestamp(whole_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _timestamp(created: float) -> str:
    """``created`` as ISO 8601 in UTC to the millisecond; the lines of one second share its text."""
    whole = int(created)
    micros = round((created - whole) * 1_000_000)  # rounded as datetime rounds it
    if micros == 1_000_000:
        whole, micros = whole + 1, 0
    return f"{_second(whole)}.{micros // 1000:03d}+00:00"


class TextFormatter(logging.Formatter):
    """``time LEVEL logger message  trace=… request=…``, coloured by level when ``colour``."""

    def __init__(self, redactor: RedactSecrets, *, colour: bool) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s", "%H:%M:%S")
        self._redactor = redactor
        self._colour = colour

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = correlation()
        tail = " ".join(
            f"{k}={v}" for k, v in (("trace", ids["trace_id"]), ("request", ids["request_id"])) if v
        )
        if tail:
            line = f"{line}  {tail}"
        if self._colour:
            line = f"{_COLOURS.get(record.levelname, '')}{line}{_RESET}"
        return self._redactor.clean(line)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Route the root logger through one handler formatted per ``LANA_LOG_FORMAT`` at ``LANA_LOG_LEVEL``.

    The secrets of ``settings`` (every group's) are masked wherever they appear. Calling it again replaces
    the handler it installed before. Raises ValueError for an unknown format or level.
    """
    target = stream or sys.stderr
    redactor = RedactSecrets(settings.secrets())
    handler = logging.StreamHandler(target)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(redactor)
    handler.setFormatter(_formatter(settings.telemetry.log_format, redactor, target))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_level(settings.telemetry.log_level))
    # httpx logs every webhook call at INFO with its URL unmasked; the consumer logs each
    # failed call itself, its URL masked.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler


def _formatter(kind: str, redactor: RedactSecrets, stream: TextIO) -> logging.Formatter:
    tty = bool(getattr(stream, "isatty", lambda: False)())
    if kind == "json" or (kind == "auto" and not tty):
        return JsonFormatter(redactor)
    if kind in ("text", "auto"):
        return TextFormatter(redactor, colour=tty)
    raise ValueError(f"LANA_LOG_FORMAT must be json, text or auto, got {kind!r}")


def _level(name: str) -> int:
    level = logging.getLevelName(name.strip().upper())
    if not isinstance(level, int):
        raise ValueError(f"LANA_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {name!r}")
    return level
