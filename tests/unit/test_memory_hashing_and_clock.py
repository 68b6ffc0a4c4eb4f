"""ScryptHasher and ManualClock: the two small adapters tests and embedders lean on."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from lana_core.memory import ManualClock, ScryptHasher

HASHER = ScryptHasher(n=16, r=1, p=1)


def test_a_hash_verifies_its_password_and_nothing_else() -> None:
    stored = HASHER.hash("correct horse battery staple")

    assert HASHER.verify(stored, "correct horse battery staple")
    assert not HASHER.verify(stored, "correct horse battery stapler")
    assert not HASHER.verify(stored, "")


def test_a_hash_names_its_scheme_and_cost_and_is_salted() -> None:
    first, second = HASHER.hash("same password"), HASHER.hash("same password")

    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16", "1", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(key)) == 32
    assert first != second


def test_verification_uses_the_cost_stored_in_the_hash() -> None:
    older = ScryptHasher(n=8, r=2, p=1).hash("a long enough password")

    assert HASHER.verify(older, "a long enough password")


@pytest.mark.parametrize(
    "broken",
    [
        "",
        "plain text",
        "bcrypt$16$1$1$AAAA$AAAA",
        "scrypt$15$1$1$AAAA$AAAA",
        "scrypt$16$1$1$!!$AAAA",
        "scrypt$16$1$1",
    ],
)
def test_a_malformed_hash_never_verifies(broken: str) -> None:
    assert not HASHER.verify(broken, "anything")


@pytest.mark.parametrize("cost", [{"n": 0}, {"n": 1}, {"n": 12}, {"r": 0}, {"p": 0}])
def test_a_hasher_refuses_an_invalid_cost(cost: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="scrypt"):
        ScryptHasher(**cost)


def test_a_manual_clock_stays_put_until_advanced() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = ManualClock(start)

    assert clock.now() == clock.now() == start
    assert clock.advance(timedelta(minutes=5)) == start + timedelta(minutes=5)
    assert clock.now() == start + timedelta(minutes=5)


def test_a_manual_clock_never_runs_backwards_nor_holds_naive_times() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))

    with pytest.raises(ValueError, match="back"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="timezone"):
        ManualClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone"):
        clock.set(datetime(2026, 1, 2))
