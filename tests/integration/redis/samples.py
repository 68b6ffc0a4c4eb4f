"""One value of every kind the use cases cache, with times, dates, ids, enums and mappings,
and hypothesis strategies building any of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from lana_core.domain.analytics import (
    AnalyticsEvent,
    Dashboard,
    DayActivity,
    DayCount,
    EventCount,
    InteractionDay,
    Metrics,
    TaskCounts,
    TimeBucket,
    UserMetrics,
)
from lana_core.domain.insights import ChurnRisk, Insight, InsightSource, Signal
from lana_core.usecases.analytics import TimeSeries, TopEvents
from lana_core.usecases.crm_figures import InteractionsPerDay

AT = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
TENANT = UUID("0190f5b2-1111-7000-8000-000000000001")


def analytics_event(name: str = "page.view", **changes: Any) -> AnalyticsEvent:
    values: dict[str, Any] = {
        "id": UUID("0190f5b2-2222-7000-8000-000000000002"),
        "tenant_id": TENANT,
        "name": name,
        "user_id": "user-1",
        "session_id": None,
        "subject_type": "customer",
        "subject_id": UUID("0190f5b2-3333-7000-8000-000000000003"),
        "properties": {"plan": "pro", "seats": 3, "ratio": 0.25, "trial": True, "coupon": None},
        "occurred_at": AT,
        "received_at": AT + timedelta(seconds=1),
    }
    values.update(changes)
    return AnalyticsEvent(**values)


SAMPLES: dict[type[Any], Any] = {
    Metrics: Metrics(
        total_events=12,
        unique_users=3,
        unique_sessions=4,
        top_events=(EventCount("page.view", 9), EventCount("signup", 3)),
        average_events_per_user=4.0,
    ),
    TimeSeries: TimeSeries((TimeBucket(AT, 2), TimeBucket(AT + timedelta(hours=1), 0))),
    TopEvents: TopEvents((EventCount("page.view", 9),)),
    UserMetrics: UserMetrics(
        user_id="user-1",
        total_events=1,
        unique_sessions=0,
        by_event=(EventCount("page.view", 1),),
        recent=(analytics_event(),),
    ),
    Dashboard: Dashboard(
        total_customers=5,
        customers_by_status={"prospect": 2, "active": 3},
        customers_by_value={"high": 1, "medium": 4},
        high_value_customers=1,
        total_projects=2,
        projects_by_status={"in_progress": 1, "done": 1},
        active_projects=1,
        overdue_projects=0,
        new_customers_per_day=(DayCount(date(2026, 3, 3), 0), DayCount(date(2026, 3, 4), 5)),
        conversion_rate=0.6,
        generated_at=AT,
        events_today=7,
        events_per_hour_today=(TimeBucket(AT, 7),),
        top_events_today=(EventCount("page.view", 7),),
    ),
    DayActivity: DayActivity(day=date(2026, 3, 4), per_hour={0: 2, 5: 5}, per_name={"page.view": 7}),
    TaskCounts: TaskCounts(open=4, overdue=1, completed=9),
    InteractionsPerDay: InteractionsPerDay(
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 4),
        days=(
            InteractionDay.none_on(date(2026, 3, 3)),
            InteractionDay(day=date(2026, 3, 4), by_type={"email": 1, "call": 2, "meeting": 0, "note": 0}),
        ),
    ),
    Insight: Insight(
        id=UUID("0190f5b2-4444-7000-8000-000000000004"),
        tenant_id=TENANT,
        customer_id=UUID("0190f5b2-3333-7000-8000-000000000003"),
        health_score=72,
        churn_risk=ChurnRisk.MEDIUM,
        summary="Steady — deliveries on time, 2 overdue tasks.",
        recommendations=("Call the sponsor", "Close the overdue tasks"),
        signals=(Signal("overdue", "2 overdue tasks", -8),),
        model="rules",
        source=InsightSource.RULES,
        fallback_reason=None,
        latency_ms=1.5,
        prompt_tokens=0,
        completion_tokens=0,
        created_at=AT,
    ),
}

_texts = st.text(max_size=12)
_counts = st.integers(min_value=0, max_value=2**53)
_times = st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _texts
)
_event_counts = st.builds(EventCount, _texts, _counts)
_events = st.builds(
    analytics_event,
    name=_texts,
    id=st.uuids(),
    user_id=st.none() | _texts,
    session_id=st.none() | _texts,
    subject_id=st.none() | st.uuids(),
    properties=st.dictionaries(_texts, _scalars, max_size=4),
    occurred_at=_times,
)

cached_values: st.SearchStrategy[Any] = st.one_of(
    st.builds(
        Metrics,
        total_events=_counts,
        unique_users=_counts,
        unique_sessions=_counts,
        top_events=st.lists(_event_counts, max_size=5).map(tuple),
        average_events_per_user=st.floats(min_value=0, max_value=1e9),
    ),
    st.builds(TimeSeries, st.lists(st.builds(TimeBucket, _times, _counts), max_size=5).map(tuple)),
    st.builds(TopEvents, st.lists(_event_counts, max_size=5).map(tuple)),
    st.builds(
        UserMetrics,
        user_id=_texts,
        total_events=_counts,
        unique_sessions=_counts,
        by_event=st.lists(_event_counts, max_size=3).map(tuple),
        recent=st.lists(_events, max_size=3).map(tuple),
    ),
    st.builds(
        Dashboard,
        total_customers=_counts,
        customers_by_status=st.dictionaries(_texts, _counts, max_size=3),
        customers_by_value=st.dictionaries(_texts, _counts, max_size=3),
        high_value_customers=_counts,
        total_projects=_counts,
        projects_by_status=st.dictionaries(_texts, _counts, max_size=3),
        active_projects=_counts,
        overdue_projects=_counts,
        new_customers_per_day=st.lists(st.builds(DayCount, st.dates(), _counts), max_size=3).map(tuple),
        conversion_rate=st.floats(min_value=0, max_value=1),
        generated_at=_times,
        events_today=_counts,
        events_per_hour_today=st.lists(st.builds(TimeBucket, _times, _counts), max_size=3).map(tuple),
        top_events_today=st.lists(_event_counts, max_size=3).map(tuple),
    ),
    st.builds(
        DayActivity,
        day=st.dates(),
        per_hour=st.dictionaries(st.integers(0, 23), _counts, max_size=4),
        per_name=st.dictionaries(_texts, _counts, max_size=4),
    ),
    st.builds(TaskCounts, open=_counts, overdue=_counts, completed=_counts),
    st.builds(
        InteractionsPerDay,
        first_day=st.dates(),
        last_day=st.dates(),
        days=st.lists(
            st.builds(InteractionDay, day=st.dates(), by_type=st.dictionaries(_texts, _counts, max_size=4)),
            max_size=3,
        ).map(tuple),
    ),
)
