"""Product analytics of one tenant, aggregated on read; windows are [since, until)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from lana_core.domain.analytics import (
    AnalyticsEvent,
    EventCount,
    EventKind,
    Interval,
    Metrics,
    TimeBucket,
    UserMetrics,
)
from lana_core.memory._staging import Scope


class InMemoryAnalyticsStore:
    """The tenant's analytics events; every aggregate scans only this tenant's events."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add_many(self, events: Sequence[AnalyticsEvent]) -> None:
        for event in events:
            self._scope.check_tenant(event.tenant_id, "analytics event")
        self._scope.writing().analytics.extend(events)

    async def metrics(
        self, since: datetime, until: datetime, top: int, kind: EventKind | None = None
    ) -> Metrics:
        events = self._window(since, until, kind)
        users = {e.user_id for e in events if e.user_id is not None}
        sessions = {e.session_id for e in events if e.session_id is not None}
        return Metrics(
            total_events=len(events),
            unique_users=len(users),
            unique_sessions=len(sessions),
            top_events=_ranked(events, top),
            average_events_per_user=len(events) / len(users) if users else 0.0,
        )

    async def time_series(
        self, since: datetime, until: datetime, interval: Interval, kind: EventKind | None = None
    ) -> Sequence[TimeBucket]:
        """Event counts per bucket start (UTC), oldest first; empty buckets are omitted."""
        buckets = Counter(bucket_start(e.occurred_at, interval) for e in self._window(since, until, kind))
        return [TimeBucket(start, buckets[start]) for start in sorted(buckets)]

    async def top_events(
        self, since: datetime, until: datetime, limit: int, kind: EventKind | None = None
    ) -> Sequence[EventCount]:
        """Most frequent event names, ties broken by name."""
        return _ranked(self._window(since, until, kind), limit)

    async def user_metrics(
        self, user_id: str, since: datetime, until: datetime, recent: int, kind: EventKind | None = None
    ) -> UserMetrics:
        events = [e for e in self._window(since, until, kind) if e.user_id == user_id]
        newest = sorted(events, key=lambda e: (e.occurred_at, e.id), reverse=True)
        return UserMetrics(
            user_id=user_id,
            total_events=len(events),
            unique_sessions=len({e.session_id for e in events if e.session_id is not None}),
            by_event=_ranked(events, len(events)),
            recent=newest[:recent],
        )

    async def count_for_subject(self, subject_id: UUID, since: datetime) -> int:
        committed = self._scope.space().analytics_by_subject.get(subject_id, ())
        candidates = (*committed, *self._scope.staged.analytics)
        return sum(1 for e in candidates if e.subject_id == subject_id and e.occurred_at >= since)

    def _all(self) -> Iterable[AnalyticsEvent]:
        committed = self._scope.space().analytics
        staged = self._scope.staged.analytics
        return (*committed, *staged) if staged else committed

    def _window(self, since: datetime, until: datetime, kind: EventKind | None) -> list[AnalyticsEvent]:
        return [e for e in self._all() if since <= e.occurred_at < until and (kind is None or e.kind is kind)]


def bucket_start(when: datetime, interval: Interval) -> datetime:
    """The start of ``when``'s bucket in UTC: its hour, its day, or its ISO week (Monday 00:00)."""
    utc = when.astimezone(UTC)
    if interval == Interval.HOUR:
        return utc.replace(minute=0, second=0, microsecond=0)
    day = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == Interval.DAY:
        return day
    return day - timedelta(days=day.weekday())


def _ranked(events: Iterable[AnalyticsEvent], limit: int) -> list[EventCount]:
    counts = Counter(e.name for e in events)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [EventCount(name, count) for name, count in ordered[:limit]]
