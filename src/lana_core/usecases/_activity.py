"""Live activity counters as use cases see them: the "unknown" default, and the same figures
read from the analytics store. What a change commits is counted after its commit (see
:mod:`._unit`).

They count product events only (what a product's users did): the system events every
domain change writes are Lana's own doings, not activity (see ``EventKind``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from lana_core.domain.analytics import AnalyticsEvent, DayActivity, EventKind, Interval
from lana_core.ports import AnalyticsStore


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
