"""Publishing to a real RabbitMQ: confirmed, persistent, routed by type, never silently dropped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from attrs import evolve

from lana_adapters.messaging.codec import decode
from lana_adapters.messaging.publisher import KombuEventPublisher, PublishRefused
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_core.domain.events import CUSTOMER_CREATED, CUSTOMER_UPDATED, PROJECT_CREATED
from lana_core.errors import Unavailable
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.messaging.backends import BACKENDS, Backend
from tests.integration.messaging.broker import bind, close_all_connections, depth, read
from tests.integration.messaging.events import event
from tests.integration.messaging.running import until_drained
from tests.support import make_tenant

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def publisher(messaging: MessagingSettings) -> AsyncIterator[KombuEventPublisher]:
    opened = KombuEventPublisher(messaging)
    yield opened
    await opened.close()


async def test_a_published_event_arrives_persistent_with_its_id_and_headers(
    messaging: MessagingSettings, publisher: KombuEventPublisher
) -> None:
    await publisher.declare()
    queue = await asyncio.to_thread(bind, messaging, "customer.*")
    sent = event(type=CUSTOMER_CREATED)
    await publisher.publish([sent])
    [message] = await asyncio.to_thread(read, messaging, queue, 1)
    assert message.delivery_info["routing_key"] == CUSTOMER_CREATED
    assert message.properties["message_id"] == str(sent.id)
    assert message.properties["delivery_mode"] == 2
    assert decode(message.body, message.headers) == sent


async def test_an_event_nobody_subscribes_to_is_published_to_nobody(publisher: KombuEventPublisher) -> None:
    await publisher.declare()

    await publisher.publish([event()])  # no queue is bound: no failure, nothing to retry


async def test_a_known_subscribers_queue_holds_its_events_while_no_consumer_runs(
    messaging: MessagingSettings,
) -> None:
    topology = Topology.of(messaging, patterns=("customer.*",))
    publisher = KombuEventPublisher(messaging, topologies=[topology])
    sent = event(type=CUSTOMER_UPDATED)
    try:
        await publisher.publish([sent, event(type="task.created")])
    finally:
        await publisher.close()

    waiting = await asyncio.to_thread(read, messaging, topology.queue, 10, 1.0)
    assert [m.properties["message_id"] for m in waiting] == [str(sent.id)]


async def test_a_broker_nack_is_refused(messaging: MessagingSettings, publisher: KombuEventPublisher) -> None:
    await publisher.declare()
    await asyncio.to_thread(bind, messaging, "#", **{"x-max-length": 0, "x-overflow": "reject-publish"})
    with pytest.raises(PublishRefused, match="nacked"):
        await publisher.publish([event()])


async def test_no_broker_is_unavailable_within_the_retry_budget() -> None:
    settings = MessagingSettings(broker_url="amqp://guest:guest@127.0.0.1:1//", publish_max_retries=1)
    publisher = KombuEventPublisher(settings)
    try:
        with pytest.raises(Unavailable):
            await asyncio.wait_for(publisher.publish([event()]), timeout=20)
    finally:
        await publisher.close()


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_nacked_rows_stay_unpublished_while_events_nobody_subscribes_to_go(
    backend: Backend, messaging: MessagingSettings, publisher: KombuEventPublisher
) -> None:
    admin = await make_tenant(backend.kernel)
    await publisher.declare()
    routed = await asyncio.to_thread(bind, messaging, "customer.*")
    await asyncio.to_thread(
        bind, messaging, "project.#", **{"x-max-length": 0, "x-overflow": "reject-publish"}
    )
    nacked = event(type=PROJECT_CREATED, tenant_id=admin.tenant_id)
    held_back = event(
        type=CUSTOMER_UPDATED, tenant_id=admin.tenant_id, aggregate_id=nacked.aggregate_id, version=2
    )
    unrouted = event(type="task.created", tenant_id=admin.tenant_id)
    after_unrouted = event(
        type=CUSTOMER_UPDATED, tenant_id=admin.tenant_id, aggregate_id=unrouted.aggregate_id, version=2
    )
    async with backend.kernel.uow(admin.tenant_id) as uow:
        await uow.outbox.append([nacked, held_back, unrouted, after_unrouted])
        await uow.commit()
    relay = OutboxRelay(backend.store, publisher, RelayOptions())
    while await relay.run_once():
        pass
    assert [await backend.row(e.id) for e in (nacked, held_back)] == [("pending", 1), ("pending", 0)]
    assert [(await backend.row(e.id))[0] for e in (unrouted, after_unrouted)] == ["published"] * 2
    ids = {m.properties["message_id"] for m in await asyncio.to_thread(read, messaging, routed, 10, 1.0)}
    assert str(after_unrouted.id) in ids
    assert str(held_back.id) not in ids


@pytest.mark.parametrize("backend", BACKENDS[:2], indirect=True)
async def test_the_relay_carries_use_case_events_to_the_broker_and_survives_dropped_connections(
    backend: Backend, messaging: MessagingSettings, publisher: KombuEventPublisher
) -> None:
    admin = await make_tenant(backend.kernel)
    queue = await asyncio.to_thread(bind, messaging, "#")
    stop = asyncio.Event()
    relay = OutboxRelay(backend.store, publisher, RelayOptions(poll_seconds=0.02, backoff_max_seconds=0.2))
    running = asyncio.create_task(relay.run(stop))
    create = CreateCustomerHandler(backend.kernel)
    for n in range(40):
        await create(admin, CreateCustomer(name=f"Customer {n}"))
        if n == 20:
            await asyncio.sleep(0.2)
            if not await asyncio.to_thread(close_all_connections):
                pytest.skip("rabbitmqctl is needed to drop connections")
    await until_drained(backend.store)
    stop.set()
    await running
    messages = await asyncio.to_thread(read, messaging, queue, 100, 2.0)
    ids = {m.properties["message_id"] for m in messages}
    assert len(ids) == 42  # the tenant and its admin, then 40 customers
    assert await asyncio.to_thread(depth, messaging, queue) == 0


async def test_memory_transport_confirms_in_one_process() -> None:
    settings = evolve(MessagingSettings(), exchange="test.memory.publisher")
    publisher = KombuEventPublisher(settings)
    try:
        await publisher.declare()
        queue = await asyncio.to_thread(bind, settings, "#")
        sent = event()
        await publisher.publish([sent])
        [message] = await asyncio.to_thread(read, settings, queue, 1)
        assert decode(message.body, message.headers) == sent
    finally:
        await publisher.close()
