"""Live activity counters as use cases see them: the "unknown" default, the unit of work that
counts what it committed, and the same figures read from the analytics store.

They count product events only (what a product's users did): the system events every
domain change writes are Lana's own doings, not activity (see ``EventKind``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import TracebackType
from typing import Any
from uuid import UUID

from lana_core.domain.analytics import (
    AnalyticsEvent,
    DayActivity,
    EventCount,
    EventKind,
    Interval,
    Metrics,
    TimeBucket,
    UserMetrics,
)
from lana_core.ports import (
    ActivityCounters,
    AnalyticsStore,
    AuditLog,
    CustomerRepository,
    InsightRepository,
    InteractionRepository,
    Outbox,
    ProjectRepository,
    TaskRepository,
    TenantRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
)


class NoActivityCounters:
    """Counters that know nothing: every figure is read from the analytics store."""

    __slots__ = ()

    async def record(self, events: Sequence[AnalyticsEvent]) -> None:
        """Nothing to count."""

    async def activity(self, tenant_id: UUID, day: date) -> DayActivity | None:
        """Always unknown."""
        return None


async def day_activity_in(store: AnalyticsStore, day: date, names: int) -> DayActivity:
    """``day``'s product events counted by the store, with at most the ``names`` most frequent names."""
    since = datetime.combine(day, time(), tzinfo=UTC)
    until = since + timedelta(days=1)
    buckets = await store.time_series(since, until, Interval.HOUR, EventKind.PRODUCT)
    top = await store.top_events(since, until, names, EventKind.PRODUCT)
    return DayActivity(
        day=day,
        per_hour={bucket.start.astimezone(UTC).hour: bucket.count for bucket in buckets if bucket.count},
        per_name={event.name: event.count for event in top},
    )


class CountingUnitOfWorkFactory:
    """Opens units of work that hand the product events they committed to the counters.

    Every analytics row goes through a unit of work, so counting there keeps the counters
    equal to what the store counts of product events. The count happens once the unit is
    left, after its connection is released; it never fails the unit.
    """

    __slots__ = ("counters", "inner")

    def __init__(self, inner: UnitOfWorkFactory, counters: ActivityCounters) -> None:
        self.inner = inner
        self.counters = counters

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        return _CountingUnitOfWork(self.inner(tenant_id), self.counters)


class _RecordingAnalytics:
    """The unit's analytics store, remembering what was added."""

    __slots__ = ("_added", "_store")

    def __init__(self, store: AnalyticsStore, added: list[AnalyticsEvent]) -> None:
        self._store = store
        self._added = added

    async def add_many(self, events: Sequence[AnalyticsEvent]) -> None:
        await self._store.add_many(events)
        self._added.extend(events)

    async def metrics(
        self, since: datetime, until: datetime, top: int, kind: EventKind | None = None
    ) -> Metrics:
        return await self._store.metrics(since, until, top, kind)

    async def time_series(
        self, since: datetime, until: datetime, interval: Interval, kind: EventKind | None = None
    ) -> Sequence[TimeBucket]:
        return await self._store.time_series(since, until, interval, kind)

    async def top_events(
        self, since: datetime, until: datetime, limit: int, kind: EventKind | None = None
    ) -> Sequence[EventCount]:
        return await self._store.top_events(since, until, limit, kind)

    async def user_metrics(
        self, user_id: str, since: datetime, until: datetime, recent: int, kind: EventKind | None = None
    ) -> UserMetrics:
        return await self._store.user_metrics(user_id, since, until, recent, kind)

    async def count_for_subject(self, subject_id: UUID, since: datetime) -> int:
        return await self._store.count_for_subject(subject_id, since)


class _CountingUnitOfWork:
    """Delegates to the wrapped unit; only ``analytics`` and ``commit`` are its own."""

    __slots__ = ("_added", "_committed", "_counters", "_inner", "_unit", "analytics")

    analytics: AnalyticsStore
    # Served by __getattr__ from the unit entered; declared for the type checker.
    tenants: TenantRepository
    users: UserRepository
    customers: CustomerRepository
    projects: ProjectRepository
    tasks: TaskRepository
    interactions: InteractionRepository
    insights: InsightRepository
    audit: AuditLog
    outbox: Outbox

    def __init__(self, inner: UnitOfWork, counters: ActivityCounters) -> None:
        self._inner = inner
        self._unit = inner
        self._counters = counters
        self._added: list[AnalyticsEvent] = []
        self._committed: list[AnalyticsEvent] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._unit, name)

    async def __aenter__(self) -> UnitOfWork:
        self._unit = await self._inner.__aenter__()
        self.analytics = _RecordingAnalytics(self._unit.analytics, self._added)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)
        if self._committed:
            await self._counters.record(self._committed)

    async def commit(self) -> None:
        await self._unit.commit()
        self._committed.extend(event for event in self._added if event.kind is EventKind.PRODUCT)
        self._added.clear()

    async def rollback(self) -> None:
        await self._unit.rollback()
        self._added.clear()
