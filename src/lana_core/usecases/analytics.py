"""Analytics use cases: ingest product events; read metrics, time series, top events and
per-user metrics for a timeframe counted back from now, of one kind of event: product
events (what users did) unless system events (what Lana did) are asked for. An ingested
event may not take a system event's name (a domain event type), so the kinds never mix.

Reads are cache-aside in the tenant's ``analytics`` namespace with short lifetimes: a
window that ends "now" moves, so a cached figure may lag by at most its TTL; any ingest
or domain change drops the namespace after commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar
from uuid import UUID

from attrs import field, frozen

from lana_core.domain import validation
from lana_core.domain.analytics import (
    MAX_BATCH,
    AnalyticsEvent,
    EventCount,
    EventKind,
    Interval,
    Metrics,
    TimeBucket,
    Timeframe,
    UserMetrics,
)
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor
from lana_core.domain.validation import JsonScalar
from lana_core.errors import FieldError, ValidationError
from lana_core.ports import CacheKey
from lana_core.usecases._analytics_windows import filled_series
from lana_core.usecases._base import UseCase, authorize_in, authorize_read
from lana_core.usecases._event_kinds import refuse_system_name
from lana_core.usecases.caching import ANALYTICS

__all__ = [
    "MAX_TOP_LIMIT",
    "EventFields",
    "GetMetricsHandler",
    "GetTimeSeriesHandler",
    "GetTopEventsHandler",
    "GetUserMetricsHandler",
    "IngestEvent",
    "IngestEventHandler",
    "IngestEventsBatch",
    "IngestEventsBatchHandler",
    "TimeSeries",
    "TopEvents",
]

T = TypeVar("T")

METRICS_TTL_SECONDS = 30.0
TIME_SERIES_TTL_SECONDS = 30.0
TOP_EVENTS_TTL_SECONDS = 30.0
USER_METRICS_TTL_SECONDS = 30.0
TOP_EVENTS_IN_METRICS = 5
RECENT_USER_EVENTS = 10
MAX_TOP_LIMIT = 100
MAX_USER_ID_LENGTH = 200
# Clients' clocks drift; an event stamped further ahead than this is a client bug.
MAX_FUTURE_SKEW = timedelta(minutes=5)


@frozen(kw_only=True)
class IngestEvent:
    name: str
    user_id: str | None = None
    session_id: str | None = None
    subject_type: str | None = None
    subject_id: UUID | None = None
    properties: Mapping[str, JsonScalar] = field(factory=dict)
    occurred_at: datetime | None = None


class EventFields(Protocol):
    """What an event to ingest says: :class:`IngestEvent`, or any object with these fields
    (a driver's decoded request item is taken as is, without a copy per event)."""

    @property
    def name(self) -> str: ...
    @property
    def user_id(self) -> str | None: ...
    @property
    def session_id(self) -> str | None: ...
    @property
    def subject_type(self) -> str | None: ...
    @property
    def subject_id(self) -> UUID | None: ...
    @property
    def properties(self) -> Mapping[str, JsonScalar]: ...
    @property
    def occurred_at(self) -> datetime | None: ...


@frozen(kw_only=True)
class IngestEventsBatch:
    events: Sequence[EventFields]


@frozen
class TimeSeries:
    """Cached form of a time series: every bucket of the window, oldest first."""

    buckets: tuple[TimeBucket, ...]


@frozen
class TopEvents:
    """Cached form of a top-events answer."""

    events: tuple[EventCount, ...]


class IngestEventHandler(UseCase):
    """Record one product event. Raises ValidationError, PermissionDenied."""

    __slots__ = ()

    async def __call__(self, actor: Actor, command: IngestEvent) -> AnalyticsEvent:
        now = self._now()
        event = _build(self, actor, command, now, prefix="", latest=now + MAX_FUTURE_SKEW)
        await _store(self, actor, (event,))
        return event


class IngestEventsBatchHandler(UseCase):
    """Record 1 to ``MAX_BATCH`` product events, all or none.

    Every event is checked before any is stored; errors name the event as ``events[i].field``.
    Raises ValidationError, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: IngestEventsBatch) -> tuple[AnalyticsEvent, ...]:
        commands = tuple(command.events)
        if not commands:
            raise ValidationError.single("events", "required", "must hold at least one event")
        if len(commands) > MAX_BATCH:
            raise ValidationError.single("events", "too_many", f"at most {MAX_BATCH} events per batch")
        now = self._now()
        latest = now + MAX_FUTURE_SKEW
        built: list[AnalyticsEvent] = []
        problems: list[FieldError] = []
        for index, item in enumerate(commands):
            try:
                built.append(_build(self, actor, item, now, prefix=f"events[{index}].", latest=latest))
            except ValidationError as error:
                problems.extend(error.errors)
        if problems:
            raise ValidationError(problems)
        stored = tuple(built)
        await _store(self, actor, stored)
        return stored


class GetMetricsHandler(UseCase):
    """Totals, unique users and sessions, the top 5 events and events per user over a
    timeframe. Raises ValidationError, PermissionDenied."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, timeframe: Timeframe, kind: EventKind = EventKind.PRODUCT
    ) -> Metrics:
        frame, of_kind = Timeframe(timeframe), EventKind(kind)
        since, until = _window(self, frame)

        async def compute() -> Metrics:
            async with self._kernel.uow(actor.tenant_id) as uow:
                return await uow.analytics.metrics(since, until, TOP_EVENTS_IN_METRICS, of_kind)

        key = f"metrics:{frame.value}:{of_kind.value}"
        return await _cached(self, actor, key, kind=Metrics, compute=compute, ttl_seconds=METRICS_TTL_SECONDS)


class GetTimeSeriesHandler(UseCase):
    """Event counts per interval over a timeframe, oldest first, empty buckets as zero.

    Buckets start on the hour, at midnight UTC, or on Monday midnight UTC.
    Raises ValidationError, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, timeframe: Timeframe, interval: Interval, kind: EventKind = EventKind.PRODUCT
    ) -> Sequence[TimeBucket]:
        frame, step, of_kind = Timeframe(timeframe), Interval(interval), EventKind(kind)
        since, until = _window(self, frame)

        async def compute() -> TimeSeries:
            async with self._kernel.uow(actor.tenant_id) as uow:
                found = await uow.analytics.time_series(since, until, step, of_kind)
            return TimeSeries(filled_series(found, since, until, step))

        key = f"series:{frame.value}:{step.value}:{of_kind.value}"
        series = await _cached(
            self, actor, key, kind=TimeSeries, compute=compute, ttl_seconds=TIME_SERIES_TTL_SECONDS
        )
        return series.buckets


class GetTopEventsHandler(UseCase):
    """The most frequent event names over a timeframe, ties by name; ``limit`` is 1 to 100.
    Raises ValidationError, PermissionDenied."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, timeframe: Timeframe, limit: int = 10, kind: EventKind = EventKind.PRODUCT
    ) -> Sequence[EventCount]:
        frame, of_kind = Timeframe(timeframe), EventKind(kind)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_TOP_LIMIT:
            raise ValidationError.single("limit", "out_of_range", f"must be between 1 and {MAX_TOP_LIMIT}")
        since, until = _window(self, frame)

        async def compute() -> TopEvents:
            async with self._kernel.uow(actor.tenant_id) as uow:
                return TopEvents(tuple(await uow.analytics.top_events(since, until, limit, of_kind)))

        key = f"top:{frame.value}:{limit}:{of_kind.value}"
        top = await _cached(
            self, actor, key, kind=TopEvents, compute=compute, ttl_seconds=TOP_EVENTS_TTL_SECONDS
        )
        return top.events


class GetUserMetricsHandler(UseCase):
    """One product user's events over a timeframe: totals, sessions, breakdown by event and
    the 10 most recent. Raises ValidationError (an empty, long or control-character id),
    PermissionDenied."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, user_id: str, timeframe: Timeframe, kind: EventKind = EventKind.PRODUCT
    ) -> UserMetrics:
        frame, of_kind = Timeframe(timeframe), EventKind(kind)
        user = user_id.strip() if isinstance(user_id, str) else ""
        if not user or len(user) > MAX_USER_ID_LENGTH:
            raise ValidationError.single(
                "user_id", "invalid", f"must be 1 to {MAX_USER_ID_LENGTH} characters"
            )
        errors = validation.Errors()
        validation.free_of_control_characters(errors, "user_id", user)
        errors.raise_if_any()
        since, until = _window(self, frame)

        async def compute() -> UserMetrics:
            async with self._kernel.uow(actor.tenant_id) as uow:
                return await uow.analytics.user_metrics(user, since, until, RECENT_USER_EVENTS, of_kind)

        # Timeframe and kind contain no ':', so the user id after them cannot forge another key.
        key = f"user:{frame.value}:{of_kind.value}:{user}"
        return await _cached(
            self, actor, key, kind=UserMetrics, compute=compute, ttl_seconds=USER_METRICS_TTL_SECONDS
        )


def _build(
    use_case: UseCase, actor: Actor, command: EventFields, now: datetime, *, prefix: str, latest: datetime
) -> AnalyticsEvent:
    event = AnalyticsEvent.create(
        id=use_case._kernel.ids.new_id(),
        tenant_id=actor.tenant_id,
        name=command.name,
        user_id=command.user_id,
        session_id=command.session_id,
        subject_type=command.subject_type,
        subject_id=command.subject_id,
        properties=command.properties,
        occurred_at=command.occurred_at,
        now=now,
        field_prefix=prefix,
    )
    if event.occurred_at > latest:
        raise ValidationError([FieldError(f"{prefix}occurred_at", "in_future", "must not be in the future")])
    refuse_system_name(event, prefix)
    return event


async def _store(use_case: UseCase, actor: Actor, built: tuple[AnalyticsEvent, ...]) -> None:
    kernel = use_case._kernel
    async with kernel.change(actor.tenant_id) as unit:
        await authorize_in(unit.uow, actor, Action.CREATE, Resource.ANALYTICS)
        await unit.ingest(built)
        await unit.commit()


async def _cached(
    use_case: UseCase,
    actor: Actor,
    params: str,
    *,
    kind: type[T],
    compute: Callable[[], Awaitable[T]],
    ttl_seconds: float,
) -> T:
    """Authorize the read, then serve it from the tenant's analytics cache."""
    kernel = use_case._kernel
    await authorize_read(kernel, actor, Resource.ANALYTICS)
    key = CacheKey(actor.tenant_id, ANALYTICS, params)
    return await kernel.cache.get_or_compute(key, kind, compute, ttl_seconds)


def _window(use_case: UseCase, frame: Timeframe) -> tuple[datetime, datetime]:
    until = use_case._kernel.clock.now()
    return until - frame.span, until
