"""Delivering events to n8n webhooks: the route table and signed requests.

Each request carries the event id as ``Idempotency-Key`` (the receiver dedupes on it),
``X-Lana-Timestamp`` and ``X-Lana-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>`` under the shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Sequence

from opentelemetry.trace import SpanKind, StatusCode

from lana_adapters.messaging.handling import Permanent, Transient
from lana_adapters.messaging.http_client import BadResponse, HttpClient
from lana_adapters.messaging.settings import WebhookRoute
from lana_adapters.telemetry import current_trace_context, tracer
from lana_core.domain.events import DomainEvent, matches

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Lana-Timestamp"
SIGNATURE_HEADER = "X-Lana-Signature"


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

    __slots__ = ("_disabled", "_matched", "_routes")

    def __init__(self, routes: Sequence[WebhookRoute]) -> None:
        self._routes = tuple(routes)
        self._disabled: dict[WebhookRoute, str] = {}
        self._matched: dict[str, WebhookRoute | None] = {}  # a handful of event types, asked per message

    def match(self, event_type: str) -> WebhookRoute | None:
        if event_type not in self._matched:
            found = next((r for r in self._routes if matches(r.pattern, event_type)), None)
            self._matched[event_type] = found
        return self._matched[event_type]

    def disable(self, route: WebhookRoute, reason: str) -> None:
        self._disabled[route] = reason
        log.error("webhook route %s -> %s disabled: %s", route.pattern, route.url, reason)

    def disabled(self, route: WebhookRoute) -> str | None:
        return self._disabled.get(route)


class WebhookDelivery:
    """A :class:`~lana_adapters.messaging.handling.Deliver` POSTing each event's message body to
    the URL of its route. 2xx is delivered; 410 disables the route (Permanent); anything
    else, a timeout or no connection is Transient."""

    __slots__ = ("_client", "_routes", "_secret")

    def __init__(self, routes: Routes, client: HttpClient, secret: str | None) -> None:
        self._routes = routes
        self._client = client
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
        try:
            return await self._client.post(route.url, body, self._headers(event, body))
        except (OSError, BadResponse, ValueError) as error:  # TimeoutError is an OSError
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
