"""Events survive the trip through a message; a message that cannot be an event is poison."""

from __future__ import annotations

import json

import pytest
from attrs import evolve
from hypothesis import given

from lana_adapters.messaging.codec import (
    AGGREGATE_VERSION_HEADER,
    TENANT_HEADER,
    PoisonMessage,
    decode,
    encode,
)
from lana_core.domain.events import DomainEvent
from tests.integration.messaging.events import event, events


@given(events)
def test_every_event_decodes_to_itself(original: DomainEvent) -> None:
    message = encode(original)
    assert decode(message.body, message.headers) == original


def test_headers_carry_routing_facts_without_the_body() -> None:
    original = event(version=7)
    message = encode(original)
    assert message.routing_key == original.type
    assert message.message_id == str(original.id)
    assert message.headers[TENANT_HEADER] == str(original.tenant_id)
    assert message.headers[AGGREGATE_VERSION_HEADER] == 7


def test_trace_context_travels_in_w3c_headers() -> None:
    traced = evolve(event(), trace_context={"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"})
    message = encode(traced)
    assert message.headers["traceparent"] == traced.trace_context["traceparent"]
    assert decode(message.body, message.headers).trace_context == traced.trace_context


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"id": "x"}', "malformed envelope"),
    ],
)
def test_unreadable_bodies_are_poison(body: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode(body, encode(event()).headers)


def test_an_unknown_event_type_is_poison() -> None:
    message = encode(event())
    document = json.loads(message.body)
    document["type"] = "customer.teleported"
    with pytest.raises(PoisonMessage, match="unknown event type"):
        decode(json.dumps(document).encode(), {**message.headers, "lana-event-type": "customer.teleported"})


def test_missing_headers_are_poison() -> None:
    message = encode(event())
    with pytest.raises(PoisonMessage, match="missing headers: lana-tenant-id"):
        decode(message.body, {k: v for k, v in message.headers.items() if k != TENANT_HEADER})


def test_headers_that_contradict_the_body_are_poison() -> None:
    message = encode(event())
    with pytest.raises(PoisonMessage, match="does not match"):
        decode(message.body, {**message.headers, TENANT_HEADER: "someone-else"})
