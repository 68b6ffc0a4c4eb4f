"""Live analytics counters: per tenant per day, per hour and per event name, kept 30 days,
never failing ingestion, and rebuilt from the analytics store on demand."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.counters import LiveCounters
from lana_core.domain.tenancy import Actor
from lana_core.memory import InMemoryCache, InMemoryStore, ManualClock
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch, IngestEventsBatchHandler
from tests.integration.redis.kernels import kernel_with, memory_uow
from tests.integration.redis.samples import analytics_event
from tests.integration.redis.servers import free_port, settings_for, unique_prefix
from tests.support import make_tenant

pytestmark = pytest.mark.redis

# Counters expire 30 days after their day on Redis's clock: the tests count recent days.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
AT = (NOW - timedelta(days=2)).replace(hour=9, minute=30)
DAY = AT.date()


@pytest.fixture
async def counters(redis_settings: RedisSettings) -> AsyncIterator[LiveCounters]:
    client = connect(redis_settings)
    yield LiveCounters(client, redis_settings)
    await client.aclose()


async def test_events_are_counted_per_day_hour_and_name(counters: LiveCounters) -> None:
    tenant = uuid4()
    await counters.record(
        [
            analytics_event("viewed", tenant_id=tenant, occurred_at=AT),
            analytics_event("viewed", tenant_id=tenant, occurred_at=AT + timedelta(hours=2)),
            analytics_event("bought", tenant_id=tenant, occurred_at=AT + timedelta(minutes=5)),
            analytics_event("viewed", tenant_id=tenant, occurred_at=AT + timedelta(days=1)),
        ]
    )
    await counters.record([analytics_event("viewed", tenant_id=tenant, occurred_at=AT)])
    assert await counters.day(tenant, DAY) == 4
    assert await counters.hours(tenant, DAY) == {9: 3, 11: 1}
    assert await counters.events(tenant, DAY) == {"viewed": 3, "bought": 1}
    assert await counters.day(tenant, DAY + timedelta(days=1)) == 1


async def test_tenants_are_counted_apart(counters: LiveCounters) -> None:
    mine, theirs = uuid4(), uuid4()
    await counters.record([analytics_event(tenant_id=mine, occurred_at=AT)])
    assert await counters.day(theirs, DAY) == 0
    assert await counters.events(theirs, DAY) == {}


async def test_counters_expire_30_days_after_their_day(
    counters: LiveCounters, redis_settings: RedisSettings
) -> None:
    tenant = uuid4()
    today = datetime.now(UTC)
    await counters.record([analytics_event(tenant_id=tenant, occurred_at=today)])
    client = connect(redis_settings)
    try:
        keys = [
            key async for key in client.scan_iter(match=f"{redis_settings.key_prefix}lana:count:{tenant}:*")
        ]
        ttls = [await client.ttl(key) for key in keys]
    finally:
        await client.aclose()
    assert len(keys) == 3
    assert all(timedelta(days=30) < timedelta(seconds=ttl) <= timedelta(days=31) for ttl in ttls)


async def test_recording_never_fails_when_redis_is_down(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(f"redis://127.0.0.1:{free_port()}/0", unique_prefix())
    client = connect(settings)
    caplog.set_level(logging.WARNING, logger="lana_adapters.redis.counters")
    try:
        counters = LiveCounters(client, settings)
        for _ in range(50):
            await counters.record([analytics_event(occurred_at=AT)])
    finally:
        await client.aclose()
    # One line for the attempt on Redis; the writes the circuit then kept away are counted
    # for the next line instead of flooding the log.
    lines = [r.getMessage() for r in caplog.records if r.name == "lana_adapters.redis.counters"]
    assert len(lines) == 1
    assert lines[0].startswith("live counters missed 1 events (rebuild to repair)")


async def ingested(store: InMemoryStore, clock: ManualClock, when: list[tuple[str, timedelta]]) -> Actor:
    kernel = kernel_with(InMemoryCache(), memory_uow(store), clock)
    admin = await make_tenant(kernel)
    batch = [IngestEvent(name=name, occurred_at=clock.now() - ago) for name, ago in when]
    await IngestEventsBatchHandler(kernel)(admin, IngestEventsBatch(events=batch))
    return admin


async def test_a_rebuild_restores_the_counts_of_the_store(counters: LiveCounters) -> None:
    store, clock = InMemoryStore(), ManualClock(NOW.replace(hour=0) + timedelta(minutes=30))
    when = [
        ("viewed", timedelta(hours=1)),
        ("viewed", timedelta(hours=1)),
        ("bought", timedelta(days=2, hours=3)),
    ]
    admin = await ingested(store, clock, when)
    today = clock.now().date()
    await counters.record([analytics_event("bogus", tenant_id=admin.tenant_id, occurred_at=clock.now())])

    await counters.rebuild_counters(admin.tenant_id, memory_uow(store), 7, today=today)

    yesterday, three_days_ago = today - timedelta(days=1), today - timedelta(days=3)
    assert await counters.events(admin.tenant_id, yesterday) == {"viewed": 2}
    assert await counters.hours(admin.tenant_id, yesterday) == {23: 2}
    assert await counters.day(admin.tenant_id, three_days_ago) == 1
    assert await counters.events(admin.tenant_id, three_days_ago) == {"bought": 1}
    # Today holds what the store holds (no product event: the tenant's own creation is a
    # system event), not the stray count.
    assert await counters.events(admin.tenant_id, today) == {}
