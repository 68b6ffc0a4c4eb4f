"""A span around every use case of a :class:`~lana_core.app.Lana`, so a trace shows which
use case a request ran and which statements and commands it issued."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from lana_adapters.telemetry.tracing import tracer, under_unrecorded_span
from lana_core.app import Lana
from lana_core.usecases._base import UseCase


def trace_use_cases(lana: Lana) -> Lana:
    """``lana`` with each use case wrapped in a span named ``use case <name>``
    (``use case create_customer``); returns the same object."""
    for name, handler in list(vars(lana).items()):
        if isinstance(handler, UseCase):
            setattr(lana, name, TracedUseCase(name, handler))
    return lana


class TracedUseCase:
    """Calls its use case inside an internal span, unless the caller's span is not recorded
    (see :func:`under_unrecorded_span`); anything else is the use case's own."""

    __slots__ = ("_handler", "_span_name")

    def __init__(self, name: str, handler: UseCase) -> None:
        self._handler = handler
        self._span_name = f"use case {name}"

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if under_unrecorded_span():
            return await self._handler(*args, **kwargs)  # type: ignore[operator]
        with tracer().start_as_current_span(self._span_name, kind=SpanKind.INTERNAL):
            return await self._handler(*args, **kwargs)  # type: ignore[operator]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)
