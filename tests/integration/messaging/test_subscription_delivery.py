"""Events delivered to tenants' webhook subscriptions, against a real local receiver: who gets
what, signed how, in which order, retried when, and paused when it keeps failing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from attrs import frozen

from lana_adapters.messaging.codec import encode_body
from lana_adapters.messaging.subscription_delivery import (
    GroupedEnqueue,
    Pause,
    SubscriptionSender,
    enqueue_matching,
    pausing_through,
)
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_core.domain import webhook_signing
from lana_core.domain.events import (
    CUSTOMER_CREATED,
    CUSTOMER_CREATED_HIGH_VALUE,
    CUSTOMER_UPDATED,
    WEBHOOK_SUBSCRIPTION_PAUSED,
    DomainEvent,
)
from lana_core.domain.pagination import PageRequest
from lana_core.domain.webhook_retries import RetrySchedule
from lana_core.domain.webhooks import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    SubscriptionSpec,
)
from lana_core.errors import Unavailable
from lana_core.memory import (
    InMemoryCache,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
    InMemoryWebhookDeliveryQueue,
    ManualClock,
)
from lana_core.ports import ClaimedDelivery, UnitOfWork, UnitOfWorkFactory
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from tests.integration.messaging.events import event
from tests.integration.messaging.receiver import Receiver, always, fail_first

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = uuid4()
# Retries a second apart for ten seconds: a test steps through a day's schedule in a few steps.
SHORT = RetrySchedule(
    first=timedelta(seconds=1), cap=timedelta(seconds=1), floor=timedelta(seconds=1),
    give_up_after=timedelta(seconds=10),
)  # fmt: skip


@frozen
class World:
    store: InMemoryStore
    units: InMemoryUnitOfWorkFactory
    clock: ManualClock
    sender: SubscriptionSender
    sender_pause: Pause

    async def subscribe(self, url: str, *, types: Sequence[str] = ("#",), **spec: Any) -> Subscription:
        checked = SubscriptionSpec.check(
            url=url, event_types=list(types), filters=spec.get("filters"), format=spec.get("format"),
            allow_private=True,
        )  # fmt: skip
        made = Subscription.create(
            id=uuid4(), tenant_id=TENANT, spec=checked, created_by=None, now=self.clock.now()
        )
        async with self.units(TENANT) as unit:
            await unit.webhooks.add(made)
            await unit.commit()
        return made

    async def publish(self, *events: DomainEvent) -> int:
        owed = 0
        for one in events:
            owed += await enqueue_matching(self.units, one, encode_body(one), self.clock.now())
        return owed

    async def send_all_due(self) -> None:
        while await self.sender.send_due():
            pass

    async def run_for(self, seconds: int) -> None:
        """Send what is due, second by second of the manual clock."""
        for _ in range(seconds):
            await self.send_all_due()
            self.clock.advance(timedelta(seconds=1))
        await self.send_all_due()

    async def attempts(self, subscription: Subscription) -> list[DeliveryAttempt]:
        async with self.units(TENANT) as unit:
            page = await unit.webhooks.attempts(subscription.id, PageRequest(limit=100))
        return sorted(page.items, key=lambda attempt: (attempt.at, attempt.number))

    async def current(self, subscription: Subscription) -> Subscription:
        async with self.units(TENANT) as unit:
            found = await unit.webhooks.get(subscription.id)
        assert found is not None
        return found


@pytest.fixture
async def world() -> AsyncIterator[World]:
    store = InMemoryStore()
    clock = ManualClock(START)
    units = InMemoryUnitOfWorkFactory(store)
    client = WebhookClient(2, connections=8, allow_private=True)
    kernel = Kernel(uow=units, clock=clock, ids=TimeOrderedIds(), cache=InMemoryCache())
    sender = SubscriptionSender(
        InMemoryWebhookDeliveryQueue(store, clock), client, clock, pause=pausing_through(kernel),
        schedule=SHORT, draw=lambda: 0.0,
    )  # fmt: skip
    yield World(store, units, clock, sender, pausing_through(kernel))
    await client.aclose()


def customer(
    value: str = "high", *, aggregate: UUID | None = None, type: str = CUSTOMER_CREATED
) -> DomainEvent:
    return event(type=type, tenant_id=TENANT, aggregate_id=aggregate, payload={"name": "Ada", "value": value})


async def test_each_subscription_gets_the_events_its_patterns_and_filters_want(
    world: World, receiver: Receiver
) -> None:
    everything = await world.subscribe(receiver.url("/all"))
    high_only = await world.subscribe(receiver.url("/high"), types=["customer.*"], filters=["value = high"])
    high, low = customer("high"), customer("low")
    elsewhere = event(type="project.created", tenant_id=TENANT, payload={"name": "P"})
    other_tenant = event(tenant_id=uuid4(), payload={"name": "Eve", "value": "high"})
    assert await world.publish(high, low, elsewhere, other_tenant) == 4
    await world.send_all_due()
    assert sorted(receiver.ids("/all")) == sorted(str(e.id) for e in (high, low, elsewhere))
    assert receiver.ids("/high") == [str(high.id)]
    assert {len(await world.attempts(s)) for s in (everything, high_only)} == {3, 1}


async def test_a_request_is_signed_with_its_subscriptions_secret_under_standard_webhooks_headers(
    world: World, receiver: Receiver
) -> None:
    subscription = await world.subscribe(receiver.url("/hook"))
    sent = customer()
    await world.publish(sent)
    await world.send_all_due()
    [request] = receiver.received
    assert webhook_signing.verify(subscription.secret, request.headers, request.body, now=time.time())
    assert not webhook_signing.verify(
        webhook_signing.new_secret(), request.headers, request.body, now=time.time()
    )
    assert request.headers["webhook-id"] == str(sent.id)
    assert json.loads(request.body)["id"] == str(sent.id)  # Lana's envelope, as published


async def test_the_seed_format_sends_the_seeds_body(world: World, receiver: Receiver) -> None:
    await world.subscribe(receiver.url("/seed"), types=[CUSTOMER_CREATED_HIGH_VALUE], format="seed")
    await world.publish(customer(type=CUSTOMER_CREATED_HIGH_VALUE))
    await world.send_all_due()
    [request] = receiver.received
    assert request.document()["data"]["value"] == "HIGH"


async def test_an_event_consumed_twice_is_delivered_once(world: World, receiver: Receiver) -> None:
    await world.subscribe(receiver.url("/hook"))
    sent = customer()
    assert await world.publish(sent) == 1
    assert await world.publish(sent) == 0
    await world.send_all_due()
    assert receiver.ids() == [str(sent.id)]


async def test_a_failed_delivery_is_retried_before_its_aggregates_next_event_and_others_go_on(
    world: World, receiver: Receiver
) -> None:
    subscription = await world.subscribe(receiver.url("/hook"))
    aggregate = uuid4()
    first = customer(aggregate=aggregate)
    second = customer(aggregate=aggregate, type=CUSTOMER_UPDATED)
    unrelated = customer()
    receiver.script(
        "/hook", lambda request, seen: 503 if request.event_id == str(first.id) and seen <= 2 else 200
    )
    await world.publish(first, second, unrelated)
    await world.run_for(5)
    received = receiver.ids()
    of_aggregate = [i for i in received if i in (str(first.id), str(second.id))]
    assert of_aggregate == [str(first.id)] * 3 + [str(second.id)]
    # The other aggregate's event did not wait for the retries: it went out with the first try.
    assert received.index(str(unrelated.id)) < 2
    log = await world.attempts(subscription)
    firsts = [a for a in log if a.event_id == first.id]
    assert [(a.number, a.status_code, a.error) for a in firsts] == [
        (1, 503, "HTTP 503"), (2, 503, "HTTP 503"), (3, 200, None),
    ]  # fmt: skip
    assert [a.at - START for a in firsts] == [timedelta(0), timedelta(seconds=1), timedelta(seconds=2)]


async def test_a_delivery_failing_past_its_window_is_dead_and_the_aggregate_goes_on(
    world: World, receiver: Receiver
) -> None:
    subscription = await world.subscribe(receiver.url("/hook"))
    aggregate = uuid4()
    doomed, after = customer(aggregate=aggregate), customer(aggregate=aggregate, type=CUSTOMER_UPDATED)
    receiver.script("/hook", lambda request, _seen: 500 if request.event_id == str(doomed.id) else 200)
    await world.publish(doomed, after)
    await world.run_for(15)
    ids = receiver.ids()
    assert ids.count(str(doomed.id)) == 11  # at 0 s, then every second up to the 10 s window
    assert ids[-1] == str(after.id)
    async with world.units(TENANT) as unit:
        deliveries = (await unit.webhooks.deliveries(subscription.id, PageRequest())).items
    assert {d.event_id: d.status for d in deliveries} == {
        doomed.id: DeliveryStatus.DEAD, after.id: DeliveryStatus.SUCCEEDED,
    }  # fmt: skip


async def test_a_subscription_whose_deliveries_die_in_a_row_is_paused_and_an_event_says_so(
    world: World, receiver: Receiver
) -> None:
    receiver.script("/down", always(503))
    subscription = await world.subscribe(receiver.url("/down"))
    await world.publish(*(customer() for _ in range(3)))
    await world.run_for(15)
    paused = await world.current(subscription)
    assert not paused.active
    assert paused.paused_reason is not None
    assert "3 deliveries in a row" in paused.paused_reason
    [said] = [
        row.event for row in world.store.outbox.values() if row.event.type == WEBHOOK_SUBSCRIPTION_PAUSED
    ]
    assert said.aggregate_id == subscription.id
    # Paused, it is sent nothing more: what comes later waits for it to resume.
    before = len(receiver.received)
    await world.publish(customer())
    await world.run_for(3)
    assert len(receiver.received) == before


async def test_a_receiver_answering_gone_pauses_its_subscription_at_once(
    world: World, receiver: Receiver
) -> None:
    receiver.script("/gone", always(410))
    subscription = await world.subscribe(receiver.url("/gone"))
    await world.publish(customer(), customer())
    await world.run_for(3)
    assert not (await world.current(subscription)).active
    assert len(receiver.received) <= 2  # the heads claimed together, nothing after the pause


async def test_a_call_the_address_guard_refuses_is_a_failed_attempt_in_the_log(world: World) -> None:
    store, clock = world.store, world.clock
    guarded = WebhookClient(2, connections=1)
    sender = SubscriptionSender(
        InMemoryWebhookDeliveryQueue(store, clock), guarded, clock, pause=world.sender_pause, schedule=SHORT,
    )  # fmt: skip
    subscription = await world.subscribe("http://127.0.0.1:9/hook")
    await world.publish(customer())
    await sender.send_due()
    await guarded.aclose()
    [attempt] = await world.attempts(subscription)
    assert attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("ForbiddenAddress")


async def test_each_attempt_is_kept_with_its_status(world: World, receiver: Receiver) -> None:
    receiver.script("/flaky", fail_first(1, 502))
    subscription = await world.subscribe(receiver.url("/flaky"))
    await world.publish(customer())
    await world.run_for(2)
    failed, delivered = await world.attempts(subscription)
    assert (failed.number, failed.status_code, failed.error) == (1, 502, "HTTP 502")
    assert (delivered.number, delivered.status_code, delivered.error) == (2, 200, None)


class FailingOnce:
    """A delivery queue whose first claim fails, as a store that is down for a moment."""

    def __init__(self, queue: InMemoryWebhookDeliveryQueue) -> None:
        self._queue = queue
        self.failed = False

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[ClaimedDelivery]:
        if not self.failed:
            self.failed = True
            raise Unavailable("the database is down")
        return await self._queue.claim(limit, lease_seconds)

    async def record(self, delivery: Delivery, attempt: DeliveryAttempt) -> None:
        await self._queue.record(delivery, attempt)

    async def record_many(self, outcomes: Sequence[tuple[Delivery, DeliveryAttempt]]) -> None:
        await self._queue.record_many(outcomes)

    async def open_count(self) -> int:
        return await self._queue.open_count()


async def test_a_sender_whose_store_fails_goes_on_once_it_is_back(world: World, receiver: Receiver) -> None:
    failing = FailingOnce(InMemoryWebhookDeliveryQueue(world.store, world.clock))
    client = WebhookClient(2, connections=1, allow_private=True)
    sender = SubscriptionSender(failing, client, world.clock, pause=world.sender_pause, idle_seconds=0.01)
    await world.subscribe(receiver.url("/hook"))
    sent = customer()
    await world.publish(sent)
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    await asyncio.to_thread(receiver.wait_for, 1, 10)
    stop.set()
    await running
    await client.aclose()
    assert failing.failed
    assert receiver.ids() == [str(sent.id)]


class CountedUnits:
    """The units of work of ``units``, counted; those of tenant ``refused`` fail to open."""

    def __init__(self, units: UnitOfWorkFactory, refused: UUID | None = None) -> None:
        self._units = units
        self._refused = refused
        self.opened = 0

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        if tenant_id == self._refused:
            raise RuntimeError("this tenant's store refuses")
        self.opened += 1
        return self._units(tenant_id)


async def _owed_event_ids(world: World, subscription: Subscription) -> set[UUID]:
    async with world.units(TENANT) as unit:
        page = await unit.webhooks.deliveries(subscription.id, PageRequest(limit=100))
    return {delivery.event_id for delivery in page.items}


async def test_events_consumed_together_are_owed_in_one_unit_of_work_each_stored_when_its_call_returns(
    world: World,
) -> None:
    subscription = await world.subscribe("http://127.0.0.1:9/hook")
    counted = CountedUnits(world.units)
    owe = GroupedEnqueue(counted, world.clock)

    async def owed_once_returned(one: DomainEvent) -> bool:
        await owe(one, encode_body(one))
        return one.id in await _owed_event_ids(world, subscription)

    together = [customer(aggregate=uuid4()) for _ in range(8)]
    assert await asyncio.gather(*(owed_once_returned(one) for one in together)) == [True] * 8
    assert counted.opened == 1


async def test_an_event_that_cannot_be_owed_fails_alone(world: World) -> None:
    subscription = await world.subscribe("http://127.0.0.1:9/hook")
    elsewhere = uuid4()
    owe = GroupedEnqueue(CountedUnits(world.units, refused=elsewhere), world.clock)
    fine, refused = customer(), event(type=CUSTOMER_CREATED, tenant_id=elsewhere, payload={"name": "Bo"})
    outcomes = await asyncio.gather(
        owe(fine, encode_body(fine)), owe(refused, encode_body(refused)), return_exceptions=True
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], RuntimeError)
    assert await _owed_event_ids(world, subscription) == {fine.id}
