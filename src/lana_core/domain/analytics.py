"""Analytics: product events, their aggregates, and the CRM dashboard.

Two kinds of analytics event share one store (see :class:`EventKind`): product events, what
the users of a product did, ingested through the analytics API; and system events, the row
every domain change writes, named by its domain event type (``customer.created``,
``insight.generated``, …). Reads count one kind at a time, product events unless asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from attrs import frozen

from lana_core.domain import validation
from lana_core.domain.choices import Choice
from lana_core.domain.events import EVENT_TYPES
from lana_core.domain.interactions import InteractionType
from lana_core.domain.validation import JsonScalar

MAX_BATCH = 1_000
MAX_NAME_LENGTH = 100


class Timeframe(Choice, field="timeframe"):
    """The original's windows, counted back from now."""

    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"

    @property
    def span(self) -> timedelta:
        return {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}.get(
            self.value, timedelta(days=30)
        )


class EventKind(Choice, field="kind"):
    """What an analytics event records: something a product's user did (``product``), or
    something Lana did (``system``: a domain change, named by its event type)."""

    PRODUCT = "product"
    SYSTEM = "system"


# Reserved for system events: an ingested event may not take one of these names.
SYSTEM_EVENT_NAMES = EVENT_TYPES


def kind_of(name: str) -> EventKind:
    """The kind of events called ``name``: system for a domain event type, else product."""
    return EventKind.SYSTEM if name in SYSTEM_EVENT_NAMES else EventKind.PRODUCT


class Interval(Choice, field="interval"):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


@frozen(kw_only=True)
class AnalyticsEvent:
    """One product event; ``subject_*`` points at the CRM record it is about, if any."""

    id: UUID
    tenant_id: UUID
    name: str
    user_id: str | None
    session_id: str | None
    subject_type: str | None
    subject_id: UUID | None
    properties: Mapping[str, JsonScalar]
    occurred_at: datetime
    received_at: datetime

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        name: str,
        user_id: str | None,
        session_id: str | None,
        subject_type: str | None,
        subject_id: UUID | None,
        properties: Mapping[str, JsonScalar],
        occurred_at: datetime | None,
        now: datetime,
        field_prefix: str = "",
    ) -> AnalyticsEvent:
        errors = validation.Errors()
        clean_name = validation.text(
            errors, f"{field_prefix}name", name, max_length=MAX_NAME_LENGTH, required=True
        )
        clean_user = validation.text(errors, f"{field_prefix}user_id", user_id, max_length=200)
        clean_session = validation.text(errors, f"{field_prefix}session_id", session_id, max_length=200)
        clean_subject = validation.text(errors, f"{field_prefix}subject_type", subject_type, max_length=50)
        clean_properties = validation.attributes(errors, f"{field_prefix}properties", properties)
        when = occurred_at or now
        if when.tzinfo is None:
            errors.add(f"{field_prefix}occurred_at", "naive_datetime", "must carry a time zone")
        errors.raise_if_any()
        return cls(
            id=id,
            tenant_id=tenant_id,
            name=clean_name or "",
            user_id=clean_user,
            session_id=clean_session,
            subject_type=clean_subject,
            subject_id=subject_id,
            properties=clean_properties,
            occurred_at=when,
            received_at=now,
        )

    @property
    def kind(self) -> EventKind:
        return kind_of(self.name)


@frozen
class EventCount:
    name: str
    count: int

    @property
    def kind(self) -> EventKind:
        return kind_of(self.name)


@frozen(kw_only=True)
class Metrics:
    """The original's metrics for a timeframe."""

    total_events: int
    unique_users: int
    unique_sessions: int
    top_events: Sequence[EventCount]
    average_events_per_user: float


@frozen
class TimeBucket:
    start: datetime
    count: int


@frozen(kw_only=True)
class UserMetrics:
    user_id: str
    total_events: int
    unique_sessions: int
    by_event: Sequence[EventCount]
    recent: Sequence[AnalyticsEvent]


@frozen
class DayCount:
    day: date
    count: int


@frozen(kw_only=True)
class CustomerCounts:
    """Counts over live (non-archived) customers."""

    total: int
    by_status: Mapping[str, int]
    by_value: Mapping[str, int]
    ever_activated: int


@frozen(kw_only=True)
class ProjectCounts:
    """Counts over live projects; ``overdue`` as in :meth:`Project.is_overdue`."""

    total: int
    by_status: Mapping[str, int]
    overdue: int


@frozen(kw_only=True)
class TaskCounts:
    """Counts over the tasks of live projects of live customers: ``open`` ones not completed,
    ``overdue`` the open ones due before the day they were counted on."""

    open: int
    overdue: int
    completed: int

    @property
    def total(self) -> int:
        return self.open + self.completed


@frozen(kw_only=True)
class InteractionDay:
    """The interactions that occurred on one UTC day, per type; every type is present, zero or not."""

    day: date
    by_type: Mapping[str, int]

    @classmethod
    def none_on(cls, day: date) -> InteractionDay:
        return cls(day=day, by_type=_no_interactions())

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


def _no_interactions() -> dict[str, int]:
    return dict.fromkeys((t.value for t in InteractionType), 0)


def interaction_days(counted: Iterable[tuple[date, str, int]]) -> list[InteractionDay]:
    """``(day, type, count)`` rows as one :class:`InteractionDay` per day, oldest first, with
    the types no row counted as zero."""
    days: dict[date, dict[str, int]] = {}
    for day, kind, count in counted:
        by_type = days.setdefault(day, _no_interactions())
        by_type[kind] += count
    return [InteractionDay(day=day, by_type=days[day]) for day in sorted(days)]


@frozen(kw_only=True)
class DayActivity:
    """A tenant's analytics events on one UTC day: counts per hour (0-23) and per event name,
    hours and names without events left out."""

    day: date
    per_hour: Mapping[int, int]
    per_name: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_hour.values())


@frozen(kw_only=True)
class Dashboard:
    """The CRM dashboard of one tenant at ``generated_at``; the ``*_today`` figures count
    analytics events of the current UTC day up to that moment."""

    total_customers: int
    customers_by_status: Mapping[str, int]
    customers_by_value: Mapping[str, int]
    high_value_customers: int
    total_projects: int
    projects_by_status: Mapping[str, int]
    active_projects: int
    overdue_projects: int
    new_customers_per_day: Sequence[DayCount]
    conversion_rate: float
    generated_at: datetime
    events_today: int = 0
    events_per_hour_today: Sequence[TimeBucket] = ()
    top_events_today: Sequence[EventCount] = ()


def conversion_rate(counts: CustomerCounts) -> float:
    """Share of customers that reached ACTIVE among those that did plus those still prospects."""
    prospects = counts.by_status.get("prospect", 0)
    funnel = counts.ever_activated + prospects
    return round(counts.ever_activated / funnel, 4) if funnel else 0.0
