"""What the webhook store sustains: deliveries enqueued, claimed and settled per second, and
the cost of matching an event against a subscription.

    uv run python benchmarks/webhook_store.py [--events 1000] [--subscriptions 10] [--batch 100]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--skip-sqlite]

For each store (memory, SQLite in a temporary file, PostgreSQL in a scratch database next to
the one ``--postgres`` or ``LANA_TEST_POSTGRES_URL`` names, dropped afterwards): ``--events``
events over 100 aggregates, each enqueued to ``--subscriptions`` subscriptions in one unit
of work per event (as a consumer enqueues what it receives), then every delivery claimed
``--batch`` at a time and recorded as successes together (``record_many``, one short
transaction per batch). Wall-clock rates, so they include the database's own work.
Matching: microseconds per (event, subscription) of ``Subscription.wants`` with three
filter conditions, best of five rounds of process CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
import timeit
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlUnitOfWorkFactory, create_engine_from, migrate
from lana_adapters.sql.settings import SqlSettings
from lana_adapters.sql.webhooks import SqlWebhookDeliveryQueue
from lana_core.domain.tenancy import Tenant
from lana_core.domain.webhooks import DeliveryAttempt, Subscription, SubscriptionSpec, WebhookEvent
from lana_core.memory import InMemoryStore, InMemoryUnitOfWorkFactory, InMemoryWebhookDeliveryQueue
from lana_core.ports import UnitOfWorkFactory, WebhookDeliveryQueue
from lana_core.system import SystemClock

FILTERS = ["value = high", "status in (active, prospect)", "owner.role != viewer"]
PAYLOAD = {"value": "high", "status": "active", "owner": {"role": "admin"}, "name": "Grace"}


def _subscription(tenant_id: UUID, index: int) -> Subscription:
    spec = SubscriptionSpec.check(
        url=f"https://hooks.example.com/{index}",
        event_types=["customer.*"],
        filters=FILTERS,
        format=None,
        allow_private=False,
    )
    return Subscription.create(
        id=uuid4(), tenant_id=tenant_id, spec=spec, created_by=None, now=datetime.now(UTC)
    )


def matching_micros() -> float:
    subscription = _subscription(uuid4(), 0)
    calls = 100_000
    best = min(
        timeit.Timer(lambda: subscription.wants("customer.updated", PAYLOAD), timer=time.process_time).repeat(
            5, calls
        )
    )
    return best / calls * 1e6


async def _tenant(uow: UnitOfWorkFactory, count: int) -> tuple[UUID, list[Subscription]]:
    tenant = Tenant.create(
        id=uuid4(), slug=f"bench-{secrets.token_hex(3)}", name="Bench", now=datetime.now(UTC)
    )
    subscriptions = [_subscription(tenant.id, i) for i in range(count)]
    async with uow(tenant.id) as unit:
        await unit.tenants.add(tenant)
        for subscription in subscriptions:
            await unit.webhooks.add(subscription)
        await unit.commit()
    return tenant.id, subscriptions


async def measure(
    label: str,
    uow: UnitOfWorkFactory,
    queue: WebhookDeliveryQueue,
    args: argparse.Namespace,
    analyze: Callable[[], Awaitable[None]] | None = None,
) -> None:
    tenant_id, subscriptions = await _tenant(uow, args.subscriptions)
    aggregates = [uuid4() for _ in range(100)]
    clock = SystemClock()
    start = time.perf_counter()
    for n in range(args.events):
        event = WebhookEvent(
            id=uuid4(),
            tenant_id=tenant_id,
            type="customer.updated",
            aggregate_id=aggregates[n % len(aggregates)],
            occurred_at=clock.now(),
            body=b'{"payload": {"value": "high"}}',
        )
        async with uow(tenant_id) as unit:
            await unit.webhooks.enqueue(event, subscriptions, clock.now())
            await unit.commit()
    enqueued = args.events * len(subscriptions)
    enqueue_rate = enqueued / (time.perf_counter() - start)
    if analyze is not None:
        await analyze()

    start, settled = time.perf_counter(), 0
    while claimed := await queue.claim(args.batch, 60):
        outcomes = []
        for each in claimed:
            attempt = DeliveryAttempt.record(each.delivery, at=clock.now(), status_code=204, latency_ms=1)
            outcomes.append((each.delivery.attempted(attempt, retry_at=None), attempt))
        await queue.record_many(outcomes)
        settled += len(outcomes)
    settle_rate = settled / (time.perf_counter() - start)
    print(
        f"{label}: enqueue {enqueue_rate:,.0f} deliveries/s ({args.events} events x {len(subscriptions)}"
        f" subscriptions, one unit of work per event); claim + record {settle_rate:,.0f} deliveries/s"
        f" ({settled} settled)"
    )


async def _sql(label: str, url: str, args: argparse.Namespace) -> None:
    migrate(url)
    engine = create_engine_from(SqlSettings(url=url))
    try:
        await measure(
            label,
            SqlUnitOfWorkFactory(engine),
            SqlWebhookDeliveryQueue(engine),
            args,
            lambda: _analyze(engine),
        )
    finally:
        await engine.dispose()


async def _analyze(engine: AsyncEngine) -> None:
    """Fresh statistics before claiming, as autovacuum keeps them on a live queue (migration
    0017 asks it to analyze the deliveries often): a claim's plan depends on them."""
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE webhook_deliveries"))


def _admin(server: str, statement: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(statement.encode())


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100, help="deliveries per claim")
    parser.add_argument("--postgres", default=os.environ.get("LANA_TEST_POSTGRES_URL"), help="server URL")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    print(
        f"matching: {matching_micros():.2f} us per event and subscription ({len(FILTERS)} filter conditions)"
    )
    store = InMemoryStore()
    await measure(
        "memory", InMemoryUnitOfWorkFactory(store), InMemoryWebhookDeliveryQueue(store, SystemClock()), args
    )
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            await _sql("SQLite", f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", args)
    if not args.postgres:
        print("PostgreSQL: skipped (pass --postgres or set LANA_TEST_POSTGRES_URL)")
        return
    server = make_url(args.postgres)
    name = f"lana_bench_{secrets.token_hex(4)}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    _admin(admin_dsn, f'CREATE DATABASE "{name}"')
    try:
        await _sql("PostgreSQL", server.set(database=name).render_as_string(hide_password=False), args)
    finally:
        _admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
