"""A process-local cache: TTL entries, one computation per missing key, invalidation by namespace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define, frozen

from lana_core.ports import CacheKey

T = TypeVar("T")

Namespace = tuple[UUID, str]


@frozen
class _Entry:
    value: Any
    expires_at: float
    namespace: Namespace


@define
class _Flight:
    """The lock one key's misses queue on, and how many callers hold or wait for it."""

    lock: asyncio.Lock
    users: int = 0


class InMemoryCache:
    """A :class:`~lana_core.ports.Cache` holding values as they are (no copy, no serialisation).

    Concurrent misses of one key compute once: later callers wait on the key's lock and
    read the fresh entry. ``invalidate`` drops every key of a tenant's namespace, whatever
    its schema version; a value computed while its namespace was invalidated is returned
    but not stored, so it cannot outlive the change. At most ``max_entries`` are kept
    (oldest stored first out).
    """

    __slots__ = ("_entries", "_flights", "_generations", "_keys", "_max_entries", "_monotonic")

    def __init__(self, *, max_entries: int = 10_000, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, _Entry] = {}
        self._keys: dict[Namespace, set[str]] = {}
        self._generations: dict[Namespace, int] = {}
        self._flights: dict[str, _Flight] = {}
        self._max_entries = max_entries
        self._monotonic = monotonic

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        """The cached value or, on a miss, ``compute()`` stored for ``ttl_seconds``; its errors propagate."""
        rendered = key.render()
        hit = self._fresh(rendered)
        if hit is not None:
            return cast("T", hit.value)
        flight = self._flights.get(rendered) or self._flights.setdefault(rendered, _Flight(asyncio.Lock()))
        flight.users += 1
        try:
            async with flight.lock:
                return await self._fill(rendered, (key.tenant_id, key.namespace), compute, ttl_seconds)
        finally:
            flight.users -= 1
            if not flight.users:
                del self._flights[rendered]

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        """Drop every key of the tenant in ``namespaces``."""
        for name in namespaces:
            namespace = (tenant_id, name)
            self._generations[namespace] = self._generations.get(namespace, 0) + 1
            for rendered in self._keys.pop(namespace, ()):
                self._entries.pop(rendered, None)

    async def _fill(
        self, rendered: str, namespace: Namespace, compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        hit = self._fresh(rendered)
        if hit is not None:
            return cast("T", hit.value)
        generation = self._generations.get(namespace, 0)
        value = await compute()
        if self._generations.get(namespace, 0) == generation and ttl_seconds > 0:
            self._store(rendered, _Entry(value, self._monotonic() + ttl_seconds, namespace))
        return value

    def _fresh(self, rendered: str) -> _Entry | None:
        entry = self._entries.get(rendered)
        if entry is None:
            return None
        if entry.expires_at > self._monotonic():
            return entry
        self._forget(rendered, entry)
        return None

    def _store(self, rendered: str, entry: _Entry) -> None:
        self._entries.pop(rendered, None)
        while len(self._entries) >= self._max_entries:
            oldest = next(iter(self._entries))
            self._forget(oldest, self._entries[oldest])
        self._entries[rendered] = entry
        self._keys.setdefault(entry.namespace, set()).add(rendered)

    def _forget(self, rendered: str, entry: _Entry) -> None:
        del self._entries[rendered]
        keys = self._keys.get(entry.namespace)
        if keys is not None:
            keys.discard(rendered)
            if not keys:
                del self._keys[entry.namespace]


class NoCache:
    """A :class:`~lana_core.ports.Cache` that keeps nothing: every read computes.

    For values that must be fresh in every process where no cache is shared between them
    (see ``Lana(sessions_cache=...)``).
    """

    __slots__ = ()

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        return await compute()

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        return None
