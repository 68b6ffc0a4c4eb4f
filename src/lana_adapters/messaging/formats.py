"""The bodies a webhook route can send, one function per shape.

``lana``: the event's message body as published (Lana's envelope), byte for byte.
``seed``: the body the original Lana CRM's consumer POSTed, which existing n8n workflows
read::

    {"type": "customer.created.high_value", "timestamp": "2026-01-01T09:30:00.000Z",
     "data": {"customerId": "…", "name": "…", "email": "…", "company": "…",
              "value": "HIGH", "createdAt": "2026-01-01T09:30:00.000Z"}}

A request's signature is computed over the bytes a format returns, the bytes sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from lana_core.domain.events import CUSTOMER_CREATED_HIGH_VALUE, DomainEvent
from lana_core.domain.webhooks import SEED_EVENT_TYPES

LANA: Final = "lana"
SEED: Final = "seed"

Format = Callable[[DomainEvent, bytes], bytes]


class NotInFormat(ValueError):
    """The event cannot be written in the route's format."""


def lana_body(event: DomainEvent, message_body: bytes) -> bytes:
    """The envelope as published: no copy, no second encoding."""
    return message_body


def seed_body(event: DomainEvent, message_body: bytes) -> bytes:
    """The seed's body for a customer-created event; raises NotInFormat for any other event."""
    if event.type not in SEED_EVENT_TYPES:
        raise NotInFormat(f"the seed format carries {' and '.join(SEED_EVENT_TYPES)} only, not {event.type}")
    # A customer.created event is recorded with the customer, from the same clock reading
    # as its created_at (which the payload leaves out as bookkeeping): occurred_at is both.
    created_at = javascript_time(event.occurred_at)
    document = {"type": event.type, "timestamp": created_at, "data": _seed_data(event, created_at)}
    # Compact, as the seed's JSON.stringify wrote it.
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _seed_data(event: DomainEvent, created_at: str) -> dict[str, Any]:
    payload = event.payload
    try:
        name, value = payload["name"], payload["value"]
    except KeyError as missing:
        raise NotInFormat(f"{event.type} {event.id} has no {missing} in its payload") from None
    return {
        "customerId": str(event.aggregate_id),
        "name": name,
        "email": payload.get("email"),
        "company": payload.get("company"),
        "value": str(value).upper(),  # the seed's enum names: LOW, MEDIUM, HIGH
        "createdAt": created_at,
    }


def javascript_time(moment: datetime) -> str:
    """``moment`` as JavaScript's ``Date.toISOString()`` writes it: UTC, milliseconds, ``Z``."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


FORMATS: Final[Mapping[str, Format]] = {LANA: lana_body, SEED: seed_body}


def default_format(pattern: str) -> str:
    """The seed's own route keeps the seed's body, so its n8n workflows keep working; every
    other route gets Lana's envelope."""
    return SEED if pattern == CUSTOMER_CREATED_HIGH_VALUE else LANA
