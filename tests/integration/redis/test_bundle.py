"""Every Redis adapter opens on one client, answers readiness, and closes cleanly."""

from __future__ import annotations

from uuid import uuid4

import pytest

from lana_adapters.redis import RedisSettings, redis_adapters
from lana_core.errors import Unavailable
from lana_core.ports import CacheKey
from tests.integration.redis.servers import free_port, settings_for, unique_prefix

pytestmark = pytest.mark.redis


async def test_the_adapters_share_one_client_and_report_ready(redis_settings: RedisSettings) -> None:
    async with redis_adapters(redis_settings, processes=2) as redis:
        await redis.probe.check()

        async def compute() -> int:
            return 7

        assert await redis.cache.get_or_compute(CacheKey(uuid4(), "dashboard", "x"), int, compute, 30) == 7
        assert (await redis.rate_limiter.hit("client", 1, 60)).allowed


async def test_a_server_without_redis_is_not_ready(redis_url: str) -> None:
    settings = settings_for(f"redis://127.0.0.1:{free_port()}/0", unique_prefix())
    async with redis_adapters(settings) as redis:
        with pytest.raises(Unavailable):
            await redis.probe.check()
