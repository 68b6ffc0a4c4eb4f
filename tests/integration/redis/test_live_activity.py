"""Today's activity on the dashboard from the Redis counters: every committed analytics event
is counted at once, tenants apart, and the store answers the same when Redis cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from lana_adapters.redis import RedisCache, RedisSettings, connect
from lana_adapters.redis.counters import LiveCounters
from lana_core.domain.analytics import Dashboard
from lana_core.domain.tenancy import Actor
from lana_core.memory import InMemoryCache, InMemoryStore, ManualClock
from lana_core.ports import ActivityCounters, Cache
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch, IngestEventsBatchHandler
from lana_core.usecases.dashboard import GetDashboardHandler
from tests.integration.redis.kernels import memory_uow
from tests.integration.redis.servers import free_port, settings_for, unique_prefix
from tests.support import make_tenant

pytestmark = pytest.mark.redis

# Counters expire on Redis's clock 30 days after their day: the tests live in the present.
NOW = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)


@pytest.fixture
async def counters(redis_settings: RedisSettings) -> AsyncIterator[LiveCounters]:
    client = connect(redis_settings)
    yield LiveCounters(client, redis_settings)
    await client.aclose()


@pytest.fixture
async def cache(redis_settings: RedisSettings) -> AsyncIterator[RedisCache]:
    client = connect(redis_settings)
    yield RedisCache(client, redis_settings)
    await client.aclose()


def kernel_on(
    store: InMemoryStore, cache: Cache, counters: ActivityCounters, clock: ManualClock | None = None
) -> Kernel:
    return Kernel(
        uow=memory_uow(store),
        clock=clock or ManualClock(NOW),
        ids=TimeOrderedIds(),
        cache=cache,
        counters=counters,
    )


async def ingest(kernel: Kernel, actor: Actor, *names: str) -> None:
    batch = IngestEventsBatch(events=[IngestEvent(name=name) for name in names])
    await IngestEventsBatchHandler(kernel)(actor, batch)


def today_of(board: Dashboard) -> tuple[int, dict[str, int], int]:
    """Total, names and the current hour's count: what the dashboard says about today."""
    names = {item.name: item.count for item in board.top_events_today}
    return board.events_today, names, board.events_per_hour_today[-1].count


async def test_ingested_events_are_counted_in_redis_once_committed(counters: LiveCounters) -> None:
    kernel = kernel_on(InMemoryStore(), InMemoryCache(), counters)
    admin = await make_tenant(kernel)
    await ingest(kernel, admin, "viewed", "viewed", "bought")
    activity = await counters.activity(admin.tenant_id, NOW.date())
    assert activity is not None
    # The tenant's creation wrote two system events in the same hour: not counted.
    assert activity.per_name == {"viewed": 2, "bought": 1}
    assert activity.per_hour == {NOW.hour: 3}
    assert await counters.day(admin.tenant_id, NOW.date()) == 3


async def test_today_moves_at_once_while_the_rest_of_the_dashboard_is_cached(
    counters: LiveCounters, cache: RedisCache
) -> None:
    clock = ManualClock(NOW)
    kernel = kernel_on(InMemoryStore(), cache, counters, clock)
    admin = await make_tenant(kernel)
    dashboard = GetDashboardHandler(kernel)
    before = await dashboard(admin)
    clock.advance(timedelta(seconds=5))
    await ingest(kernel, admin, "viewed", "viewed")
    after = await dashboard(admin)
    assert after.generated_at == before.generated_at
    assert today_of(before) == (0, {}, 0)
    assert today_of(after) == (2, {"viewed": 2}, 2)


async def test_tenants_never_see_each_others_counts(counters: LiveCounters, cache: RedisCache) -> None:
    kernel = kernel_on(InMemoryStore(), cache, counters)
    mine, theirs = await make_tenant(kernel, "mine"), await make_tenant(kernel, "theirs")
    await ingest(kernel, mine, *["viewed"] * 7)
    await ingest(kernel, theirs, "bought")
    board = await GetDashboardHandler(kernel)(theirs)
    assert today_of(board) == (1, {"bought": 1}, 1)
    assert (await GetDashboardHandler(kernel)(mine)).events_today == 7


async def test_without_redis_the_store_answers_the_same_figures(
    counters: LiveCounters, cache: RedisCache
) -> None:
    store = InMemoryStore()
    kernel = kernel_on(store, cache, counters)
    admin = await make_tenant(kernel)
    await ingest(kernel, admin, "viewed", "bought", "viewed", "signed.up")
    counted = await GetDashboardHandler(kernel)(admin)

    down = settings_for(f"redis://127.0.0.1:{free_port()}/0", unique_prefix())
    client = connect(down)
    try:
        unreachable = LiveCounters(client, down)
        assert await unreachable.activity(admin.tenant_id, NOW.date()) is None
        from_store = await GetDashboardHandler(kernel_on(store, cache, unreachable))(admin)
    finally:
        await client.aclose()
    assert today_of(from_store) == today_of(counted) == (4, {"viewed": 2, "bought": 1, "signed.up": 1}, 4)
    assert from_store.events_per_hour_today == counted.events_per_hour_today
