"""Analytics bodies: events in, metrics, series, top events, per-user figures and the dashboard out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from lana_core.domain.analytics import (
    MAX_BATCH,
    AnalyticsEvent,
    Dashboard,
    EventCount,
    EventKind,
    Interval,
    Metrics,
    TimeBucket,
    Timeframe,
    UserMetrics,
)
from lana_http.schemas.base import Body, JsonScalar, Out
from lana_http.schemas.fields import Attributes, EventName, Label, SubjectType


class EventIn(Body):
    """One product event; ``occurred_at`` (with a time zone) defaults to now."""

    name: EventName
    user_id: Label | None = None
    session_id: Label | None = None
    subject_type: SubjectType | None = None
    subject_id: UUID | None = None
    properties: Attributes = msgspec.field(default_factory=dict)
    occurred_at: datetime | None = None


class EventBatchIn(Body):
    events: Annotated[list[EventIn], Meta(min_length=1, max_length=MAX_BATCH)]


class EventOut(Out):
    id: UUID
    name: str
    user_id: str | None
    session_id: str | None
    subject_type: str | None
    subject_id: UUID | None
    properties: dict[str, JsonScalar]
    occurred_at: datetime
    received_at: datetime

    @classmethod
    def of(cls, event: AnalyticsEvent) -> EventOut:
        return cls(
            id=event.id,
            name=event.name,
            user_id=event.user_id,
            session_id=event.session_id,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            properties=dict(event.properties),
            occurred_at=event.occurred_at,
            received_at=event.received_at,
        )


class IngestResult(Out):
    accepted: int
    ids: list[UUID]


class EventCountOut(Out):
    name: str
    count: int
    kind: Annotated[
        EventKind, Meta(description="`system` for a domain event type (what Lana did), else `product`.")
    ]

    @classmethod
    def of(cls, item: EventCount) -> EventCountOut:
        return cls(name=item.name, count=item.count, kind=item.kind)


class MetricsOut(Out):
    timeframe: Timeframe
    total_events: int
    unique_users: int
    unique_sessions: int
    top_events: list[EventCountOut]
    average_events_per_user: float

    @classmethod
    def of(cls, timeframe: Timeframe, metrics: Metrics) -> MetricsOut:
        return cls(
            timeframe=timeframe,
            total_events=metrics.total_events,
            unique_users=metrics.unique_users,
            unique_sessions=metrics.unique_sessions,
            top_events=[EventCountOut.of(e) for e in metrics.top_events],
            average_events_per_user=metrics.average_events_per_user,
        )


class BucketOut(Out):
    start: datetime
    count: int


class TimeSeriesOut(Out):
    timeframe: Timeframe
    interval: Interval
    buckets: list[BucketOut]

    @classmethod
    def of(cls, timeframe: Timeframe, interval: Interval, buckets: list[TimeBucket]) -> TimeSeriesOut:
        items = [BucketOut(start=b.start, count=b.count) for b in buckets]
        return cls(timeframe=timeframe, interval=interval, buckets=items)


class TopEventsOut(Out):
    timeframe: Timeframe
    items: list[EventCountOut]


class UserMetricsOut(Out):
    user_id: str
    timeframe: Timeframe
    total_events: int
    unique_sessions: int
    by_event: list[EventCountOut]
    recent: list[EventOut]

    @classmethod
    def of(cls, timeframe: Timeframe, metrics: UserMetrics) -> UserMetricsOut:
        return cls(
            user_id=metrics.user_id,
            timeframe=timeframe,
            total_events=metrics.total_events,
            unique_sessions=metrics.unique_sessions,
            by_event=[EventCountOut.of(e) for e in metrics.by_event],
            recent=[EventOut.of(e) for e in metrics.recent],
        )


class DayCountOut(Out):
    day: date
    count: int


class DashboardOut(Out):
    total_customers: int
    customers_by_status: dict[str, int]
    customers_by_value: dict[str, int]
    high_value_customers: int
    total_projects: int
    projects_by_status: dict[str, int]
    active_projects: int
    overdue_projects: int
    new_customers_per_day: list[DayCountOut]
    conversion_rate: float
    generated_at: datetime
    events_today: Annotated[int, Meta(description="Product events of the current UTC day, live.")]
    events_per_hour_today: Annotated[
        list[BucketOut],
        Meta(description="Today's product events per hour, from midnight UTC to the current hour."),
    ]
    top_events_today: Annotated[
        list[EventCountOut], Meta(description="Today's 5 most frequent product event names.")
    ]

    @classmethod
    def of(cls, board: Dashboard) -> DashboardOut:
        return cls(
            total_customers=board.total_customers,
            customers_by_status=dict(board.customers_by_status),
            customers_by_value=dict(board.customers_by_value),
            high_value_customers=board.high_value_customers,
            total_projects=board.total_projects,
            projects_by_status=dict(board.projects_by_status),
            active_projects=board.active_projects,
            overdue_projects=board.overdue_projects,
            new_customers_per_day=[
                DayCountOut(day=d.day, count=d.count) for d in board.new_customers_per_day
            ],
            conversion_rate=board.conversion_rate,
            generated_at=board.generated_at,
            events_today=board.events_today,
            events_per_hour_today=[
                BucketOut(start=b.start, count=b.count) for b in board.events_per_hour_today
            ],
            top_events_today=[EventCountOut.of(e) for e in board.top_events_today],
        )
