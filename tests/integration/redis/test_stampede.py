"""Stampede protection through the dashboard use case: many concurrent reads of a cold or
expired key, in several processes sharing one Redis, run the aggregate once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from attrs import evolve

from lana_adapters.redis import RedisCache, RedisSettings
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.dashboard import GetDashboardHandler
from tests.integration.redis.kernels import CountingUnitOfWorkFactory, kernel_with, memory_uow, redis_cache
from tests.support import START, make_kernel, make_tenant

pytestmark = pytest.mark.redis

PROCESSES = 4
EXPIRING_TTL_SECONDS = 1.5


@pytest.fixture
async def caches(redis_settings: RedisSettings) -> AsyncIterator[list[RedisCache]]:
    """One cache per simulated server process, all on the same Redis keys."""
    opened = [redis_cache(redis_settings) for _ in range(PROCESSES)]
    yield opened
    for cache in opened:
        await cache.aclose()


async def tenant_with_customers(uow: CountingUnitOfWorkFactory, clock: ManualClock) -> Actor:
    seeding = make_kernel(clock=clock)
    seeding = evolve(seeding, uow=uow)
    admin = await make_tenant(seeding)
    for number in range(3):
        await CreateCustomerHandler(seeding)(admin, CreateCustomer(name=f"Customer {number}"))
    return admin


async def test_200_concurrent_reads_of_a_cold_dashboard_aggregate_once(caches: list[RedisCache]) -> None:
    clock = ManualClock(START)
    uow = CountingUnitOfWorkFactory(memory_uow())
    admin = await tenant_with_customers(uow, clock)
    handlers = [GetDashboardHandler(kernel_with(cache, uow, clock)) for cache in caches]
    before = uow.aggregates

    dashboards = await asyncio.gather(*(handlers[i % PROCESSES](admin) for i in range(200)))

    assert uow.aggregates - before == 1
    assert {d.total_customers for d in dashboards} == {3}


async def test_1000_concurrent_reads_of_an_expired_key_recompute_at_most_once(
    caches: list[RedisCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that the value stored by the stampede outlives the stampede itself on a
    # busy machine (with 0.2 s, a slow run saw it expire mid-stampede and recomputed).
    monkeypatch.setattr("lana_core.usecases.dashboard.DASHBOARD_TTL_SECONDS", EXPIRING_TTL_SECONDS)
    clock = ManualClock(START)
    uow = CountingUnitOfWorkFactory(memory_uow())
    admin = await tenant_with_customers(uow, clock)
    handlers = [GetDashboardHandler(kernel_with(cache, uow, clock)) for cache in caches]
    await handlers[0](admin)
    await asyncio.sleep(EXPIRING_TTL_SECONDS + 0.05)
    before = uow.aggregates

    await asyncio.gather(*(handlers[i % PROCESSES](admin) for i in range(1000)))

    assert uow.aggregates - before == 1
