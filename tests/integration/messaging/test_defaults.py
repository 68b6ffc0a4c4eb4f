"""With the shipped routes only (the seed's high-value workflow), a mix of events from the use
cases: every event leaves the outbox (those nobody subscribes to are published to nobody, not
retried and marked dead), and each high-value customer reaches the webhook at once instead of
waiting behind its record's unsubscribed events.

Prints the delay from commit to webhook; the target with default settings is p99 <= 1 s.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from attrs import evolve
from sqlalchemy import func, select

from lana_adapters.messaging.dlq import dlq_list
from lana_adapters.messaging.inbox import InMemoryInbox
from lana_adapters.messaging.publisher import KombuEventPublisher
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions
from lana_adapters.messaging.runtime import SubscriptionDatabase, WebhookWorkers
from lana_adapters.messaging.settings import DEFAULT_ROUTES, MessagingSettings, parse_routes
from lana_adapters.messaging.topology import Topology
from lana_adapters.sql.tables import outbox, webhook_deliveries
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.usecases.customers import (
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from tests.integration.messaging.backends import SQL_BACKENDS, Backend
from tests.integration.messaging.receiver import Receiver
from tests.integration.messaging.running import running, until, until_drained
from tests.support import make_tenant

pytestmark = pytest.mark.rabbitmq
CUSTOMERS = 30
# Generous: it catches an event held back behind its record's refused ones (100 s and more),
# not a slow machine.
LATE_SECONDS = 10.0


def _default_settings(messaging: MessagingSettings, receiver: Receiver) -> MessagingSettings:
    """The shipped settings but for the test's own broker names and the receiver's address."""
    defaults = MessagingSettings()
    [shipped] = parse_routes(DEFAULT_ROUTES)
    return evolve(
        defaults,
        broker_url=messaging.broker_url,
        exchange=messaging.exchange,
        queue=messaging.queue,
        webhook_routes=(evolve(shipped, url=receiver.url("/webhook/high-value-customer")),),
    )


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_with_the_shipped_routes_nothing_dies_and_high_value_customers_arrive_at_once(
    backend: Backend, messaging: MessagingSettings, receiver: Receiver
) -> None:
    assert backend.database_url is not None
    assert backend.engine is not None
    settings = _default_settings(messaging, receiver)
    admin = await make_tenant(backend.kernel)
    create, update = CreateCustomerHandler(backend.kernel), UpdateCustomerHandler(backend.kernel)
    status = ChangeCustomerStatusHandler(backend.kernel)
    publisher = KombuEventPublisher(settings, topologies=[Topology.of(settings)])
    # Measured from a running relay: the wait of a relay's first claim is another matter.
    relay = OutboxRelay(backend.store, publisher, evolve(RelayOptions.of(settings), start_delay_seconds=0))
    # lana consume as shipped: its retry schedule too.
    consumer = WebhookWorkers(
        settings, inbox=InMemoryInbox(), subscriptions=SubscriptionDatabase(backend.engine, None)
    )
    committed: dict[str, float] = {}
    try:
        async with running(consumer), running(relay):
            await until(lambda: consumer.stats.sessions >= 1)
            for n in range(CUSTOMERS):
                value = CustomerValue.HIGH if n % 5 == 0 else CustomerValue.LOW
                customer = await create(admin, CreateCustomer(name=f"Customer {n}", value=value))
                committed[str(customer.id)] = time.monotonic()
                await update(admin, UpdateCustomer(customer_id=customer.id, notes="called back"))
                await status(
                    admin, ChangeCustomerStatus(customer_id=customer.id, status=CustomerStatus.ACTIVE)
                )
            high_value = CUSTOMERS // 5
            await until(lambda: len(receiver.ids()) >= high_value, within=60, what=lambda: consumer.stats)
            await until_drained(backend.store)
    finally:
        await publisher.close()

    async with backend.engine.connect() as conn:
        dead = await conn.scalar(select(func.count()).select_from(outbox).where(outbox.c.state == "dead"))
        given_up = await conn.scalar(
            select(func.count()).select_from(webhook_deliveries).where(webhook_deliveries.c.status == "dead")
        )
    # The shipped route sends the seed's body: the customer is data.customerId.
    delays = [
        request.at - committed[request.document()["data"]["customerId"]] for request in receiver.received
    ]
    print(
        f"\nshipped routes: {len(receiver.received)} high-value events at the webhook, {dead} dead rows;"
        f" commit to webhook p50 {statistics.median(delays):.3f} s, max {max(delays):.3f} s"
    )
    assert dead == 0
    assert given_up == 0
    assert len(set(receiver.ids())) == len(receiver.received) == CUSTOMERS // 5
    assert max(delays) < LATE_SECONDS
    assert await _dead_letters(settings) == 0


async def _dead_letters(settings: MessagingSettings) -> int:
    return len(await asyncio.to_thread(dlq_list, settings))
