"""Redis adapters: the shared cache, live analytics counters, rate limits, token and
idempotency stores, and the fan-out of domain events across server processes.

Names load on first use, so a process without Redis never imports the client library
(nor pays for its memory); its settings stay importable on their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lana_adapters._lazy import lazy_attributes

if TYPE_CHECKING:
    from lana_adapters.redis.bundle import RedisAdapters, RedisProbe, redis_adapters
    from lana_adapters.redis.cache import RedisCache
    from lana_adapters.redis.codec import UndecodableValue, ValueCodec
    from lana_adapters.redis.connection import Circuit, Guard, RedisDown, connect
    from lana_adapters.redis.counters import LiveCounters
    from lana_adapters.redis.idempotency import RedisIdempotencyStore
    from lana_adapters.redis.pubsub import RedisEventStream
    from lana_adapters.redis.rate_limit import RedisRateLimiter
    from lana_adapters.redis.settings import RedisSettings

__all__ = [
    "Circuit",
    "Guard",
    "LiveCounters",
    "RedisAdapters",
    "RedisCache",
    "RedisDown",
    "RedisEventStream",
    "RedisIdempotencyStore",
    "RedisProbe",
    "RedisRateLimiter",
    "RedisSettings",
    "UndecodableValue",
    "ValueCodec",
    "connect",
    "redis_adapters",
]

_HOMES = {
    "Circuit": "lana_adapters.redis.connection",
    "Guard": "lana_adapters.redis.connection",
    "LiveCounters": "lana_adapters.redis.counters",
    "RedisAdapters": "lana_adapters.redis.bundle",
    "RedisCache": "lana_adapters.redis.cache",
    "RedisDown": "lana_adapters.redis.connection",
    "RedisEventStream": "lana_adapters.redis.pubsub",
    "RedisIdempotencyStore": "lana_adapters.redis.idempotency",
    "RedisProbe": "lana_adapters.redis.bundle",
    "RedisRateLimiter": "lana_adapters.redis.rate_limit",
    "RedisSettings": "lana_adapters.redis.settings",
    "UndecodableValue": "lana_adapters.redis.codec",
    "ValueCodec": "lana_adapters.redis.codec",
    "connect": "lana_adapters.redis.connection",
    "redis_adapters": "lana_adapters.redis.bundle",
}


__getattr__ = lazy_attributes(__name__, _HOMES)
