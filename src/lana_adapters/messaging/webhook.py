"""Delivering events to n8n webhooks: the route table and signed requests.

Each request carries the event id as ``webhook-id`` and ``Idempotency-Key`` (the receiver
dedupes on it), ``webhook-timestamp`` and, under a secret, the Standard Webhooks
``webhook-signature`` (see :mod:`lana_core.domain.webhook_signing`). Receivers written before
it check ``X-Lana-Timestamp`` and ``X-Lana-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>``, which requests under a secret still carry. Every attempt that fails is logged at
WARNING in one line; URLs in logs, errors and spans have their credentials masked.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry.trace import SpanKind, StatusCode

from lana_adapters.messaging.formats import FORMATS, NotInFormat
from lana_adapters.messaging.handling import Permanent, Transient
from lana_adapters.messaging.settings import WebhookRoute
from lana_adapters.messaging.webhook_client import CallFailed, WebhookClient
from lana_adapters.telemetry import current_trace_context, tracer
from lana_core.domain import webhook_signing
from lana_core.domain.events import DomainEvent, matches

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Lana-Timestamp"
SIGNATURE_HEADER = "X-Lana-Signature"
MASK = "***"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The legacy ``X-Lana-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_seconds: float = 300
) -> bool:
    """Whether a request is genuine and recent by its legacy ``X-Lana-Signature``; new receivers
    use :func:`lana_core.domain.webhook_signing.verify`."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= tolerance_seconds
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


@functools.lru_cache(maxsize=256)
def shown_url(url: str) -> str:
    """``url`` fit for logs: its user info and every query value masked (n8n and others put
    credentials and tokens there), its fragment dropped."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{MASK}@{host}" if "@" in parts.netloc else host
    query = urlencode([(name, MASK) for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


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
        log.error("webhook route %s -> %s disabled: %s", route.pattern, shown_url(route.url), reason)

    def disabled(self, route: WebhookRoute) -> str | None:
        return self._disabled.get(route)


class WebhookDelivery:
    """A :class:`~lana_adapters.messaging.handling.Deliver` POSTing each event to the URL of its
    route, in the route's body format. 2xx is delivered; 410 disables the route and an event
    the format cannot carry is refused (Permanent); anything else, a timeout or no
    connection is Transient."""

    __slots__ = ("_client", "_routes", "_secret")

    def __init__(self, routes: Routes, client: WebhookClient, secret: str | None) -> None:
        self._routes = routes
        self._client = client
        self._secret = secret

    async def __call__(self, event: DomainEvent, message_body: bytes, attempt: int) -> None:
        route = self._routes.match(event.type)
        if route is None:
            raise Permanent(f"no webhook route matches {event.type}")
        disabled = self._routes.disabled(route)
        if disabled is not None:
            raise Permanent(f"route {route.pattern} is disabled: {disabled}")
        status = await self._post(route, event, _body_for(route, event, message_body), attempt)
        if status == 410:
            gone = f"410 Gone from {shown_url(route.url)}"
            self._routes.disable(route, gone)
            raise Permanent(f"route {route.pattern} is disabled: {gone}")
        if not 200 <= status < 300:
            raise Transient(f"HTTP {status} from {shown_url(route.url)}")

    async def _post(self, route: WebhookRoute, event: DomainEvent, body: bytes, attempt: int) -> int:
        with tracer().start_as_current_span(
            f"POST {route.pattern}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": "POST", "url.full": shown_url(route.url)},
        ) as span:
            status = await self._exchange(route, event, body, attempt)
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_status(StatusCode.ERROR)
            return status

    async def _exchange(self, route: WebhookRoute, event: DomainEvent, body: bytes, attempt: int) -> int:
        began = time.perf_counter()
        try:
            status = await self._client.post(route.url, body, self._headers(event, body))
        except CallFailed as failed:
            _log_failed(route, event, attempt, failed.kind, began)
            detail = f": {failed.detail}" if failed.detail else ""
            raise Transient(f"{failed.kind} calling {shown_url(route.url)}{detail}") from None
        if not 200 <= status < 300:
            _log_failed(route, event, attempt, str(status), began)
        return status

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
        timestamp = int(time.time())
        headers[webhook_signing.ID_HEADER] = str(event.id)
        headers[webhook_signing.TIMESTAMP_HEADER] = str(timestamp)
        if self._secret:
            headers.update(webhook_signing.signature_headers(self._secret, str(event.id), timestamp, body))
            headers[TIMESTAMP_HEADER] = str(timestamp)
            headers[SIGNATURE_HEADER] = sign(self._secret, str(timestamp), body)
        return headers


def _body_for(route: WebhookRoute, event: DomainEvent, message_body: bytes) -> bytes:
    try:
        return FORMATS[route.format](event, message_body)
    except NotInFormat as error:
        raise Permanent(f"route {route.pattern}: {error}") from None


def _log_failed(route: WebhookRoute, event: DomainEvent, attempt: int, outcome: str, began: float) -> None:
    """One line per failed attempt; ``outcome`` is the answer's status or the error's class."""
    log.warning(
        "webhook call failed: event=%s type=%s route=%s url=%s outcome=%s latency_ms=%.0f attempt=%d",
        event.id, event.type, route.pattern, shown_url(route.url), outcome,
        (time.perf_counter() - began) * 1000, attempt,
    )  # fmt: skip
