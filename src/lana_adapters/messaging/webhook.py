"""Delivering events to n8n webhooks: the route table, signed requests, and a small HTTP client.

Each request carries the event id as ``Idempotency-Key`` (the receiver dedupes on it),
``X-Lana-Timestamp`` and ``X-Lana-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>`` under the shared secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from opentelemetry.trace import SpanKind, StatusCode

from lana_adapters.messaging.handling import Permanent, Transient
from lana_adapters.messaging.settings import WebhookRoute
from lana_adapters.telemetry import current_trace_context, tracer
from lana_core.domain.events import DomainEvent, matches

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Lana-Timestamp"
SIGNATURE_HEADER = "X-Lana-Signature"
_MAX_RESPONSE = 64 * 1024
_Key = tuple[str, str]  # (scheme, host:port)
_RETRY_ON_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Lana-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_seconds: float = 300
) -> bool:
    """Whether a received request is genuine and recent (for receivers written in Python)."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= tolerance_seconds
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class Routes:
    """Pattern → URL, first match wins; a route answered with 410 Gone is disabled until restart."""

    __slots__ = ("_disabled", "_routes")

    def __init__(self, routes: Sequence[WebhookRoute]) -> None:
        self._routes = tuple(routes)
        self._disabled: dict[WebhookRoute, str] = {}

    def match(self, event_type: str) -> WebhookRoute | None:
        return next((r for r in self._routes if matches(r.pattern, event_type)), None)

    def disable(self, route: WebhookRoute, reason: str) -> None:
        self._disabled[route] = reason
        log.error("webhook route %s -> %s disabled: %s", route.pattern, route.url, reason)

    def disabled(self, route: WebhookRoute) -> str | None:
        return self._disabled.get(route)


class HttpPoster:
    """POSTs over keep-alive ``http.client`` connections on worker threads, one connection per
    thread and host, so a slow endpoint never blocks the event loop or the broker connection."""

    __slots__ = ("_local", "_pool", "_timeout")

    def __init__(self, timeout_seconds: float, threads: int) -> None:
        self._timeout = timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lana-webhook")
        self._local = threading.local()

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The response status; raises OSError or http.client.HTTPException when there is none."""
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        key = (parts.scheme, parts.netloc)
        reused = key in self._connections()
        try:
            return self._exchange(key, target, body, headers)
        except _RETRY_ON_STALE:
            if not reused:
                raise
            # A kept-alive connection the server had closed: try once on a new one.
            return self._exchange(key, target, body, headers)

    @property
    def executor(self) -> ThreadPoolExecutor:
        return self._pool

    @property
    def timeout(self) -> float:
        return self._timeout

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _exchange(self, key: _Key, target: str, body: bytes, headers: Mapping[str, str]) -> int:
        conn = self._connection(key)
        try:
            conn.request("POST", target, body=body, headers=dict(headers))
            response = conn.getresponse()
            response.read(_MAX_RESPONSE)
            if response.will_close:
                self._forget(key)
            return response.status
        except BaseException:
            self._forget(key)
            raise

    def _connections(self) -> dict[_Key, http.client.HTTPConnection]:
        found: dict[_Key, http.client.HTTPConnection] | None = getattr(self._local, "connections", None)
        if found is None:
            found = self._local.connections = {}
        return found

    def _connection(self, key: _Key) -> http.client.HTTPConnection:
        connections = self._connections()
        if key not in connections:
            kind = http.client.HTTPSConnection if key[0] == "https" else http.client.HTTPConnection
            connections[key] = kind(key[1], timeout=self._timeout)
        return connections[key]

    def _forget(self, key: _Key) -> None:
        conn = self._connections().pop(key, None)
        if conn is not None:
            conn.close()


class WebhookDelivery:
    """A :class:`~lana_adapters.messaging.handling.Deliver` POSTing each event's message body to
    the URL of its route. 2xx is delivered; 410 disables the route (Permanent); anything
    else, a timeout or no connection is Transient."""

    __slots__ = ("_poster", "_routes", "_secret")

    def __init__(self, routes: Routes, poster: HttpPoster, secret: str | None) -> None:
        self._routes = routes
        self._poster = poster
        self._secret = secret

    async def __call__(self, event: DomainEvent, body: bytes) -> None:
        route = self._routes.match(event.type)
        if route is None:
            raise Permanent(f"no webhook route matches {event.type}")
        disabled = self._routes.disabled(route)
        if disabled is not None:
            raise Permanent(f"route {route.pattern} is disabled: {disabled}")
        status = await self._post(route, event, body)
        if status == 410:
            self._routes.disable(route, f"410 Gone from {route.url}")
            raise Permanent(f"route {route.pattern} is disabled: 410 Gone from {route.url}")
        if not 200 <= status < 300:
            raise Transient(f"HTTP {status} from {route.url}")

    async def _post(self, route: WebhookRoute, event: DomainEvent, body: bytes) -> int:
        with tracer().start_as_current_span(
            f"POST {route.pattern}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": "POST", "url.full": route.url},
        ) as span:
            status = await self._exchange(route, event, body)
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_status(StatusCode.ERROR)
            return status

    async def _exchange(self, route: WebhookRoute, event: DomainEvent, body: bytes) -> int:
        headers = self._headers(event, body)
        call = asyncio.get_running_loop().run_in_executor(
            self._poster.executor, self._poster.post, route.url, body, headers
        )
        try:
            # The socket timeout bounds each read; this bounds the whole exchange.
            return await asyncio.wait_for(call, self._poster.timeout * 2)
        except (OSError, http.client.HTTPException) as error:
            raise Transient(f"{type(error).__name__} calling {route.url}: {error}") from None

    def _headers(self, event: DomainEvent, body: bytes) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "lana-webhooks/1",
            "Idempotency-Key": str(event.id),
            "X-Lana-Event-Type": event.type,
            "X-Lana-Event-Id": str(event.id),
        }
        # The receiver's spans nest under this call; without a live span, under the recording request.
        traceparent = current_trace_context().get("traceparent") or event.trace_context.get("traceparent")
        if traceparent:
            headers["traceparent"] = traceparent
        if self._secret:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        return headers
