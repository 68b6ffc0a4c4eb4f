"""Webhook subscriptions: filter evaluation and delivery throughput to a local receiver.

    uv run python -m benchmarks.webhooks [--events 3000] [--connections 8] [--stores memory,sqlite,postgres]
        [--postgres URL]

``--stores`` names the delivery queues to measure delivery through: the in-memory one,
SQLite in a temporary file, PostgreSQL in a scratch database on the server ``--postgres``
(or ``LANA_TEST_POSTGRES_URL``) names, dropped afterwards; PostgreSQL is skipped without one.

Figures:
- filter evaluation: ``Subscription.wants`` per (event, subscription), over 10 subscriptions
  with a pattern and filters each (target <= 5 us);
- owing events: into each store, each event matched against the tenant's 10 subscriptions:
  half of them one unit of work each (``enqueue_matching``), half ``--connections`` at
  once through ``GroupedEnqueue`` (one unit of work for those, as a consumer's lanes owe);
- delivery throughput: owed deliveries claimed, signed, POSTed to a fast local receiver in its
  own process and recorded, by one ``SubscriptionSender`` over each store's queue (target
  >= 1,000 events/s). Each event meets the filters of exactly one subscription, so events/s
  is deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import uuid4

from benchmarks.events import counting_receiver, database
from lana_adapters.messaging.codec import encode_body
from lana_adapters.messaging.subscription_delivery import (
    GroupedEnqueue,
    SubscriptionSender,
    enqueue_matching,
)
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_adapters.sql import SqlUnitOfWorkFactory
from lana_adapters.sql.webhooks import SqlWebhookDeliveryQueue
from lana_core.domain.events import CUSTOMER_UPDATED, DomainEvent
from lana_core.domain.tenancy import Tenant
from lana_core.domain.webhooks import Subscription, SubscriptionSpec
from lana_core.memory import InMemoryStore, InMemoryUnitOfWorkFactory, InMemoryWebhookDeliveryQueue
from lana_core.ports import UnitOfWorkFactory, WebhookDeliveryQueue
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


@asynccontextmanager
async def store(
    name: str, postgres: str | None
) -> AsyncIterator[tuple[UnitOfWorkFactory, WebhookDeliveryQueue]]:
    """The units of work and the delivery queue of one store, holding the benchmark's tenant."""
    if name == "memory":
        memory = InMemoryStore()
        yield InMemoryUnitOfWorkFactory(memory), InMemoryWebhookDeliveryQueue(memory, SystemClock())
        return
    async with database(postgres if name == "postgres" else None) as (engine, _):
        units = SqlUnitOfWorkFactory(engine)
        async with units(TENANT) as unit:
            await unit.tenants.add(Tenant.create(id=TENANT, slug="bench", name="Bench", now=_now()))
            await unit.commit()
        yield units, SqlWebhookDeliveryQueue(engine, role=None)


async def delivery(
    units: UnitOfWorkFactory, queue: WebhookDeliveryQueue, events: int, connections: int
) -> tuple[float, float, float, float]:
    """(microseconds to owe one event alone, and among ``connections`` owed at once as a
    consumer's lanes do, events delivered per second, microseconds of this process's CPU
    per delivery: the sender's own cost, what bounds it on an idle core)."""
    clock = SystemClock()
    with counting_receiver() as (url, received):
        async with units(TENANT) as unit:
            for sub in subscriptions(url.removesuffix("/hook")):
                await unit.webhooks.add(sub)
            await unit.commit()
        sample = [(one, encode_body(one)) for one in (event(n) for n in range(events))]
        half = events // 2
        began = time.perf_counter()
        for one, body in sample[:half]:
            await enqueue_matching(units, one, body, clock.now())
        alone = (time.perf_counter() - began) / half * 1e6
        began, owe = time.perf_counter(), GroupedEnqueue(units, clock)
        for start in range(half, events, connections):
            await asyncio.gather(*(owe(one, body) for one, body in sample[start : start + connections]))
        grouped = (time.perf_counter() - began) / (events - half) * 1e6
        client = WebhookClient(10, connections=connections, allow_private=True)
        sender = SubscriptionSender(queue, client, clock, pause=_never, batch=connections)
        began, cpu = time.perf_counter(), time.process_time()
        while await sender.send_due():
            pass
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        await client.aclose()
        if received() != events:
            raise AssertionError(f"the receiver got {received()} of {events} deliveries")
    return alone, grouped, events / elapsed, cpu / events * 1e6


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
    parser.add_argument("--stores", default="memory,sqlite,postgres", help="comma-separated")
    parser.add_argument("--postgres", default=os.environ.get("LANA_TEST_POSTGRES_URL"), help="server URL")
    args = parser.parse_args()
    per_pair = filter_evaluation_us(args.events)
    print(f"filter evaluation: {per_pair:.2f} us CPU per event and subscription")
    print(f"{'store':<10}{'owing alone':>12}{'grouped':>9}{'events/s':>10}{'sender CPU us/delivery':>24}")
    for name in args.stores.split(","):
        if name == "postgres" and not args.postgres:
            print("postgres   skipped (pass --postgres or set LANA_TEST_POSTGRES_URL)")
            continue
        alone, grouped, rate, cpu = asyncio.run(_measured(name, args))
        print(f"{name:<10}{alone:>12.0f}{grouped:>9.0f}{rate:>10.0f}{cpu:>24.0f}")
    print(
        f"({args.events} events, {args.connections} connections; owing: us per event, half of them"
        f" one at a time, half {args.connections} at once through GroupedEnqueue)"
    )


async def _measured(name: str, args: argparse.Namespace) -> tuple[float, float, float, float]:
    async with store(name, args.postgres) as (units, queue):
        return await delivery(units, queue, args.events, args.connections)


if __name__ == "__main__":
    main()
