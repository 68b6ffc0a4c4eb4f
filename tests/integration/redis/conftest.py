"""Fixtures of the Redis adapter tests: a prefix of keys per test on the shared server
(``LANA_TEST_REDIS_URL``), deleted afterwards, and private servers tests may stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lana_adapters.redis import RedisSettings
from tests.integration.redis.servers import (
    PrivateRedis,
    delete_prefixed,
    redis_unavailable,
    settings_for,
    unique_prefix,
)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import os

    reason = redis_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return os.environ["LANA_TEST_REDIS_URL"]


@pytest.fixture
def redis_settings(redis_url: str) -> Iterator[RedisSettings]:
    """Settings on the shared server, under a key prefix of this test's own."""
    prefix = unique_prefix()
    yield settings_for(redis_url, prefix)
    delete_prefixed(redis_url, prefix)


@pytest.fixture
def private_redis(redis_url: str) -> Iterator[PrivateRedis]:
    """A running redis-server only this test uses (it may stop it); needs the Redis tests enabled."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()
