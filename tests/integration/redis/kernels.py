"""Kernels for the Redis tests: in-memory stores with a Redis cache, and a unit-of-work
factory that counts the dashboard's aggregate queries."""

from __future__ import annotations

from types import TracebackType
from typing import Any
from uuid import UUID

from lana_adapters.redis import RedisCache, RedisSettings, connect
from lana_core.domain.analytics import CustomerCounts
from lana_core.memory import InMemoryStore, InMemoryUnitOfWorkFactory, ManualClock
from lana_core.ports import Cache, UnitOfWork, UnitOfWorkFactory
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from tests.support import START


class _CountingCustomers:
    def __init__(self, inner: Any, counter: CountingUnitOfWorkFactory) -> None:
        self._inner = inner
        self._counter = counter

    async def counts(self) -> CustomerCounts:
        self._counter.aggregates += 1
        counts: CustomerCounts = await self._inner.counts()
        return counts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CountingUnitOfWork:
    def __init__(self, inner: UnitOfWork, counter: CountingUnitOfWorkFactory) -> None:
        self._inner = inner
        self._counter = counter

    async def __aenter__(self) -> _CountingUnitOfWork:
        await self._inner.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._inner.__aexit__(kind, error, tb)

    @property
    def customers(self) -> _CountingCustomers:
        return _CountingCustomers(self._inner.customers, self._counter)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingUnitOfWorkFactory:
    """Units of work on ``inner`` that count ``customers.counts()``: one per dashboard aggregate."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self._inner = inner
        self.aggregates = 0

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        return _CountingUnitOfWork(self._inner(tenant_id), self)  # type: ignore[return-value]


def kernel_with(cache: Cache, uow: UnitOfWorkFactory, clock: ManualClock | None = None) -> Kernel:
    return Kernel(uow=uow, clock=clock or ManualClock(START), ids=TimeOrderedIds(), cache=cache)


def redis_cache(settings: RedisSettings) -> RedisCache:
    return RedisCache(connect(settings), settings)


def memory_uow(store: InMemoryStore | None = None) -> InMemoryUnitOfWorkFactory:
    return InMemoryUnitOfWorkFactory(store if store is not None else InMemoryStore())
