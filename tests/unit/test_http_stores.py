"""The security adapters: argon2id hashing and the in-memory idempotency and rate stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lana_adapters.security import (
    Argon2Hasher,
    ClaimState,
    InMemoryIdempotencyStore,
    InMemoryRateLimiter,
    StoredResponse,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_hashes_are_argon2id_at_or_above_the_owasp_minimum() -> None:
    encoded = Argon2Hasher().hash("correct horse battery staple")
    assert encoded.startswith("$argon2id$")
    params = dict(part.split("=") for part in encoded.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
    assert int(params["p"]) >= 1


def test_verify_says_no_to_a_wrong_password_or_a_broken_hash_without_raising() -> None:
    hasher = Argon2Hasher()
    encoded = hasher.hash("correct horse battery staple")
    assert hasher.verify(encoded, "correct horse battery staple")
    assert not hasher.verify(encoded, "wrong")
    for broken in ("", "garbage", "$argon2id$v=19$m=19456,t=2,p=1$bad$bad", "scrypt$1$2$3$4$5"):
        assert not hasher.verify(broken, "correct horse battery staple")


def test_a_cost_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="OWASP"):
        Argon2Hasher(memory_kib=8 * 1024)


async def test_an_idempotency_key_goes_from_new_to_in_flight_to_done() -> None:
    clock = FakeMonotonic()
    store = InMemoryIdempotencyStore(monotonic=clock)
    assert (await store.claim("k", "body-1", 60)).state is ClaimState.NEW
    assert (await store.claim("k", "body-1", 60)).state is ClaimState.IN_FLIGHT
    assert (await store.claim("k", "body-2", 60)).state is ClaimState.MISMATCH
    response = StoredResponse(status=201, headers=(("etag", '"1"'),), body=b"{}")
    await store.complete("k", response, 60)
    done = await store.claim("k", "body-1", 60)
    assert done.state is ClaimState.DONE
    assert done.response == response
    clock.now += 61
    assert (await store.claim("k", "body-2", 60)).state is ClaimState.NEW


async def test_a_released_key_can_be_claimed_again() -> None:
    store = InMemoryIdempotencyStore()
    await store.claim("k", "body", 60)
    await store.release("k")
    assert (await store.claim("k", "other body", 60)).state is ClaimState.NEW


async def test_the_idempotency_store_stays_within_its_size() -> None:
    store = InMemoryIdempotencyStore(max_entries=3)
    for index in range(10):
        await store.claim(f"k{index}", "body", 60)
    assert (await store.claim("k9", "body", 60)).state is ClaimState.IN_FLIGHT
    assert (await store.claim("k0", "body", 60)).state is ClaimState.NEW


async def test_a_rate_window_admits_its_limit_then_resets() -> None:
    clock = FakeMonotonic()
    limiter = InMemoryRateLimiter(monotonic=clock)
    decisions = [await limiter.hit("client", 3, 60) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].reset_seconds == 60
    clock.now += 60
    assert (await limiter.hit("client", 3, 60)).allowed
    assert (await limiter.hit("other", 3, 60)).remaining == 2
