"""Per-request telemetry: a server span continuing the caller's trace, the ``X-Request-ID`` header
in and out, log lines tagged with the request and tenant, and the route's metrics."""

from __future__ import annotations

import logging
import random
import re
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from lana_adapters.telemetry import REQUEST_CONTEXT, RequestContext, context_from, tracer
from lana_http.middleware.request_metrics import mark_started

log = logging.getLogger("lana.http")
REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
METRICS_STATE_KEY = "lana_metrics"


class ObservabilityMiddleware:
    """Wraps each routed request in a span named ``METHOD /route/{template}`` and, with
    ``access_log``, logs one line for it; the response is counted by
    :func:`~lana_http.middleware.request_metrics.request_counter`."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self._app = app
        self._access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        headers = _headers(scope)
        request_id = _request_id(headers.get("x-request-id"))
        method = str(scope.get("method", "GET"))
        route = str(scope.get("path_template") or scope.get("path", ""))
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        started = time.perf_counter()
        mark_started(scope)
        token = REQUEST_CONTEXT.set(RequestContext(request_id, _TenantOf(scope)))
        try:
            with tracer().start_as_current_span(
                f"{method} {route}",
                context=context_from(headers),
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": method,
                    "http.route": route,
                    "lana.request_id": request_id,
                },
                record_exception=True,
                set_status_on_exception=True,
            ) as span:
                await self._app(scope, receive, send_with_id)
                _finish(span, status[0], scope)
                if self._access_log:
                    _log_access(method, route, status[0], (time.perf_counter() - started) * 1000)
        finally:
            REQUEST_CONTEXT.reset(token)


def _log_access(method: str, route: str, status: int, elapsed_ms: float) -> None:
    """The request's line, made as ``log.info`` makes one but without its search up the
    stack for the caller, which is always this function and so would be wasted work."""
    if log.isEnabledFor(logging.INFO):
        fields = (method, route, status, elapsed_ms)
        record = log.makeRecord(log.name, logging.INFO, __file__, _HERE, _ACCESS, fields, None, "_log_access")
        log.handle(record)


_ACCESS = "%s %s %d %.1fms"
_HERE = _log_access.__code__.co_firstlineno


def _finish(span: trace.Span, status: int, scope: Scope) -> None:
    if not span.is_recording():
        return  # a span nobody samples keeps nothing it is told
    span.set_attribute("http.response.status_code", status)
    tenant = _tenant(scope)
    if tenant:
        span.set_attribute("lana.tenant_id", tenant)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])
    }


def _request_id(offered: str | None) -> str:
    if offered and _ACCEPTED_ID.fullmatch(offered):
        return offered
    # An id only has to be unique, not secret: the random module's generator (reseeded in
    # forked children) makes one without the system call uuid4 spends on each.
    return f"{random.getrandbits(128):032x}"


def _tenant(scope: Scope) -> str | None:
    user: Any = scope.get("user")
    tenant = getattr(user, "tenant_id", None)
    return None if tenant is None else str(tenant)


class _TenantOf:
    """The tenant of a request's scope, for its log lines: read late, as authentication
    sets it, and rendered once it is known (a UUID's text costs more than a line's fields)."""

    __slots__ = ("_scope", "_text")

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._text: str | None = None

    def __call__(self) -> str | None:
        if self._text is None:
            self._text = _tenant(self._scope)
        return self._text
