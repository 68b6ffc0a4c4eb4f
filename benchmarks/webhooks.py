"""Webhook subscriptions: filter evaluation and delivery throughput to a local receiver.

    uv run python -m benchmarks.webhooks [--events 3000] [--connections 8]

Figures:
- filter evaluation: ``Subscription.wants`` per (event, subscription), over 10 subscriptions
  with a pattern and filters each (target <= 5 us);
- owing events: ``enqueue_matching`` per event into the in-memory store (each event matched
  against the tenant's 10 subscriptions);
- delivery throughput: owed deliveries claimed, signed, POSTed to a fast local receiver in its
  own process and recorded, by one ``SubscriptionSender`` over the in-memory queue (target
  >= 1,000 events/s). Each event meets the filters of exactly one subscription, so events/s
  is deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from uuid import uuid4

from benchmarks.events import counting_receiver
from lana_adapters.messaging.codec import encode_body
from lana_adapters.messaging.subscription_delivery import SubscriptionSender, enqueue_matching
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_core.domain.events import CUSTOMER_UPDATED, DomainEvent
from lana_core.domain.webhooks import Subscription, SubscriptionSpec
from lana_core.memory import InMemoryStore, InMemoryUnitOfWorkFactory, InMemoryWebhookDeliveryQueue
from lana_core.system import SystemClock, TimeOrderedIds

SUBSCRIPTIONS = 10
ROUNDS = 5
TENANT = uuid4()
_ids = TimeOrderedIds()


def subscriptions(url: str) -> list[Subscription]:
    """Ten subscriptions to customer events, each wanting one region's active or prospect customers."""
    made = []
    for n in range(SUBSCRIPTIONS):
        spec = SubscriptionSpec.check(
            url=f"{url}/{n}", event_types=["customer.*"], allow_private=True, format=None,
            filters=[f"attributes.region = r{n}", "status in (active, prospect)", "value != low"],
        )  # fmt: skip
        made.append(Subscription.create(id=uuid4(), tenant_id=TENANT, spec=spec, created_by=None, now=_now()))
    return made


def event(n: int) -> DomainEvent:
    return DomainEvent(
        id=_ids.new_id(), type=CUSTOMER_UPDATED, tenant_id=TENANT, aggregate_type="customer",
        aggregate_id=uuid4(), aggregate_version=2, occurred_at=_now(), actor_id=None,
        payload={"name": f"Customer {n}", "value": "high", "status": "active",
                 "attributes": {"region": f"r{n % SUBSCRIPTIONS}"}},
    )  # fmt: skip


def filter_evaluation_us(events: int) -> float:
    """Best of a few rounds, in microseconds of this process's CPU per (event, subscription):
    CPU time, not wall time, so that other processes on a shared machine do not count."""
    subs, sample = subscriptions("http://127.0.0.1:9"), [event(n) for n in range(events)]
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.process_time()
        for one in sample:
            for sub in subs:
                sub.wants(one.type, one.payload)
        best = min(best, (time.process_time() - began) / (events * len(subs)))
    return best * 1e6


async def delivery(events: int, connections: int) -> tuple[float, float, float]:
    """(microseconds to owe one event, events delivered per second, microseconds of this
    process's CPU per delivery: the sender's own cost, what bounds it on an idle core)."""
    store = InMemoryStore()
    units, clock = InMemoryUnitOfWorkFactory(store), SystemClock()
    with counting_receiver() as (url, received):
        async with units(TENANT) as unit:
            for sub in subscriptions(url.removesuffix("/hook")):
                await unit.webhooks.add(sub)
            await unit.commit()
        sample = [(one, encode_body(one)) for one in (event(n) for n in range(events))]
        began = time.perf_counter()
        for one, body in sample:
            await enqueue_matching(units, one, body, clock.now())
        owing = (time.perf_counter() - began) / events * 1e6
        client = WebhookClient(10, connections=connections, allow_private=True)
        sender = SubscriptionSender(
            InMemoryWebhookDeliveryQueue(store, clock), client, clock, pause=_never, batch=connections
        )
        began, cpu = time.perf_counter(), time.process_time()
        while await sender.send_due():
            pass
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        await client.aclose()
        if received() != events:
            raise AssertionError(f"the receiver got {received()} of {events} deliveries")
    return owing, events / elapsed, cpu / events * 1e6


async def _never(_tenant: object, _subscription: object, reason: str) -> None:
    raise AssertionError(f"nothing should be paused: {reason}")


def _now() -> datetime:
    return datetime.now(UTC)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    per_pair = filter_evaluation_us(args.events)
    print(f"filter evaluation:         {per_pair:8.2f} us CPU per event and subscription")
    owing, rate, cpu = asyncio.run(delivery(args.events, args.connections))
    print(f"owing an event (10 subs):  {owing:8.1f} us per event (in memory)")
    print(f"delivery -> local webhook: {rate:8.0f} events/s ({args.connections} connections, memory queue)")
    print(f"sender's own CPU:          {cpu:8.0f} us per delivery ({1e6 / cpu:.0f} deliveries/s per core)")


if __name__ == "__main__":
    main()
