"""Requests counted per route template and status as each response starts.

Counting at the response, not in a route middleware, gives every answer its real status:
a 401 or 429 raised by a middleware, and a 404 or 405 answered before any route matched.
Those unmatched requests share one ``route`` label, so scanners cannot grow the series.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

from lana_adapters.telemetry import LanaMetrics

UNMATCHED_ROUTE = "unmatched"
OTHER_METHOD = "OTHER"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STARTED = "lana_request_started"
_COUNTED = "lana_request_counted"


def mark_started(scope: Scope) -> None:
    """Remember when a routed request began, for its latency (call before handling it)."""
    scope.setdefault("state", {})[_STARTED] = time.perf_counter()


def route_label(scope: Scope) -> str:
    """The matched route's template, or :data:`UNMATCHED_ROUTE` when no route took the request."""
    template = scope.get("path_template") if scope.get("route_handler") is not None else None
    return str(template) if template else UNMATCHED_ROUTE


def method_label(scope: Scope) -> str:
    method = str(scope.get("method", "GET")).upper()
    return method if method in _METHODS else OTHER_METHOD


def request_counter(metrics: LanaMetrics) -> BeforeMessageSendHookHandler:
    """A ``before_send`` hook counting each HTTP response once, with its latency when routed."""

    async def count(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
            return
        state = scope.setdefault("state", {})
        if state.get(_COUNTED):
            return
        state[_COUNTED] = True
        method, route, status = method_label(scope), route_label(scope), int(message["status"])
        metrics.http_requests.labels(method=method, route=route, status=str(status)).inc()
        started = state.get(_STARTED)
        if started is not None:
            metrics.http_latency.labels(method=method, route=route).observe(time.perf_counter() - started)
        if status >= 500:
            metrics.http_errors.labels(method=method, route=route).inc()

    return count
