"""Lana's tracer and the one question spans ask of the current one, on the OpenTelemetry API
alone: adapters make spans without the SDK installed, as no-ops until a provider is."""

from __future__ import annotations

import functools

from opentelemetry import trace

TRACER_NAME = "lana"

__all__ = ["TRACER_NAME", "tracer", "under_unrecorded_span"]


def under_unrecorded_span() -> bool:
    """Whether the current span has ids but is not recorded.

    A child would not be recorded either (samplers follow the parent, or decide by the
    trace id as the parent's did), and the parent's ids already serve the logs and the
    outbox: a child span would add only its cost.
    """
    parent = trace.get_current_span()
    return not parent.is_recording() and parent.get_span_context().is_valid


def tracer() -> trace.Tracer:
    """Lana's tracer on whichever provider is installed (a no-op one until telemetry is configured)."""
    return _tracer_of(trace.get_tracer_provider())


# Building a tracer costs more than the span it starts: one per provider, the current one kept.
@functools.lru_cache(maxsize=1)
def _tracer_of(provider: trace.TracerProvider) -> trace.Tracer:
    return provider.get_tracer(TRACER_NAME)
