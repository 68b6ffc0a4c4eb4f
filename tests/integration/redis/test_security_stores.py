"""The idempotency store behaves alike in memory and in Redis (one contract, both adapters),
and the Redis one refuses to guess when Redis fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from attrs import evolve

from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.idempotency import RedisIdempotencyStore
from lana_adapters.security import (
    ClaimState,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    StoredResponse,
)
from lana_core.errors import Unavailable
from tests.integration.redis.servers import free_port, settings_for, unique_prefix

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]
NOW = datetime.now(UTC).replace(microsecond=0)
TENANT, USER = uuid4(), uuid4()


def _patient(settings: RedisSettings) -> RedisSettings:
    """These tests are about what the stores answer, not about timeouts: a burst of 100 calls
    opens the pool's connections all at once, and on a busy machine a stalled event loop can
    outlast the production timeouts (0.2 s) before a connection is counted as made."""
    return evolve(settings, timeout_seconds=2.0, connect_timeout_seconds=2.0)


@pytest.fixture(params=BACKENDS)
async def idempotency(request: pytest.FixtureRequest) -> AsyncIterator[IdempotencyStore]:
    if request.param == "memory":
        yield InMemoryIdempotencyStore()
        return
    settings = _patient(request.getfixturevalue("redis_settings"))
    client = connect(settings)
    yield RedisIdempotencyStore(client, settings)
    await client.aclose()


RESPONSE = StoredResponse(
    status=201, headers=(("content-type", "application/json"), ("etag", '"1"')), body=b"\xff{}"
)


async def test_a_key_is_new_then_in_flight_then_replays_its_response(idempotency: IdempotencyStore) -> None:
    assert (await idempotency.claim("k", "fp", 60)).state is ClaimState.NEW
    assert (await idempotency.claim("k", "fp", 60)).state is ClaimState.IN_FLIGHT
    await idempotency.complete("k", RESPONSE, 60)
    done = await idempotency.claim("k", "fp", 60)
    assert done.state is ClaimState.DONE
    assert done.response == RESPONSE


async def test_a_key_reused_for_another_request_is_a_mismatch(idempotency: IdempotencyStore) -> None:
    await idempotency.claim("k", "fp", 60)
    assert (await idempotency.claim("k", "other", 60)).state is ClaimState.MISMATCH
    await idempotency.complete("k", RESPONSE, 60)
    assert (await idempotency.claim("k", "other", 60)).state is ClaimState.MISMATCH


async def test_a_released_or_expired_key_runs_again(idempotency: IdempotencyStore) -> None:
    await idempotency.claim("released", "fp", 60)
    await idempotency.release("released")
    assert (await idempotency.claim("released", "fp", 60)).state is ClaimState.NEW
    await idempotency.claim("short", "fp", 0.2)
    await asyncio.sleep(0.3)
    assert (await idempotency.claim("short", "fp", 60)).state is ClaimState.NEW


async def test_completing_an_unclaimed_key_stores_nothing(idempotency: IdempotencyStore) -> None:
    await idempotency.complete("never-claimed", RESPONSE, 60)
    assert (await idempotency.claim("never-claimed", "fp", 60)).state is ClaimState.NEW


async def test_of_100_concurrent_duplicates_exactly_one_runs(idempotency: IdempotencyStore) -> None:
    claims = await asyncio.gather(*(idempotency.claim("k", "fp", 60) for _ in range(100)))
    assert [c.state for c in claims].count(ClaimState.NEW) == 1


@pytest.mark.redis
async def test_the_store_refuses_rather_than_guesses_when_redis_is_down(redis_url: str) -> None:
    settings = settings_for(f"redis://127.0.0.1:{free_port()}/0", unique_prefix())
    client = connect(settings)
    try:
        with pytest.raises(Unavailable):
            await RedisIdempotencyStore(client, settings).claim("k", "fp", 60)
    finally:
        await client.aclose()
