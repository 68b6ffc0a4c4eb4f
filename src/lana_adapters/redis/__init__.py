"""Redis adapters: the shared cache, live analytics counters, rate limits, token and
idempotency stores, and the fan-out of domain events across server processes."""

from lana_adapters.redis.bundle import RedisAdapters, RedisProbe, redis_adapters
from lana_adapters.redis.cache import RedisCache
from lana_adapters.redis.codec import UndecodableValue, ValueCodec
from lana_adapters.redis.connection import Circuit, Guard, RedisDown, connect
from lana_adapters.redis.counters import LiveCounters
from lana_adapters.redis.idempotency import RedisIdempotencyStore
from lana_adapters.redis.pubsub import RedisEventStream
from lana_adapters.redis.rate_limit import RedisRateLimiter
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.redis.stream import (
    EventStream,
    InMemoryEventStream,
    StreamPublisher,
    Subscription,
    TeePublisher,
)
from lana_adapters.redis.tokens import RedisAccessTokenRevocations, RedisRefreshTokenStore

__all__ = [
    "Circuit",
    "EventStream",
    "Guard",
    "InMemoryEventStream",
    "LiveCounters",
    "RedisAccessTokenRevocations",
    "RedisAdapters",
    "RedisCache",
    "RedisDown",
    "RedisEventStream",
    "RedisIdempotencyStore",
    "RedisProbe",
    "RedisRateLimiter",
    "RedisRefreshTokenStore",
    "RedisSettings",
    "StreamPublisher",
    "Subscription",
    "TeePublisher",
    "UndecodableValue",
    "ValueCodec",
    "connect",
    "redis_adapters",
]
