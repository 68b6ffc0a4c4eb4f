"""Embedded mode: with no broker, or the ``memory://`` one, events reach subscribers in one process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from attrs import evolve

from lana_adapters.messaging.inbox import InMemoryInbox
from lana_adapters.messaging.runtime import SubscriptionDatabase, run_consumer, run_relay
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.subscribers import Subscribers, in_process_relay
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.variables import env_name, variables
from lana_core.domain.customers import CustomerValue
from lana_core.domain.events import CUSTOMER_CREATED, CUSTOMER_CREATED_HIGH_VALUE, DomainEvent
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore
from lana_core.system import SystemClock
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.messaging.running import running, until
from tests.integration.sql.databases import sqlite_database
from tests.support import make_kernel, make_tenant


class Seen:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def __call__(self, event: DomainEvent) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


async def test_the_in_process_relay_calls_the_subscribers_matching_each_committed_event() -> None:
    store = InMemoryStore()
    kernel = make_kernel(store=store, clock=SystemClock())
    admin = await make_tenant(kernel)
    subscribers, customers, high_value = Subscribers(), Seen(), Seen()
    subscribers.add("customer.*", customers)
    subscribers.on("#.high_value")(high_value)
    relay = in_process_relay(InMemoryOutboxRelayStore(store, SystemClock()), subscribers)
    await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Ada", value=CustomerValue.HIGH))
    await relay.run_once()
    assert customers.types() == [CUSTOMER_CREATED]
    assert high_value.types() == [CUSTOMER_CREATED_HIGH_VALUE]
    assert high_value.events[0].payload["name"] == "Ada"


async def test_a_memory_broker_carries_events_from_the_relay_to_a_subscriber_worker_with_retries() -> None:
    settings = MessagingSettings(
        exchange="test.embedded.events",
        retry_delays_ms=(50,),
        relay_poll_seconds=0.02,
        relay_lease_seconds=0.2,
        max_attempts=3,
    )
    store = InMemoryStore()
    kernel = make_kernel(store=store, clock=SystemClock())
    admin = await make_tenant(kernel)
    seen, failures = Seen(), [2]

    async def flaky(event: DomainEvent) -> None:
        if event.type == CUSTOMER_CREATED and failures[0] > 0:
            failures[0] -= 1
            raise RuntimeError("not yet")
        await seen(event)

    subscribers = Subscribers()
    subscribers.add("customer.#", flaky)
    worker = subscribers.consumer(settings, InMemoryInbox(), queue="test.embedded.crm")
    async with running(worker):
        await until(lambda: worker.stats.sessions >= 1)
        stop = asyncio.Event()
        relay = asyncio.create_task(
            run_relay(settings, stop, store=InMemoryOutboxRelayStore(store, SystemClock()), in_process=True)
        )
        await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Ada", value=CustomerValue.HIGH))
        await until(lambda: len(seen.events) == 2)
        stop.set()
        stats = await relay
    assert sorted(seen.types()) == [CUSTOMER_CREATED, CUSTOMER_CREATED_HIGH_VALUE]
    assert worker.stats.retried == 2
    assert stats.published == 4  # and the tenant's own two events


def test_a_subscription_needs_a_pattern() -> None:
    with pytest.raises(ValueError, match="pattern"):
        Subscribers().add(" ", Seen())


async def test_settings_from_the_environment() -> None:
    settings = MessagingSettings.from_env(
        {
            "LANA_BROKER_URL": "amqp://rabbit//",
            "LANA_WEBHOOK_ROUTES": "customer.*=http://n8n:5678/webhook/a, #.high_value=https://n8n/webhook/b",
            "LANA_CONSUMER_RETRY_DELAYS_MS": "100,200",
            "LANA_WEBHOOK_SECRET": "s",
        }
    )
    assert [r.pattern for r in settings.webhook_routes] == ["customer.*", "#.high_value"]
    assert settings.retry_delays_ms == (100, 200)
    assert settings.broker_url == "amqp://rabbit//"
    assert "very-secret-value" not in repr(evolve(settings, signing_secret="very-secret-value"))
    with pytest.raises(ValueError, match="LANA_CONSUMER_MAX_ATTEMPTS"):
        MessagingSettings.from_env({"LANA_CONSUMER_MAX_ATTEMPTS": "many"})
    with pytest.raises(ValueError, match="LANA_WEBHOOK_ROUTES"):
        MessagingSettings.from_env({"LANA_WEBHOOK_ROUTES": "no-equals-sign"})


def test_every_messaging_variable_is_documented_with_its_default() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "events.md").read_text()
    defaults = MessagingSettings().as_env()
    for variable in (env_name(field) for field in variables(MessagingSettings)):
        default = defaults[variable]
        shown = f"`{default}`" if default else "(unset)"
        assert f"| `{variable}` | {shown} |" in docs, f"docs/events.md is missing {variable} = {shown}"


async def test_the_workers_refuse_the_in_memory_broker_unless_told_they_share_the_process(
    tmp_path: Path,
) -> None:
    settings = MessagingSettings(exchange="test.embedded.refused")
    stop = asyncio.Event()
    stop.set()
    with pytest.raises(ValueError, match="LANA_BROKER_URL"):
        await run_relay(settings, stop, store=InMemoryOutboxRelayStore(InMemoryStore(), SystemClock()))
    engine = create_engine_from(SqlSettings(url=sqlite_database(tmp_path)))
    subscriptions = SubscriptionDatabase(engine, relay_role=None)
    try:
        with pytest.raises(ValueError, match="LANA_BROKER_URL"):
            await run_consumer(settings, stop, inbox=InMemoryInbox(), subscriptions=subscriptions)
        stats = await run_consumer(
            settings, stop, inbox=InMemoryInbox(), subscriptions=subscriptions, in_process=True
        )
    finally:
        await engine.dispose()
    assert stats.delivered == 0
