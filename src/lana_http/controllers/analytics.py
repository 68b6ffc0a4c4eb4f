"""Product analytics: ingest events; read metrics, series, top events, per-user figures, the dashboard."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from lana_core.app import Lana
from lana_core.domain.analytics import EventKind, Interval, Timeframe
from lana_core.domain.tenancy import Actor
from lana_core.domain.validation import SINGLE_LINE_PATTERN
from lana_core.usecases.analytics import MAX_TOP_LIMIT, MAX_USER_ID_LENGTH, IngestEvent, IngestEventsBatch
from lana_http.concurrency import IdempotencyKey
from lana_http.controllers._common import API
from lana_http.problems import READ, WRITE, documented
from lana_http.schemas.analytics import (
    DashboardOut,
    EventBatchIn,
    EventCountOut,
    EventIn,
    EventOut,
    IngestResult,
    MetricsOut,
    TimeSeriesOut,
    TopEventsOut,
    UserMetricsOut,
)
from lana_http.schemas.fields import NOT_BLANK

# The id product events name their user by: one line of text (a control character is 400),
# not blank (stated: the use case strips it and refuses a blank one with 422).
UserId = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=MAX_USER_ID_LENGTH,
        pattern=SINGLE_LINE_PATTERN,
        schema_extra={"allOf": [{"pattern": NOT_BLANK}]},
    ),
]


# Which events a read counts: what users did (default) or what Lana did (domain changes).
Kind = Annotated[
    EventKind,
    QueryParameter(description="`product`: events users did (ingested); `system`: Lana's own domain events."),
]


class AnalyticsController(Controller):
    """Product events in, figures out."""

    path = f"{API}/analytics"
    tags = ("analytics",)

    @post("/events", operation_id="ingestEvent", responses=documented(*WRITE), opt={"idempotent": True})
    async def ingest_event(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[EventIn],
        idempotency_key: IdempotencyKey = None,
    ) -> EventOut:
        """Record one product event."""
        return EventOut.of(await lana.ingest_event(actor, _command(data)))

    @post(
        "/events/batch", operation_id="ingestEvents", responses=documented(*WRITE), opt={"idempotent": True}
    )
    async def ingest_events(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[EventBatchIn],
        idempotency_key: IdempotencyKey = None,
    ) -> IngestResult:
        """Record 1 to 1000 product events, all or none."""
        # The decoded items are the command's events as they are: no copy per event.
        events = await lana.ingest_events(actor, IngestEventsBatch(events=data.events))
        return IngestResult(accepted=len(events), ids=[event.id for event in events])

    @get("/metrics", operation_id="getMetrics", responses=documented(*READ))
    async def metrics(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        timeframe: FromQuery[Timeframe] = Timeframe.DAY,
        kind: Kind = EventKind.PRODUCT,
    ) -> MetricsOut:
        """Totals, unique users and sessions, the top 5 events and events per user."""
        return MetricsOut.of(timeframe, await lana.get_metrics(actor, timeframe, kind))

    @get("/timeseries", operation_id="getTimeSeries", responses=documented(*READ))
    async def time_series(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        timeframe: FromQuery[Timeframe] = Timeframe.DAY,
        interval: FromQuery[Interval] = Interval.HOUR,
        kind: Kind = EventKind.PRODUCT,
    ) -> TimeSeriesOut:
        """Event counts per interval, oldest first, empty buckets as zero."""
        buckets = await lana.get_time_series(actor, timeframe, interval, kind)
        return TimeSeriesOut.of(timeframe, interval, list(buckets))

    @get("/top-events", operation_id="getTopEvents", responses=documented(*READ))
    async def top_events(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        timeframe: FromQuery[Timeframe] = Timeframe.DAY,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_TOP_LIMIT)] = 10,
        kind: Kind = EventKind.PRODUCT,
    ) -> TopEventsOut:
        """The most frequent event names, ties broken by name."""
        events = await lana.get_top_events(actor, timeframe, limit, kind)
        return TopEventsOut(timeframe=timeframe, items=[EventCountOut.of(e) for e in events])

    @get("/users/{user_id:str}", operation_id="getUserMetrics", responses=documented(*READ))
    async def user_metrics(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        user_id: UserId,
        timeframe: FromQuery[Timeframe] = Timeframe.DAY,
        kind: Kind = EventKind.PRODUCT,
    ) -> UserMetricsOut:
        """One user's events: totals, sessions, breakdown by event, the 10 most recent."""
        return UserMetricsOut.of(timeframe, await lana.get_user_metrics(actor, user_id, timeframe, kind))

    @get("/dashboard", operation_id="getDashboard", responses=documented(*READ))
    async def dashboard(self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor]) -> DashboardOut:
        """The CRM dashboard: customers and projects at a glance (cached up to a minute), and
        today's analytics events, live."""
        return DashboardOut.of(await lana.get_dashboard(actor))


def _command(event: EventIn) -> IngestEvent:
    return IngestEvent(
        name=event.name,
        user_id=event.user_id,
        session_id=event.session_id,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        properties=event.properties,
        occurred_at=event.occurred_at,
    )
