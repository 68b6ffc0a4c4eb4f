"""Idempotency keys: a retried create returns the first answer instead of creating twice."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Protocol

from attrs import define, frozen


@frozen(kw_only=True)
class StoredResponse:
    """What the first request answered, replayed byte for byte to its retries."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ClaimState(enum.StrEnum):
    NEW = "new"
    IN_FLIGHT = "in_flight"
    MISMATCH = "mismatch"
    DONE = "done"


@frozen(kw_only=True)
class Claim:
    """The outcome of :meth:`IdempotencyStore.claim`; ``response`` is set when DONE."""

    state: ClaimState
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    """Remembers, per scoped key, the request's fingerprint and its first response."""

    async def claim(self, key: str, fingerprint: str, ttl_seconds: float) -> Claim:
        """Atomically claim ``key`` for a request with ``fingerprint``.

        NEW: the caller runs the request, then calls :meth:`complete` or :meth:`release`.
        IN_FLIGHT: another request with this key is still running. MISMATCH: the key was
        used for another request. DONE: the stored response to replay.
        """
        ...

    async def complete(self, key: str, response: StoredResponse, ttl_seconds: float) -> None:
        """Store the response of the claimed request for ``ttl_seconds``."""
        ...

    async def release(self, key: str) -> None:
        """Forget a claim whose request created nothing, so a retry runs again."""
        ...


@define
class _Entry:
    fingerprint: str
    expires_at: float
    response: StoredResponse | None = None


class InMemoryIdempotencyStore:
    """Keys in one process's memory, each kept until its TTL passes (at most ``max_entries``)."""

    __slots__ = ("_entries", "_max_entries", "_monotonic")

    def __init__(
        self, *, max_entries: int = 100_000, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: dict[str, _Entry] = {}
        self._max_entries = max_entries
        self._monotonic = monotonic

    async def claim(self, key: str, fingerprint: str, ttl_seconds: float) -> Claim:
        now = self._monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= now:
            del self._entries[key]
            entry = None
        if entry is None:
            self._make_room(now)
            self._entries[key] = _Entry(fingerprint=fingerprint, expires_at=now + ttl_seconds)
            return Claim(state=ClaimState.NEW)
        if entry.fingerprint != fingerprint:
            return Claim(state=ClaimState.MISMATCH)
        if entry.response is None:
            return Claim(state=ClaimState.IN_FLIGHT)
        return Claim(state=ClaimState.DONE, response=entry.response)

    async def complete(self, key: str, response: StoredResponse, ttl_seconds: float) -> None:
        entry = self._entries.get(key)
        if entry is not None:
            entry.response = response
            entry.expires_at = self._monotonic() + ttl_seconds

    async def release(self, key: str) -> None:
        self._entries.pop(key, None)

    def _make_room(self, now: float) -> None:
        if len(self._entries) < self._max_entries:
            return
        for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[stale]
        while len(self._entries) >= self._max_entries:
            # Dicts keep insertion order: the oldest claim goes first.
            del self._entries[next(iter(self._entries))]
