"""After a change commits, and only then, the cached views it made stale are dropped and its
product analytics events counted (never the system events of domain changes): once per
commit, whatever the use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from uuid import UUID

import pytest

from lana_core.domain.customers import CustomerStatus
from lana_core.errors import NotFound, StaleVersion, ValidationError
from lana_core.memory import (
    InMemoryActivityCounters,
    InMemoryCache,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
    ManualClock,
)
from lana_core.ports import CacheKey
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.analytics import IngestEvent, IngestEventHandler
from lana_core.usecases.customers import (
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
)
from lana_core.usecases.tasks import CreateTask, CreateTaskHandler
from tests.support import START, make_tenant

T = TypeVar("T")


class _RecordingCache:
    """A cache that computes every read and remembers each invalidation."""

    def __init__(self) -> None:
        self.invalidated: list[tuple[UUID, tuple[str, ...]]] = []
        self._inner = InMemoryCache()

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        return await self._inner.get_or_compute(key, kind, compute, ttl_seconds)

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        self.invalidated.append((tenant_id, tuple(namespaces)))


def _kernel(cache: _RecordingCache, counters: InMemoryActivityCounters) -> Kernel:
    return Kernel(
        uow=InMemoryUnitOfWorkFactory(InMemoryStore()),
        clock=ManualClock(START),
        ids=TimeOrderedIds(),
        cache=cache,
        counters=counters,
    )


async def _total(counters: InMemoryActivityCounters, tenant_id: UUID) -> int:
    activity = await counters.activity(tenant_id, START.date())
    return 0 if activity is None else activity.total


async def test_a_committed_change_drops_the_views_its_events_make_stale_once() -> None:
    cache, counters = _RecordingCache(), InMemoryActivityCounters()
    kernel = _kernel(cache, counters)
    admin = await make_tenant(kernel)
    assert cache.invalidated == []  # a tenant and its admin are in no cached view
    await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    assert cache.invalidated == [(admin.tenant_id, ("dashboard", "analytics", "duplicates"))]
    assert await _total(counters, admin.tenant_id) == 0  # system events are not activity


async def test_ingested_events_make_the_analytics_views_stale() -> None:
    cache, counters = _RecordingCache(), InMemoryActivityCounters()
    kernel = _kernel(cache, counters)
    admin = await make_tenant(kernel)
    await IngestEventHandler(kernel)(admin, IngestEvent(name="viewed"))
    assert cache.invalidated == [(admin.tenant_id, ("analytics",))]
    assert await _total(counters, admin.tenant_id) == 1


async def test_a_change_that_fails_drops_nothing_and_counts_nothing() -> None:
    cache, counters = _RecordingCache(), InMemoryActivityCounters()
    kernel = _kernel(cache, counters)
    admin = await make_tenant(kernel)
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    cache.invalidated.clear()
    counted = await _total(counters, admin.tenant_id)
    change_status = ChangeCustomerStatusHandler(kernel)
    stale = ChangeCustomerStatus(customer_id=customer.id, status=CustomerStatus.ACTIVE, expected_version=9)
    with pytest.raises(StaleVersion):
        await change_status(admin, stale)
    with pytest.raises(ValidationError):
        await change_status(
            admin, ChangeCustomerStatus(customer_id=customer.id, status=CustomerStatus.PROSPECT)
        )
    with pytest.raises(NotFound):
        await CreateTaskHandler(kernel)(admin, CreateTask(project_id=customer.id, title="Call"))
    assert cache.invalidated == []
    assert await _total(counters, admin.tenant_id) == counted
