"""The session and idempotency stores behave alike in memory and in Redis (one contract,
both adapters), and the Redis ones refuse to guess when Redis fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from attrs import evolve, frozen

from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.idempotency import RedisIdempotencyStore
from lana_adapters.redis.tokens import RedisAccessTokenRevocations, RedisRefreshTokenStore
from lana_adapters.security import (
    AccessTokenRevocations,
    ClaimState,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    InMemoryTokenStore,
    RefreshToken,
    RefreshTokenStore,
    Rotation,
    StoredResponse,
)
from lana_core.errors import Unavailable
from tests.integration.redis.servers import free_port, settings_for, unique_prefix

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]
NOW = datetime.now(UTC).replace(microsecond=0)
TENANT, USER = uuid4(), uuid4()


@frozen
class Sessions:
    refresh: RefreshTokenStore
    revocations: AccessTokenRevocations


def _patient(settings: RedisSettings) -> RedisSettings:
    """These tests are about what the stores answer, not about timeouts: a burst of 100 calls
    opens the pool's connections all at once, and on a busy machine a stalled event loop can
    outlast the production timeouts (0.2 s) before a connection is counted as made."""
    return evolve(settings, timeout_seconds=2.0, connect_timeout_seconds=2.0)


@pytest.fixture(params=BACKENDS)
async def sessions(request: pytest.FixtureRequest) -> AsyncIterator[Sessions]:
    if request.param == "memory":
        store = InMemoryTokenStore()
        yield Sessions(store, store)
        return
    settings = _patient(request.getfixturevalue("redis_settings"))
    client = connect(settings)
    yield Sessions(RedisRefreshTokenStore(client, settings), RedisAccessTokenRevocations(client, settings))
    await client.aclose()


@pytest.fixture(params=BACKENDS)
async def idempotency(request: pytest.FixtureRequest) -> AsyncIterator[IdempotencyStore]:
    if request.param == "memory":
        yield InMemoryIdempotencyStore()
        return
    settings = _patient(request.getfixturevalue("redis_settings"))
    client = connect(settings)
    yield RedisIdempotencyStore(client, settings)
    await client.aclose()


def token(family: str, *, hours: float = 1) -> RefreshToken:
    return RefreshToken(
        jti=uuid4().hex,
        family_id=family,
        tenant_id=TENANT,
        user_id=USER,
        expires_at=NOW + timedelta(hours=hours),
    )


async def signed_in(sessions: Sessions) -> RefreshToken:
    first = token(uuid4().hex)
    await sessions.refresh.add(first)
    return first


async def test_each_refresh_retires_the_token_it_presents(sessions: Sessions) -> None:
    first = await signed_in(sessions)
    second, third = token(first.family_id), token(first.family_id)
    assert await sessions.refresh.rotate(first.jti, second, NOW) is Rotation.ROTATED
    assert await sessions.refresh.rotate(second.jti, third, NOW) is Rotation.ROTATED


async def test_a_retired_token_presented_again_revokes_its_family(sessions: Sessions) -> None:
    first = await signed_in(sessions)
    second = token(first.family_id)
    await sessions.refresh.rotate(first.jti, second, NOW)
    assert await sessions.refresh.rotate(first.jti, token(first.family_id), NOW) is Rotation.REUSED
    assert await sessions.refresh.rotate(second.jti, token(first.family_id), NOW) is Rotation.UNKNOWN


async def test_unknown_and_foreign_family_tokens_are_refused(sessions: Sessions) -> None:
    first = await signed_in(sessions)
    assert await sessions.refresh.rotate("never-issued", token(first.family_id), NOW) is Rotation.UNKNOWN
    assert await sessions.refresh.rotate(first.jti, token("other-family"), NOW) is Rotation.UNKNOWN
    assert await sessions.refresh.rotate(first.jti, token(first.family_id), NOW) is Rotation.ROTATED


async def test_an_expired_token_is_refused(sessions: Sessions) -> None:
    first = await signed_in(sessions)
    later = first.expires_at + timedelta(seconds=1)
    assert (
        await sessions.refresh.rotate(first.jti, token(first.family_id, hours=2), later) is Rotation.UNKNOWN
    )


async def test_sign_out_revokes_the_family_and_ignores_unknown_tokens(sessions: Sessions) -> None:
    first = await signed_in(sessions)
    second = token(first.family_id)
    await sessions.refresh.rotate(first.jti, second, NOW)
    await sessions.refresh.revoke_family_of("never-issued")
    await sessions.refresh.revoke_family_of(first.jti)
    assert await sessions.refresh.rotate(second.jti, token(first.family_id), NOW) is Rotation.UNKNOWN


async def test_of_concurrent_refreshes_of_one_token_exactly_one_rotates(sessions: Sessions) -> None:
    first = await signed_in(sessions)
    outcomes = await asyncio.gather(
        *(sessions.refresh.rotate(first.jti, token(first.family_id), NOW) for _ in range(20))
    )
    # The first replay revokes the family; later ones find it revoked.
    assert outcomes.count(Rotation.ROTATED) == 1
    assert outcomes.count(Rotation.REUSED) == 1
    assert outcomes.count(Rotation.UNKNOWN) == 18


async def test_a_revoked_access_token_stays_refused_until_it_expires(sessions: Sessions) -> None:
    jti, expires = uuid4().hex, NOW + timedelta(minutes=15)
    assert await sessions.revocations.is_revoked(jti, NOW) is False
    await sessions.revocations.revoke(jti, expires)
    assert await sessions.revocations.is_revoked(jti, NOW) is True
    assert await sessions.revocations.is_revoked(jti, expires) is False
    assert await sessions.revocations.is_revoked(uuid4().hex, NOW) is False


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
async def test_stores_refuse_rather_than_guess_when_redis_is_down(redis_url: str) -> None:
    settings = settings_for(f"redis://127.0.0.1:{free_port()}/0", unique_prefix())
    client = connect(settings)
    try:
        with pytest.raises(Unavailable):
            await RedisAccessTokenRevocations(client, settings).is_revoked("jti", NOW)
        with pytest.raises(Unavailable):
            await RedisRefreshTokenStore(client, settings).rotate("jti", token("f"), NOW)
        with pytest.raises(Unavailable):
            await RedisIdempotencyStore(client, settings).claim("k", "fp", 60)
    finally:
        await client.aclose()
