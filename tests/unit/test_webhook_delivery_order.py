"""Webhook deliveries go out in order per subscription and aggregate whatever the receivers
answer: under any mix of enqueues, claims, successes, failures, give-ups and senders that
vanish without an answer, no delivery is claimed while an earlier one of its subscription and
aggregate is still open, successes come in enqueue order, and nothing is lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from lana_core.domain.pagination import PageRequest
from lana_core.domain.webhooks import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    SubscriptionSpec,
    WebhookEvent,
)
from lana_core.memory import (
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
    InMemoryWebhookDeliveryQueue,
    ManualClock,
)
from lana_core.ports import ClaimedDelivery
from lana_testing.support import START

LEASE = 30.0
AGGREGATES = [uuid4() for _ in range(3)]
TENANT = uuid4()

_enqueue = st.tuples(st.just("enqueue"), st.integers(0, len(AGGREGATES) - 1))
_claim = st.tuples(st.just("claim"), st.integers(1, 4))
_answer = st.tuples(st.just("answer"), st.sampled_from(["ok", "fail", "give_up", "vanish"]))
_wait = st.tuples(st.just("wait"), st.sampled_from([1, 31, 61]))
STEPS = st.lists(st.one_of(_enqueue, _claim, _answer, _wait), max_size=40)


def _subscription(index: int) -> Subscription:
    spec = SubscriptionSpec.check(
        url=f"https://hooks.example.com/{index}",
        event_types=["#"],
        filters=[],
        format=None,
        allow_private=False,
    )
    return Subscription.create(id=uuid4(), tenant_id=TENANT, spec=spec, created_by=None, now=START)


class World:
    """A store, two subscriptions of one tenant, and what the receivers have seen."""

    def __init__(self) -> None:
        self.clock = ManualClock(START)
        store = InMemoryStore()
        self.uow = InMemoryUnitOfWorkFactory(store)
        self.queue = InMemoryWebhookDeliveryQueue(store, self.clock)
        self.subscriptions = [_subscription(0), _subscription(1)]
        self.in_flight: list[ClaimedDelivery] = []
        self.succeeded: dict[tuple[UUID, UUID], list[int]] = {}
        self.enqueued: dict[tuple[UUID, UUID], list[int]] = {}

    async def start(self) -> None:
        async with self.uow(TENANT) as uow:
            for subscription in self.subscriptions:
                await uow.webhooks.add(subscription)
            await uow.commit()

    async def enqueue(self, aggregate: int) -> None:
        event = WebhookEvent(
            id=uuid4(),
            tenant_id=TENANT,
            type="customer.updated",
            aggregate_id=AGGREGATES[aggregate],
            occurred_at=self.clock.now(),
            body=b"{}",
        )
        async with self.uow(TENANT) as uow:
            made = await uow.webhooks.enqueue(event, self.subscriptions, self.clock.now())
            await uow.commit()
        for delivery in made:
            self.enqueued.setdefault(_key(delivery), []).append(delivery.sequence)

    async def claim(self, limit: int) -> None:
        claimed = await self.queue.claim(limit, LEASE)
        for each in claimed:
            await self._check_nothing_earlier_is_open(each.delivery)
        self.in_flight.extend(claimed)

    async def answer(self, how: str) -> None:
        if not self.in_flight:
            return
        delivery = self.in_flight.pop(0).delivery
        if how == "vanish":
            return  # the sender died: the lease ends and the delivery is claimed again
        attempt = DeliveryAttempt.record(
            delivery, at=self.clock.now(), status_code=200 if how == "ok" else 500, latency_ms=1
        )
        retry_at = None if how == "give_up" else self.clock.now() + timedelta(seconds=60)
        settled = delivery.attempted(attempt, retry_at=retry_at)
        before = await self._stored(delivery.id)
        await self.queue.record(settled, attempt)
        if how == "ok" and before.attempts == delivery.attempts:
            self.succeeded.setdefault(_key(delivery), []).append(delivery.sequence)

    async def drain(self) -> None:
        """Every receiver answers from now on: everything still open goes out."""
        self.in_flight.clear()
        for _ in range(1_000):
            self.clock.advance(timedelta(seconds=LEASE + 61))
            claimed = await self.queue.claim(100, LEASE)
            if not claimed and await self.queue.open_count() == 0:
                return
            self.in_flight.extend(claimed)
            while self.in_flight:
                await self.answer("ok")
        raise AssertionError("deliveries stayed open")

    async def _check_nothing_earlier_is_open(self, delivery: Delivery) -> None:
        async with self.uow(TENANT) as uow:
            page = await uow.webhooks.deliveries(delivery.subscription_id, PageRequest(limit=200))
        earlier_open = [
            d
            for d in page.items
            if d.aggregate_id == delivery.aggregate_id and d.sequence < delivery.sequence and d.status.is_open
        ]
        assert earlier_open == [], "claimed ahead of an earlier open delivery of its aggregate"

    async def _stored(self, delivery_id: UUID) -> Delivery:
        async with self.uow(TENANT) as uow:
            stored = await uow.webhooks.get_delivery(delivery_id)
        assert stored is not None
        return stored

    async def outcomes(self) -> dict[tuple[UUID, UUID], dict[int, DeliveryStatus]]:
        """Each subscription and aggregate's deliveries as stored: sequence -> status."""
        found: dict[tuple[UUID, UUID], dict[int, DeliveryStatus]] = {}
        async with self.uow(TENANT) as uow:
            for subscription in self.subscriptions:
                page = await uow.webhooks.deliveries(subscription.id, PageRequest(limit=200))
                for d in page.items:
                    found.setdefault(_key(d), {})[d.sequence] = d.status
        return found


def _key(delivery: Delivery) -> tuple[UUID, UUID]:
    return (delivery.subscription_id, delivery.aggregate_id)


async def _play(
    steps: list[tuple[str, object]],
) -> tuple[World, dict[tuple[UUID, UUID], dict[int, DeliveryStatus]]]:
    world = World()
    await world.start()
    for action, argument in steps:
        if action == "wait":
            assert isinstance(argument, int)
            world.clock.advance(timedelta(seconds=argument))
        else:
            await getattr(world, action)(argument)
    await world.drain()
    return world, await world.outcomes()


@settings(max_examples=150, deadline=None)
@given(STEPS)
def test_deliveries_go_out_in_order_per_subscription_and_aggregate_and_none_is_lost(
    steps: list[tuple[str, object]],
) -> None:
    world, outcomes = asyncio.run(_play(steps))

    assert {key: sorted(found) for key, found in outcomes.items()} == world.enqueued
    for sequences in world.succeeded.values():
        assert sequences == sorted(set(sequences)), "succeeded out of order, or twice"
    for key, found in outcomes.items():
        succeeded = [sequence for sequence, status in found.items() if status is DeliveryStatus.SUCCEEDED]
        assert sorted(succeeded) == world.succeeded.get(key, [])
        assert set(found.values()) <= {DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD}, "a delivery was lost"
