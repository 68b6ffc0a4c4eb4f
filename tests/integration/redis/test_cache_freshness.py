"""Random write/read sequences through the real use cases, with two server processes sharing a
Redis cache: every read equals an uncached read of the same store (so no read is stale after
a write returned), and every key a read touches belongs to the reader's tenant."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import Any, TypeVar
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.redis import RedisCache, RedisSettings, ValueCodec
from lana_core.app import Lana
from lana_core.domain.analytics import Interval, Timeframe
from lana_core.domain.customers import CustomerValue
from lana_core.domain.tenancy import Actor
from lana_core.errors import LanaError
from lana_core.memory import InMemoryStore, ManualClock
from lana_core.ports import Cache, CacheKey
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch
from lana_core.usecases.customers import CreateCustomer
from tests.integration.redis.kernels import kernel_with, memory_uow, redis_cache
from tests.integration.redis.servers import delete_prefixed, settings_for, unique_prefix
from tests.support import FAST_HASHER, START, make_tenant

pytestmark = pytest.mark.redis

T = TypeVar("T")
CODEC = ValueCodec()


class NoCache:
    """The reference: every read computed from the store."""

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        return await compute()

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        return None


class RecordingCache:
    """Passes calls to a cache and remembers the tenant of every key read."""

    def __init__(self, inner: Cache) -> None:
        self.inner = inner
        self.read_tenants: list[UUID] = []

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        self.read_tenants.append(key.tenant_id)
        return await self.inner.get_or_compute(key, kind, compute, ttl_seconds)

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        await self.inner.invalidate(tenant_id, namespaces)


WRITES = ("create_customer", "archive_customer", "ingest_event", "ingest_batch")
READS = ("dashboard", "metrics", "top_events", "time_series")
steps = st.lists(
    st.tuples(
        st.sampled_from(WRITES + READS), st.integers(0, 1), st.integers(0, 1), st.sampled_from(CustomerValue)
    ),
    min_size=1,
    max_size=12,
)


class World:
    """Two tenants on one store; two processes' use cases on one Redis, and the reference."""

    def __init__(self, settings: RedisSettings) -> None:
        self.store = InMemoryStore()
        self.clock = ManualClock(START)
        self.redis: list[RedisCache] = [redis_cache(settings), redis_cache(settings)]
        self.caches = [RecordingCache(cache) for cache in self.redis]
        self.processes = [self._lana(cache) for cache in self.caches]
        self.reference = self._lana(NoCache())
        self.actors: list[Actor] = []
        self.customers: dict[UUID, list[UUID]] = {}

    def _lana(self, cache: Cache) -> Lana:
        return Lana(kernel_with(cache, memory_uow(self.store), self.clock), hasher=FAST_HASHER)

    async def open(self) -> None:
        for slug in ("alpha", "beta"):
            actor = await make_tenant(self.reference.kernel, slug)
            self.actors.append(actor)
            self.customers[actor.tenant_id] = []

    async def close(self) -> None:
        for cache in self.redis:
            await cache.aclose()

    async def write(self, lana: Lana, actor: Actor, name: str, value: CustomerValue) -> None:
        tenant = actor.tenant_id
        if name == "create_customer":
            made = await lana.create_customer(actor, CreateCustomer(name="Someone", value=value))
            self.customers[tenant].append(made.id)
        elif name == "archive_customer" and self.customers[tenant]:
            await lana.archive_customer(actor, self.customers[tenant].pop())
        elif name == "ingest_event":
            await lana.ingest_event(actor, IngestEvent(name=f"clicked.{value.value}", user_id="u1"))
        elif name == "ingest_batch":
            batch = [IngestEvent(name="viewed", session_id=f"s{n}") for n in range(3)]
            await lana.ingest_events(actor, IngestEventsBatch(events=batch))

    async def read(self, lana: Lana, actor: Actor, name: str) -> Any:
        if name == "dashboard":
            return await lana.get_dashboard(actor)
        if name == "metrics":
            return await lana.get_metrics(actor, Timeframe.DAY)
        if name == "top_events":
            return tuple(await lana.get_top_events(actor, Timeframe.WEEK, 5))
        return tuple(await lana.get_time_series(actor, Timeframe.DAY, Interval.HOUR))


async def play(world: World, sequence: list[tuple[str, int, int, CustomerValue]]) -> None:
    await world.open()
    for name, who, process, value in sequence:
        actor, lana, cache = world.actors[who], world.processes[process], world.caches[process]
        if name in WRITES:
            with suppress(LanaError):  # e.g. archiving a customer twice: refused, nothing changes
                await world.write(lana, actor, name, value)
            continue
        cache.read_tenants.clear()
        cached = await world.read(lana, actor, name)
        fresh = await world.read(world.reference, actor, name)
        assert CODEC.encode(cached) == CODEC.encode(fresh), f"stale {name} after {sequence}"
        assert set(cache.read_tenants) == {actor.tenant_id}


@given(sequence=steps)
def test_reads_through_a_shared_redis_cache_are_never_stale_nor_foreign(
    redis_url: str, sequence: list[tuple[str, int, int, CustomerValue]]
) -> None:
    # Patient timeouts: an invalidation that times out on a stalled event loop leaves the
    # other process reading the old value until it is replayed, which is the outage
    # behaviour test_cache_outage.py covers; this test is about what a healthy Redis serves.
    settings = settings_for(redis_url, unique_prefix(), timeout_seconds=2.0, connect_timeout_seconds=2.0)
    world = World(settings)

    async def run() -> None:
        try:
            await play(world, sequence)
        finally:
            await world.close()

    try:
        asyncio.run(run())
    finally:
        delete_prefixed(redis_url, settings.key_prefix)
