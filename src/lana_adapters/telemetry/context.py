"""W3C trace context as plain string maps: what outbox rows and message headers carry."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate


def current_trace_context() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``, ``baggage`` when set) of the active span; empty outside one."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, object]) -> otel_context.Context:
    """The context a producer stored in ``carrier``, to continue its trace."""
    return propagate.extract({name: str(value) for name, value in carrier.items()})
