"""Webhook body formats: the seed's body for the events the use cases record, and how a route
chooses its format in ``LANA_WEBHOOK_ROUTES``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lana_adapters.messaging.codec import decode, encode
from lana_adapters.messaging.formats import NotInFormat, lana_body, seed_body
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute, parse_routes
from lana_core.domain import events
from lana_core.domain.customers import CustomerValue
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.messaging.events import event
from tests.support import make_kernel, make_tenant

CREATED = datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)


async def recorded_events(command: CreateCustomer) -> list[events.DomainEvent]:
    """The events creating a customer records (not its tenant's), as the consumer reads them."""
    store, clock = InMemoryStore(), ManualClock(CREATED)
    kernel = make_kernel(store=store, clock=clock)
    await CreateCustomerHandler(kernel)(await make_tenant(kernel), command)
    records = await InMemoryOutboxRelayStore(store, clock).claim(100, 60)
    messages = [encode(r.event) for r in records if r.event.aggregate_type == "customer"]
    return [decode(message.body, message.headers) for message in messages]


async def test_a_high_value_customer_is_sent_in_the_seeds_body() -> None:
    command = CreateCustomer(
        name="Grace Hopper", email="grace@navy.test", company="US Navy", value=CustomerValue.HIGH
    )
    [_, high_value] = await recorded_events(command)
    assert high_value.type == events.CUSTOMER_CREATED_HIGH_VALUE
    body = seed_body(high_value, encode(high_value).body)
    assert json.loads(body) == {
        "type": "customer.created.high_value",
        "timestamp": "2026-03-04T05:06:07.891Z",
        "data": {
            "customerId": str(high_value.aggregate_id),
            "name": "Grace Hopper",
            "email": "grace@navy.test",
            "company": "US Navy",
            "value": "HIGH",
            "createdAt": "2026-03-04T05:06:07.891Z",
        },
    }
    assert b" " not in body.replace(b"Grace Hopper", b"").replace(b"US Navy", b"")  # compact JSON


async def test_a_customer_without_email_or_company_has_them_null_in_the_seeds_body() -> None:
    [created] = await recorded_events(CreateCustomer(name="Ada", value=CustomerValue.LOW))
    data = json.loads(seed_body(created, b""))["data"]
    assert (data["email"], data["company"], data["value"]) == (None, None, "LOW")


def test_the_seeds_body_carries_created_customers_only() -> None:
    with pytest.raises(NotInFormat, match=r"not customer\.updated"):
        seed_body(event(type=events.CUSTOMER_UPDATED, payload={"name": "A", "value": "high"}), b"")
    with pytest.raises(NotInFormat, match="'value'"):
        seed_body(event(type=events.CUSTOMER_CREATED, payload={"name": "A"}), b"")


def test_lanas_body_is_the_published_message_byte_for_byte() -> None:
    created = event()
    message = encode(created).body
    assert lana_body(created, message) is message


def test_the_shipped_route_sends_the_seeds_body_and_any_other_route_lanas() -> None:
    [shipped] = MessagingSettings().webhook_routes
    assert (shipped.pattern, shipped.format) == ("customer.created.high_value", "seed")
    routes = parse_routes(
        "customer.created.high_value=http://n8n/a, #.high_value=http://n8n/b,"
        " customer.created.high_value=http://n8n/c?x=1 format=lana, customer.*=http://n8n/d  format=seed"
    )
    assert [(r.url, r.format) for r in routes] == [
        ("http://n8n/a", "seed"),
        ("http://n8n/b", "lana"),
        ("http://n8n/c?x=1", "lana"),
        ("http://n8n/d", "seed"),
    ]
    settings = MessagingSettings(webhook_routes=routes)
    assert MessagingSettings.from_env(settings.as_env()).webhook_routes == routes


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ("customer.*=http://n8n/a format=xml", "format 'xml' is not one of lana, seed"),
        ("project.*=http://n8n/a format=seed", "never matches"),
        ("customer.*=http://n8n/a seed", "only format=<name> may follow"),
        ("customer.*=http://n8n/a format=seed format=lana", "only format=<name> may follow"),
        ("customer.*= format=seed", "LANA_WEBHOOK_ROUTES"),
    ],
)
def test_a_route_with_a_format_it_cannot_use_is_refused_at_start(raw: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="LANA_WEBHOOK_ROUTES") as refused:
        MessagingSettings.from_env({"LANA_WEBHOOK_ROUTES": raw})
    assert complaint in str(refused.value)


def test_a_route_made_in_code_gets_the_same_default_format() -> None:
    assert WebhookRoute("customer.created.high_value", "http://n8n/a").format == "seed"
    assert WebhookRoute("#", "http://n8n/a").format == "lana"
