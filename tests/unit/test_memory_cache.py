"""InMemoryCache: TTL, one computation per missing key, invalidation by tenant and namespace."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest

from lana_core.memory import InMemoryCache
from lana_core.ports import CacheKey


class Ticker:
    """A monotonic clock for the cache that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Counting:
    """A computation that counts its calls and can be held open until released."""

    def __init__(self, value: object = "fresh") -> None:
        self.calls = 0
        self.value = value
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> Any:
        self.calls += 1
        await self.release.wait()
        return self.value


TENANT = uuid4()
KEY = CacheKey(TENANT, "dashboard", "all")


async def test_a_hit_returns_the_stored_object_itself_without_computing() -> None:
    cache, compute = InMemoryCache(), Counting(value=["a", "list"])

    first = await cache.get_or_compute(KEY, list, compute, 60)
    second = await cache.get_or_compute(KEY, list, compute, 60)

    assert second is first
    assert compute.calls == 1


async def test_an_entry_expires_after_its_ttl() -> None:
    ticker = Ticker()
    cache, compute = InMemoryCache(monotonic=ticker), Counting()
    await cache.get_or_compute(KEY, str, compute, 10)

    ticker.now = 9.9
    await cache.get_or_compute(KEY, str, compute, 10)
    assert compute.calls == 1
    ticker.now = 10.0
    await cache.get_or_compute(KEY, str, compute, 10)
    assert compute.calls == 2


async def test_concurrent_misses_of_one_key_compute_once() -> None:
    cache, compute = InMemoryCache(), Counting()
    compute.release.clear()

    readers = [asyncio.create_task(cache.get_or_compute(KEY, str, compute, 60)) for _ in range(50)]
    await asyncio.sleep(0)
    compute.release.set()
    results = await asyncio.gather(*readers)

    assert compute.calls == 1
    assert results == ["fresh"] * 50


async def test_a_failed_computation_raises_and_the_next_caller_computes_again() -> None:
    cache = InMemoryCache()

    async def broken() -> str:
        raise LookupError("no such customer")

    with pytest.raises(LookupError):
        await cache.get_or_compute(KEY, str, broken, 60)
    assert await cache.get_or_compute(KEY, str, Counting(), 60) == "fresh"


async def test_invalidation_drops_every_key_and_schema_of_the_namespace_only() -> None:
    cache = InMemoryCache()
    keys = [KEY, CacheKey(TENANT, "dashboard", "week", schema=2)]
    kept = [CacheKey(TENANT, "analytics", "all"), CacheKey(uuid4(), "dashboard", "all")]
    for key in [*keys, *kept]:
        await cache.get_or_compute(key, str, Counting("old"), 60)

    await cache.invalidate(TENANT, ["dashboard"])

    for key in keys:
        assert await cache.get_or_compute(key, str, Counting("new"), 60) == "new"
    for key in kept:
        assert await cache.get_or_compute(key, str, Counting("new"), 60) == "old"


async def test_a_value_computed_across_an_invalidation_is_returned_but_not_kept() -> None:
    cache, slow = InMemoryCache(), Counting("stale")
    slow.release.clear()
    reader = asyncio.create_task(cache.get_or_compute(KEY, str, slow, 60))
    await asyncio.sleep(0)

    await cache.invalidate(TENANT, ["dashboard"])
    slow.release.set()

    assert await reader == "stale"
    assert await cache.get_or_compute(KEY, str, Counting("fresh"), 60) == "fresh"


async def test_the_oldest_entry_leaves_when_the_cache_is_full() -> None:
    cache = InMemoryCache(max_entries=2)
    first, second, third = (CacheKey(TENANT, "dashboard", name) for name in ("a", "b", "c"))
    for key in (first, second, third):
        await cache.get_or_compute(key, str, Counting("old"), 60)

    assert await cache.get_or_compute(first, str, Counting("new"), 60) == "new"
    assert await cache.get_or_compute(third, str, Counting("new"), 60) == "old"
