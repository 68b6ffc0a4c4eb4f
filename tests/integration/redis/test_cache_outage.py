"""The Redis cache fails open: while Redis is down, hung or gone, reads are computed and served,
each slowed by at most the configured timeout; when Redis is back, caching resumes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import pytest

from lana_adapters.redis import RedisCache, connect
from lana_core.ports import CacheKey
from tests.integration.redis.servers import PrivateRedis, free_port, settings_for, unique_prefix

pytestmark = pytest.mark.redis

TIMEOUT = 0.2
CIRCUIT = 0.5
# Event-loop scheduling on a busy machine: what a read may take beyond the timeout
# (less than a second timeout, so two waits in one read would fail the tests).
SLACK = 0.1
# A tick longer than this is a stall of the whole process (a full garbage collection,
# another process on the core), which no Redis timeout can prevent.
STALL_TICK = 0.005
KEY = CacheKey(uuid4(), "dashboard", "summary")


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        return self.calls


def cache_on(url: str) -> RedisCache:
    settings = settings_for(url, unique_prefix(), timeout_seconds=TIMEOUT, circuit_open_seconds=CIRCUIT)
    return RedisCache(connect(settings), settings)


@pytest.fixture
async def cache(private_redis: PrivateRedis) -> AsyncIterator[RedisCache]:
    opened = cache_on(private_redis.url)
    yield opened
    await opened.aclose()


async def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = await call()  # type: ignore[misc]
    return result, time.perf_counter() - started


class Stalls:
    """Sums how late the event loop ran a short timer while it watched, so the timing
    assertions judge the cache, not the machine: a read's allowance grows by the stalls."""

    def __init__(self) -> None:
        self.seconds = 0.0

    async def watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(STALL_TICK)
            self.seconds += max(0.0, loop.time() - before - 2 * STALL_TICK)

    def allowance(self) -> float:
        return TIMEOUT + SLACK + self.seconds


@pytest.fixture
async def stalls() -> AsyncIterator[Stalls]:
    watched = Stalls()
    watcher = asyncio.ensure_future(watched.watch())
    yield watched
    watcher.cancel()


async def test_a_closed_port_reads_as_a_miss_and_the_value_is_served(redis_url: str, stalls: Stalls) -> None:
    cache = cache_on(f"redis://127.0.0.1:{free_port()}/0")
    compute = Counter()
    try:
        for expected in (1, 2, 3):
            value, took = await timed(lambda: cache.get_or_compute(KEY, int, compute, 30))
            assert value == expected
            assert took <= stalls.allowance()
        assert await cache.ping() is False
    finally:
        await cache.aclose()


async def test_a_hung_redis_costs_each_read_at_most_the_timeout(
    cache: RedisCache, private_redis: PrivateRedis, stalls: Stalls
) -> None:
    compute = Counter()
    await cache.get_or_compute(KEY, int, compute, 30)
    private_redis.pause()
    durations = []
    for _ in range(5):
        _, took = await timed(lambda: cache.get_or_compute(KEY, int, compute, 30))
        durations.append(took)
    assert compute.calls == 6  # every read during the outage was computed and answered
    assert max(durations) <= stalls.allowance()
    assert (
        sorted(durations)[-2] < TIMEOUT / 2 + stalls.seconds
    )  # only the first read waited: the circuit opened
    assert await cache.ping() is False


async def test_concurrent_reads_during_an_outage_all_succeed_within_the_timeout(
    cache: RedisCache, private_redis: PrivateRedis, stalls: Stalls
) -> None:
    compute = Counter()
    private_redis.pause()

    async def one() -> float:
        _, took = await timed(
            lambda: cache.get_or_compute(CacheKey(uuid4(), "dashboard", "x"), int, compute, 30)
        )
        return took

    durations = sorted(await asyncio.gather(*(one() for _ in range(50))))
    assert compute.calls == 50
    # Fifty commands queue for the connections of a busy event loop: the timeout counts from
    # when each could be sent, so the slowest may exceed it, never by a second timeout.
    assert durations[len(durations) // 2] <= stalls.allowance()
    assert durations[-1] < 2 * TIMEOUT + stalls.seconds


async def test_caching_resumes_after_a_pause_without_a_restart(
    cache: RedisCache, private_redis: PrivateRedis
) -> None:
    compute = Counter()
    private_redis.pause()
    await cache.get_or_compute(KEY, int, compute, 30)
    private_redis.resume()

    await _until_served_from_redis(cache, compute)
    assert await cache.ping() is True


async def test_caching_resumes_after_redis_restarts(cache: RedisCache, private_redis: PrivateRedis) -> None:
    compute = Counter()
    private_redis.stop()
    assert await cache.get_or_compute(KEY, int, compute, 30) == 1
    private_redis.start()

    await _until_served_from_redis(cache, compute)


async def _until_served_from_redis(cache: RedisCache, compute: Counter) -> None:
    """Wait, without touching the client, until a value stored after the circuit's pause is
    read back from Redis. The first probe usually succeeds; on a busy machine a stalled
    event loop can make it outlast the 0.2 s timeout and reopen the circuit for a while."""
    for _ in range(20):
        await asyncio.sleep(CIRCUIT + 0.05)
        await cache.get_or_compute(KEY, int, compute, 30)  # the probe: a miss, stored if Redis answers
        computed = compute.calls
        value = await cache.get_or_compute(KEY, int, compute, 30)
        if compute.calls == computed:
            assert value == computed  # the stored value, not a fresh one
            return
    pytest.fail(f"still not caching after 20 circuit pauses ({compute.calls} computations)")


async def test_an_invalidation_missed_during_an_outage_applies_before_the_next_read(
    cache: RedisCache, private_redis: PrivateRedis
) -> None:
    compute = Counter()
    await cache.get_or_compute(KEY, int, compute, 30)
    private_redis.pause()
    await cache.invalidate(KEY.tenant_id, [KEY.namespace])  # a write committed while Redis hung
    private_redis.resume()
    await asyncio.sleep(CIRCUIT + 0.05)
    assert await cache.get_or_compute(KEY, int, compute, 30) == 2


async def test_an_invalidation_missed_during_an_outage_reaches_other_processes(
    private_redis: PrivateRedis,
) -> None:
    settings = settings_for(
        private_redis.url, unique_prefix(), timeout_seconds=TIMEOUT, circuit_open_seconds=CIRCUIT
    )
    # Two processes sharing one cache through Redis.
    cache, other = RedisCache(connect(settings), settings), RedisCache(connect(settings), settings)
    compute = Counter()
    try:
        await other.get_or_compute(KEY, int, compute, 30)
        private_redis.pause()
        await cache.invalidate(KEY.tenant_id, [KEY.namespace])  # a write committed while Redis hung
        private_redis.resume()

        # The invalidating process reads nothing more: its invalidation must still arrive.
        for _ in range(20):
            await asyncio.sleep(CIRCUIT + 0.05)
            if await other.get_or_compute(KEY, int, compute, 30) == 2:
                return
        pytest.fail("the other process still reads the value from before the write")
    finally:
        await cache.aclose()
        await other.aclose()
