"""Domain events as broker messages and back: a JSON body plus headers a router can read
without parsing the body (tenant, event version, aggregate id and version, trace context)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from attrs import frozen

from lana_core.domain.events import ENVELOPE_VERSION, EVENT_TYPES, DomainEvent

CONTENT_TYPE: Final = "application/json"
CONTENT_ENCODING: Final = "utf-8"
TENANT_HEADER: Final = "lana-tenant-id"
TYPE_HEADER: Final = "lana-event-type"
VERSION_HEADER: Final = "lana-event-version"
AGGREGATE_TYPE_HEADER: Final = "lana-aggregate-type"
AGGREGATE_ID_HEADER: Final = "lana-aggregate-id"
AGGREGATE_VERSION_HEADER: Final = "lana-aggregate-version"
# W3C trace context names, so any OpenTelemetry propagator reads them as they are.
TRACE_HEADERS: Final = ("traceparent", "tracestate", "baggage")
REQUIRED_HEADERS: Final = (
    TENANT_HEADER,
    TYPE_HEADER,
    VERSION_HEADER,
    AGGREGATE_ID_HEADER,
    AGGREGATE_VERSION_HEADER,
)


class PoisonMessage(Exception):
    """A message no retry can deliver: unparseable body, unknown type or missing headers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@frozen(kw_only=True)
class Encoded:
    """One event ready for the broker: ``message_id`` is the event id (the dedup key)."""

    body: bytes
    headers: dict[str, Any]
    message_id: str
    routing_key: str
    timestamp: float


def encode(event: DomainEvent) -> Encoded:
    """The message for ``event``; raises TypeError or ValueError if its payload is not JSON."""
    return Encoded(
        body=encode_body(event),
        headers=headers_of(event),
        message_id=str(event.id),
        routing_key=event.type,
        timestamp=event.occurred_at.timestamp(),
    )


def encode_body(event: DomainEvent) -> bytes:
    document = {
        "id": str(event.id),
        "type": event.type,
        "version": event.version,
        "tenant_id": str(event.tenant_id),
        "aggregate_type": event.aggregate_type,
        "aggregate_id": str(event.aggregate_id),
        "aggregate_version": event.aggregate_version,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": None if event.actor_id is None else str(event.actor_id),
        "payload": dict(event.payload),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def headers_of(event: DomainEvent) -> dict[str, Any]:
    headers: dict[str, Any] = {
        TENANT_HEADER: str(event.tenant_id),
        TYPE_HEADER: event.type,
        VERSION_HEADER: event.version,
        AGGREGATE_TYPE_HEADER: event.aggregate_type,
        AGGREGATE_ID_HEADER: str(event.aggregate_id),
        AGGREGATE_VERSION_HEADER: event.aggregate_version,
    }
    for name in TRACE_HEADERS:
        value = event.trace_context.get(name)
        if value:
            headers[name] = value
    return headers


def decode(body: bytes, headers: Mapping[str, Any] | None) -> DomainEvent:
    """The event a message carries; raises PoisonMessage saying why it cannot be read."""
    headers = headers or {}
    missing = [name for name in REQUIRED_HEADERS if name not in headers]
    if missing:
        raise PoisonMessage(f"missing headers: {', '.join(missing)}")
    event = _read(_document(body), headers)
    _check_headers(event, headers)
    return event


def decode_body(body: bytes) -> DomainEvent:
    """The event an envelope holds, read without message headers (a stored delivery's);
    raises PoisonMessage as :func:`decode`."""
    return _read(_document(body), {})


def _read(document: Mapping[str, Any], headers: Mapping[str, Any]) -> DomainEvent:
    try:
        return _event_of(document, headers)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PoisonMessage(f"malformed envelope: {type(error).__name__}: {error}") from None


def _document(body: bytes) -> Mapping[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise PoisonMessage(f"body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise PoisonMessage("body is not a JSON object")
    return document


def _event_of(document: Mapping[str, Any], headers: Mapping[str, Any]) -> DomainEvent:
    event_type = _text(document["type"])
    if event_type not in EVENT_TYPES:
        raise PoisonMessage(f"unknown event type {event_type!r}")
    version = _integer(document["version"])
    if not 1 <= version <= ENVELOPE_VERSION:
        raise PoisonMessage(f"unsupported envelope version {version}")
    occurred_at = datetime.fromisoformat(_text(document["occurred_at"]))
    if occurred_at.utcoffset() is None:
        raise ValueError("occurred_at has no time zone")
    payload = document["payload"]
    if not isinstance(payload, dict):
        raise TypeError("payload is not an object")
    actor = document["actor_id"]
    return DomainEvent(
        id=UUID(_text(document["id"])),
        type=event_type,
        tenant_id=UUID(_text(document["tenant_id"])),
        aggregate_type=_text(document["aggregate_type"]),
        aggregate_id=UUID(_text(document["aggregate_id"])),
        aggregate_version=_integer(document["aggregate_version"]),
        occurred_at=occurred_at,
        actor_id=None if actor is None else UUID(_text(actor)),
        payload=payload,
        version=version,
        trace_context={name: str(headers[name]) for name in TRACE_HEADERS if headers.get(name)},
    )


def _check_headers(event: DomainEvent, headers: Mapping[str, Any]) -> None:
    expected = headers_of(event)
    for name in REQUIRED_HEADERS:
        if str(headers[name]) != str(expected[name]):
            raise PoisonMessage(f"header {name} does not match the body")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value
