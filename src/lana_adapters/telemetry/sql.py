"""One client span per SQL statement: from the engine's cursor events, and around the
statements the PostgreSQL fast path sends on psycopg directly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.telemetry.tracing import tracer, under_unrecorded_span

_SPAN_KEY = "_lana_sql_span"
_MAX_STATEMENT = 2_000


def trace_sql(engine: AsyncEngine) -> None:
    """Make every statement ``engine`` runs a span under the current one.

    The statement text is recorded with its placeholders; parameter values never are.
    """
    sync = engine.sync_engine
    if event.contains(sync, "before_cursor_execute", _before):
        return
    event.listen(sync, "before_cursor_execute", _before)
    event.listen(sync, "after_cursor_execute", _after)
    event.listen(sync, "handle_error", _failed)


def start_statement_span(statement: str, system: str) -> trace.Span:
    """A client span for one statement (its text with placeholders, never its values).

    Under a span that is not recorded none is made (see :func:`under_unrecorded_span`).
    """
    if under_unrecorded_span():
        return trace.INVALID_SPAN
    operation = statement.lstrip().split(" ", 1)[0].upper() or "SQL"
    return tracer().start_span(
        operation,
        kind=SpanKind.CLIENT,
        attributes={
            "db.system": system,
            "db.operation.name": operation,
            "db.query.text": statement[:_MAX_STATEMENT],
        },
    )


@contextmanager
def statement_span(statement: str, system: str) -> Iterator[trace.Span]:
    """:func:`start_statement_span` for the block; a failure is recorded on the span."""
    span = start_statement_span(statement, system)
    try:
        yield span
    except Exception as error:
        _record_failure(span, error)
        raise
    finally:
        span.end()


def _before(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _executemany: bool) -> None:
    span = start_statement_span(statement, conn.engine.dialect.name)
    if context is not None:
        # The execution context lives exactly as long as the statement: the span rides on it.
        setattr(context, _SPAN_KEY, span)


def _after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
    span = _span_of(context)
    if span is not None:
        span.end()


def _failed(exception_context: Any) -> None:
    span = _span_of(exception_context.execution_context)
    if span is not None:
        _record_failure(span, exception_context.original_exception)
        span.end()


def _record_failure(span: trace.Span, error: BaseException) -> None:
    span.record_exception(error)
    span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))


def _span_of(context: Any) -> trace.Span | None:
    if context is None:
        return None
    span = getattr(context, _SPAN_KEY, None)
    if isinstance(span, trace.Span):
        setattr(context, _SPAN_KEY, None)
        return span
    return None
