"""Every Redis adapter on one client, opened and closed together (what the container wires)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from attrs import frozen
from redis.asyncio import Redis

from lana_adapters.redis.cache import RedisCache
from lana_adapters.redis.connection import connect
from lana_adapters.redis.counters import LiveCounters
from lana_adapters.redis.idempotency import RedisIdempotencyStore
from lana_adapters.redis.pubsub import RedisEventStream
from lana_adapters.redis.rate_limit import RedisRateLimiter
from lana_adapters.redis.settings import RedisSettings
from lana_core.errors import Unavailable


class RedisProbe:
    """Readiness of Redis: one PING within the timeout. Not ``required``: without Redis the
    server still serves every request from the database (slower; rate limits per process,
    and creates sent with an Idempotency-Key refused), so it is *degraded*, not unready."""

    __slots__ = ("_client", "_timeout")

    name = "redis"
    required = False

    def __init__(self, client: Redis, settings: RedisSettings) -> None:
        self._client = client
        self._timeout = settings.timeout_seconds

    async def check(self) -> None:
        """Return when Redis answers; raises Unavailable when it does not."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._client.ping()
        except Exception as error:  # whatever the failure, the answer is "not ready"
            raise Unavailable(f"redis does not answer: {error!r}") from error


@frozen(kw_only=True)
class RedisAdapters:
    """The Redis-backed adapters of one process, sharing one connection pool."""

    settings: RedisSettings
    client: Redis
    cache: RedisCache
    rate_limiter: RedisRateLimiter
    idempotency: RedisIdempotencyStore
    counters: LiveCounters
    events: RedisEventStream
    probe: RedisProbe


@asynccontextmanager
async def redis_adapters(settings: RedisSettings, *, processes: int = 1) -> AsyncIterator[RedisAdapters]:
    """Build every adapter on one lazily connecting client; close them on exit.

    ``processes`` is the number of worker processes sharing the rate limits (each admits
    its share while Redis is down). Nothing is contacted until first use.
    """
    client = connect(settings)
    events = RedisEventStream(client, settings)
    try:
        yield RedisAdapters(
            settings=settings,
            client=client,
            cache=RedisCache(client, settings),
            rate_limiter=RedisRateLimiter(client, settings, processes=processes),
            idempotency=RedisIdempotencyStore(client, settings),
            counters=LiveCounters(client, settings),
            events=events,
            probe=RedisProbe(client, settings),
        )
    finally:
        await events.aclose()
        await client.aclose()
