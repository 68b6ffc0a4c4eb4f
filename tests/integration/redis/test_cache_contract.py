"""The Cache port's contract, run against the in-memory cache, the host cache (one process's
view of it) and the Redis cache alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid4

import pytest

from lana_adapters.hostcache import HostCache, HostGenerations
from lana_adapters.redis import RedisCache, RedisSettings, connect
from lana_core.memory import InMemoryCache
from lana_core.ports import Cache, CacheKey
from tests.integration.redis.samples import SAMPLES

BACKENDS = ["memory", "host", pytest.param("redis", marks=pytest.mark.redis)]
TENANT_A = uuid4()
TENANT_B = uuid4()


class Caches(Protocol):
    """Opens caches that share entries: two processes on one Redis, or one in-memory cache."""

    def __call__(self) -> Cache: ...


@pytest.fixture(params=BACKENDS)
async def caches(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Caches]:
    if request.param == "memory":
        shared = InMemoryCache()
        yield lambda: shared
        return
    if request.param == "host":
        generations = HostGenerations(tmp_path / "lana.db.cache-generations")
        host = HostCache(generations)
        yield lambda: host
        generations.close()
        return
    settings: RedisSettings = request.getfixturevalue("redis_settings")
    opened: list[RedisCache] = []

    def open_cache() -> Cache:
        opened.append(RedisCache(connect(settings), settings))
        return opened[-1]

    yield open_cache
    for cache in opened:
        await cache.aclose()


@pytest.fixture
def cache(caches: Caches) -> Cache:
    return caches()


class Counter:
    """A compute function that counts its calls and answers with the call number."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self._delay = delay

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(self._delay)
        return self.calls


def key(
    tenant: UUID = TENANT_A, namespace: str = "dashboard", params: str = "summary", schema: int = 1
) -> CacheKey:
    return CacheKey(tenant, namespace, params, schema)


async def read(cache: Cache, at: CacheKey, compute: Callable[[], Awaitable[int]], ttl: float = 30.0) -> int:
    return await cache.get_or_compute(at, int, compute, ttl)


async def test_a_second_read_is_served_from_the_cache(cache: Cache) -> None:
    compute = Counter()
    assert await read(cache, key(), compute) == 1
    assert await read(cache, key(), compute) == 1
    assert compute.calls == 1


async def test_another_process_reads_the_stored_entry(caches: Caches) -> None:
    compute = Counter()
    await read(caches(), key(), compute)
    assert await read(caches(), key(), compute) == 1
    assert compute.calls == 1


async def test_an_entry_expires_after_its_ttl(cache: Cache) -> None:
    compute = Counter()
    await read(cache, key(), compute, ttl=0.2)
    await asyncio.sleep(0.3)
    assert await read(cache, key(), compute, ttl=0.2) == 2


async def test_a_zero_ttl_is_never_stored(cache: Cache) -> None:
    compute = Counter()
    await read(cache, key(), compute, ttl=0)
    assert await read(cache, key(), compute, ttl=0) == 2


async def test_invalidation_drops_exactly_the_namespaces_given(cache: Cache) -> None:
    keys = [key(namespace="dashboard"), key(namespace="analytics"), key(namespace="insights")]
    other_tenant = key(tenant=TENANT_B, namespace="dashboard")
    computes = {k: Counter() for k in [*keys, other_tenant]}
    for at, compute in computes.items():
        await read(cache, at, compute)
    await cache.invalidate(TENANT_A, ["dashboard", "analytics"])
    for at, compute in computes.items():
        await read(cache, at, compute)
    calls = {at.namespace + ("@b" if at.tenant_id == TENANT_B else ""): c.calls for at, c in computes.items()}
    assert calls == {"dashboard": 2, "analytics": 2, "insights": 1, "dashboard@b": 1}


async def test_invalidation_reaches_every_schema_version_and_params(cache: Cache) -> None:
    keys = [key(schema=1), key(schema=2), key(params="other:with:colons")]
    computes = [Counter() for _ in keys]
    for at, compute in zip(keys, computes, strict=True):
        await read(cache, at, compute)
    await cache.invalidate(TENANT_A, ["dashboard"])
    for at, compute in zip(keys, computes, strict=True):
        assert await read(cache, at, compute) == 2


async def test_invalidation_by_another_process_is_seen(caches: Caches) -> None:
    reader, writer = caches(), caches()
    compute = Counter()
    await read(reader, key(), compute)
    await writer.invalidate(TENANT_A, ["dashboard"])
    assert await read(reader, key(), compute) == 2


async def test_tenants_never_share_an_entry(cache: Cache) -> None:
    async def for_a() -> str:
        return "a"

    async def for_b() -> str:
        return "b"

    assert await cache.get_or_compute(key(TENANT_A), str, for_a, 30) == "a"
    assert await cache.get_or_compute(key(TENANT_B), str, for_b, 30) == "b"
    assert await cache.get_or_compute(key(TENANT_A), str, for_b, 30) == "a"


async def test_concurrent_misses_of_one_key_compute_once(cache: Cache) -> None:
    compute = Counter(delay=0.05)
    results = await asyncio.gather(*(read(cache, key(), compute) for _ in range(100)))
    assert compute.calls == 1
    assert set(results) == {1}


async def test_concurrent_misses_in_two_processes_compute_once(caches: Caches) -> None:
    first, second = caches(), caches()
    compute = Counter(delay=0.1)
    readers = [read(cache, key(), compute) for cache in (first, second) for _ in range(20)]
    assert set(await asyncio.gather(*readers)) == {1}
    assert compute.calls == 1


async def test_a_failed_compute_propagates_and_stores_nothing(cache: Cache) -> None:
    async def broken() -> int:
        raise LookupError("store down")

    with pytest.raises(LookupError):
        await read(cache, key(), broken)
    assert await read(cache, key(), Counter()) == 1


async def test_waiters_on_a_failed_compute_try_again_themselves(cache: Cache) -> None:
    attempts = 0

    async def fails_once() -> int:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.02)
        if attempts == 1:
            raise LookupError("first try fails")
        return attempts

    outcomes = await asyncio.gather(
        *(read(cache, key(), fails_once) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(o, LookupError) for o in outcomes) == 1
    assert {o for o in outcomes if not isinstance(o, BaseException)} == {2}


async def test_a_value_computed_across_an_invalidation_is_not_kept(cache: Cache) -> None:
    async def raced() -> int:
        await cache.invalidate(TENANT_A, ["dashboard"])  # a write commits while we compute
        return 1

    assert await read(cache, key(), raced) == 1
    assert await read(cache, key(), Counter()) == 1  # recomputed: the raced value was not stored


async def test_a_read_after_an_invalidation_never_joins_an_older_computation(cache: Cache) -> None:
    started = asyncio.Event()

    async def slow_old() -> int:
        started.set()
        await asyncio.sleep(0.1)
        return 1

    old = asyncio.create_task(read(cache, key(), slow_old))
    await started.wait()
    await cache.invalidate(TENANT_A, ["dashboard"])
    assert await read(cache, key(), Counter()) == 1
    assert await old == 1
    assert await read(cache, key(), Counter()) == 1


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda kind: kind.__name__)
async def test_every_cached_kind_comes_back_equal(caches: Caches, kind: type[Any]) -> None:
    value = SAMPLES[kind]

    async def compute() -> Any:
        return value

    async def never() -> Any:
        raise AssertionError("should have been a hit")

    await caches().get_or_compute(key(params=kind.__name__), kind, compute, 30)
    found = await caches().get_or_compute(key(params=kind.__name__), kind, never, 30)
    assert found == value
    assert type(found) is kind
