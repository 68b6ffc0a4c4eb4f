"""Rate limits in Redis hold across worker processes, and fall back to each process's own
limits when Redis fails."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator

import pytest

from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.rate_limit import RedisRateLimiter
from tests.integration.redis import workers
from tests.integration.redis.servers import free_port, settings_for, unique_prefix

pytestmark = pytest.mark.redis


@pytest.fixture
async def limiter(redis_settings: RedisSettings) -> AsyncIterator[RedisRateLimiter]:
    client = connect(redis_settings)
    yield RedisRateLimiter(client, redis_settings)
    await client.aclose()


def test_four_worker_processes_admit_at_most_the_limit_between_them(redis_settings: RedisSettings) -> None:
    # Forked workers start at once with everything imported; each runs its own event loop.
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    args = (redis_settings.url, redis_settings.key_prefix)
    options = {"key": "client:1", "attempts": 250, "limit": 100, "start": start, "results": results}
    processes = [context.Process(target=workers.admitted, args=args, kwargs=options) for _ in range(4)]
    for process in processes:
        process.start()
    start.set()
    admitted = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    assert sum(admitted) == 100  # all 1,000 counted in Redis: exactly the limit got in


async def test_a_decision_says_what_is_left_and_when_the_window_resets(limiter: RedisRateLimiter) -> None:
    first = await limiter.hit("client:2", 2, 60)
    assert (first.allowed, first.limit, first.remaining) == (True, 2, 1)
    assert 59 <= first.reset_seconds <= 60
    await limiter.hit("client:2", 2, 60)
    third = await limiter.hit("client:2", 2, 60)
    assert (third.allowed, third.remaining) == (False, 0)
    assert (await limiter.hit("client:3", 2, 60)).allowed


async def test_a_new_window_admits_again(limiter: RedisRateLimiter) -> None:
    assert (await limiter.hit("client:4", 1, 1)).allowed
    assert not (await limiter.hit("client:4", 1, 1)).allowed
    await asyncio.sleep(1.1)
    assert (await limiter.hit("client:4", 1, 1)).allowed


async def test_without_redis_each_process_admits_its_share_of_the_limit(redis_url: str) -> None:
    settings = settings_for(f"redis://127.0.0.1:{free_port()}/0", unique_prefix())
    client = connect(settings)
    limiter = RedisRateLimiter(client, settings, processes=2)
    try:
        decisions = [await limiter.hit("client:5", 6, 60) for _ in range(5)]
    finally:
        await client.aclose()
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[0].limit == 6
