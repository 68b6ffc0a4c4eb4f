"""Today's activity: every product event a unit of work commits reaches the counters (and
nothing rolled back does, nor the system events of domain changes), and the dashboard shows
the same figures whether the counters or the store answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.customers import CustomerValue
from lana_core.domain.tenancy import Actor
from lana_core.errors import ValidationError
from lana_core.memory import (
    InMemoryActivityCounters,
    InMemoryCache,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
    ManualClock,
)
from lana_core.ports import ActivityCounters
from lana_core.system import TimeOrderedIds
from lana_core.usecases._activity import NoActivityCounters
from lana_core.usecases._base import Kernel
from lana_core.usecases.analytics import (
    IngestEvent,
    IngestEventHandler,
    IngestEventsBatch,
    IngestEventsBatchHandler,
)
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.dashboard import GetDashboardHandler
from tests.support import make_tenant

NOW = datetime(2026, 1, 10, 14, 20, tzinfo=UTC)


def kernel_on(store: InMemoryStore, counters: ActivityCounters, clock: ManualClock | None = None) -> Kernel:
    return Kernel(
        uow=InMemoryUnitOfWorkFactory(store),
        clock=clock or ManualClock(NOW),
        ids=TimeOrderedIds(),
        cache=InMemoryCache(),
        counters=counters,
    )


def stray(actor: Actor) -> AnalyticsEvent:
    return AnalyticsEvent.create(
        id=uuid4(),
        tenant_id=actor.tenant_id,
        name="stray",
        user_id=None,
        session_id=None,
        subject_type=None,
        subject_id=None,
        properties={},
        occurred_at=None,
        now=NOW,
    )


async def ingest(kernel: Kernel, actor: Actor, *events: IngestEvent) -> None:
    await IngestEventsBatchHandler(kernel)(actor, IngestEventsBatch(events=events))


async def test_ingested_events_are_counted_and_the_system_events_of_domain_changes_are_not() -> None:
    counters = InMemoryActivityCounters()
    kernel = kernel_on(InMemoryStore(), counters)
    admin = await make_tenant(kernel)
    await ingest(kernel, admin, IngestEvent(name="viewed"), IngestEvent(name="viewed"))
    await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech", value=CustomerValue.HIGH))
    activity = await counters.activity(admin.tenant_id, NOW.date())
    assert activity is not None
    assert activity.per_name == {"viewed": 2}
    assert (activity.per_hour, activity.total) == ({14: 2}, 2)


async def test_events_that_were_not_committed_are_not_counted() -> None:
    counters = InMemoryActivityCounters()
    kernel = kernel_on(InMemoryStore(), counters)
    admin = await make_tenant(kernel)
    await ingest(kernel, admin, IngestEvent(name="counted"))
    bad_batch = (IngestEvent(name="viewed"), IngestEvent(name=""))
    with pytest.raises(ValidationError):
        await ingest(kernel, admin, *bad_batch)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.analytics.add_many([stray(admin)])
        await uow.rollback()
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.analytics.add_many([stray(admin)])  # left without commit
    activity = await counters.activity(admin.tenant_id, NOW.date())
    assert activity is not None
    assert activity.per_name == {"counted": 1}


async def test_an_event_is_counted_on_the_day_and_hour_it_occurred() -> None:
    counters = InMemoryActivityCounters()
    kernel = kernel_on(InMemoryStore(), counters)
    admin = await make_tenant(kernel)
    yesterday = NOW - timedelta(days=1, hours=3)
    await IngestEventHandler(kernel)(admin, IngestEvent(name="late", occurred_at=yesterday))
    earlier = await counters.activity(admin.tenant_id, yesterday.date())
    assert earlier is not None
    assert (earlier.per_hour, dict(earlier.per_name)) == ({11: 1}, {"late": 1})


async def test_the_dashboard_shows_the_same_today_from_counters_and_from_the_store() -> None:
    store = InMemoryStore()
    counted_kernel = kernel_on(store, InMemoryActivityCounters())
    admin = await make_tenant(counted_kernel)
    two_hours_ago = NOW - timedelta(hours=2)
    await ingest(
        counted_kernel,
        admin,
        *[IngestEvent(name=f"event-{n % 7}", occurred_at=two_hours_ago) for n in range(30)],
        IngestEvent(name="event-6"),
    )
    counted = await GetDashboardHandler(counted_kernel)(admin)
    from_store = await GetDashboardHandler(kernel_on(store, NoActivityCounters()))(admin)
    assert counted.events_today == from_store.events_today == 31
    assert counted.events_per_hour_today == from_store.events_per_hour_today
    assert [b.count for b in counted.events_per_hour_today] == [0] * 12 + [30, 0, 1]
    assert counted.top_events_today == from_store.top_events_today
    assert [(e.name, e.count) for e in counted.top_events_today] == [
        ("event-0", 5),
        ("event-1", 5),
        ("event-6", 5),
        ("event-2", 4),
        ("event-3", 4),
    ]


async def test_today_from_the_store_reflects_an_ingest_at_once() -> None:
    clock = ManualClock(NOW)
    kernel = kernel_on(InMemoryStore(), NoActivityCounters(), clock)
    admin = await make_tenant(kernel)
    dashboard = GetDashboardHandler(kernel)
    before = await dashboard(admin)
    clock.advance(timedelta(seconds=5))
    await ingest(kernel, admin, IngestEvent(name="viewed"))
    after = await dashboard(admin)
    assert after.generated_at == before.generated_at
    assert (before.events_today, after.events_today) == (0, 1)


async def test_a_unit_of_work_never_counts_a_batch_twice() -> None:
    counters = InMemoryActivityCounters()
    kernel = kernel_on(InMemoryStore(), counters)
    again = Kernel(uow=kernel.uow, clock=kernel.clock, ids=kernel.ids, cache=kernel.cache, counters=counters)
    admin = await make_tenant(again)
    await ingest(again, admin, IngestEvent(name="viewed"), IngestEvent(name="viewed"))
    activity = await counters.activity(admin.tenant_id, NOW.date())
    assert activity is not None
    assert activity.total == 2
