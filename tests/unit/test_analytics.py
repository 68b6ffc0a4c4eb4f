"""Analytics: ingestion (one or a batch, all or nothing) and the figures read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lana_core.domain.analytics import MAX_BATCH, EventCount, EventKind, Interval, TimeBucket, Timeframe
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import PermissionDenied, ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.analytics import (
    GetMetricsHandler,
    GetTimeSeriesHandler,
    GetTopEventsHandler,
    GetUserMetricsHandler,
    IngestEvent,
    IngestEventHandler,
    IngestEventsBatch,
    IngestEventsBatchHandler,
)
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.support import make_user

# The tenant is created at 2026-01-01T00:00Z (its own tenant.created and user.created
# events count as analytics too); the data set is read at NOW.
NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


def at(**back: float) -> datetime:
    return NOW - timedelta(**back)


DATA = (
    IngestEvent(name="page_view", user_id="u1", session_id="s1", occurred_at=at(minutes=10)),
    IngestEvent(name="page_view", user_id="u1", session_id="s1", occurred_at=at(minutes=20)),
    IngestEvent(name="page_view", user_id="u2", session_id="s2", occurred_at=at(minutes=30)),
    IngestEvent(name="signup", user_id="u2", session_id="s2", occurred_at=at(minutes=50)),
    IngestEvent(name="click", user_id="u1", session_id="s3", occurred_at=at(hours=2)),
    IngestEvent(name="click", user_id="u3", session_id="s4", occurred_at=at(hours=3)),
    IngestEvent(name="page_view", user_id="u3", session_id="s4", occurred_at=at(days=3)),
    IngestEvent(name="signup", occurred_at=at(days=20)),
)


@pytest.fixture
async def loaded(kernel: Kernel, clock: ManualClock, admin: Actor) -> Actor:
    clock.set(NOW)
    await IngestEventsBatchHandler(kernel)(admin, IngestEventsBatch(events=DATA))
    return admin


async def test_metrics_count_events_users_sessions_and_top_events(kernel: Kernel, loaded: Actor) -> None:
    metrics = GetMetricsHandler(kernel)
    hour = await metrics(loaded, Timeframe.HOUR)
    assert (hour.total_events, hour.unique_users, hour.unique_sessions) == (4, 2, 2)
    assert list(hour.top_events) == [EventCount("page_view", 3), EventCount("signup", 1)]
    assert hour.average_events_per_user == 2.0
    day = await metrics(loaded, Timeframe.DAY)
    assert (day.total_events, day.unique_users, day.unique_sessions) == (6, 3, 4)
    assert [e.name for e in day.top_events] == ["page_view", "click", "signup"]
    week = await metrics(loaded, Timeframe.WEEK)
    assert (week.total_events, week.unique_users) == (7, 3)
    assert week.average_events_per_user == pytest.approx(7 / 3)


async def test_hourly_series_has_every_hour_of_the_window_with_zeros(kernel: Kernel, loaded: Actor) -> None:
    series = await GetTimeSeriesHandler(kernel)(loaded, Timeframe.DAY, Interval.HOUR)
    assert len(series) == 24
    assert series[0].start == datetime(2026, 1, 9, 12, tzinfo=UTC)
    non_zero = [bucket for bucket in series if bucket.count]
    assert non_zero == [
        TimeBucket(datetime(2026, 1, 10, 9, tzinfo=UTC), 1),
        TimeBucket(datetime(2026, 1, 10, 10, tzinfo=UTC), 1),
        TimeBucket(datetime(2026, 1, 10, 11, tzinfo=UTC), 4),
    ]


async def test_daily_and_weekly_series_bucket_by_utc_day_and_iso_week(kernel: Kernel, loaded: Actor) -> None:
    series = GetTimeSeriesHandler(kernel)
    days = await series(loaded, Timeframe.WEEK, Interval.DAY)
    assert [b.start.day for b in days] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert [b.count for b in days] == [0, 0, 0, 0, 1, 0, 0, 6]
    weeks = await series(loaded, Timeframe.MONTH, Interval.WEEK)
    assert [(b.start.month, b.start.day) for b in weeks] == [(12, 8), (12, 15), (12, 22), (12, 29), (1, 5)]
    assert [b.count for b in weeks] == [0, 1, 0, 0, 7]
    # Dec 29's week holds the tenant's own creation: system events, counted apart.
    system = await series(loaded, Timeframe.MONTH, Interval.WEEK, EventKind.SYSTEM)
    assert [b.count for b in system] == [0, 0, 0, 2, 0]


async def test_top_events_are_limited_and_ranked_by_count_then_name(kernel: Kernel, loaded: Actor) -> None:
    top = GetTopEventsHandler(kernel)
    assert list(await top(loaded, Timeframe.DAY, 2)) == [EventCount("page_view", 3), EventCount("click", 2)]
    assert [e.count for e in await top(loaded, Timeframe.DAY, 100)] == [3, 2, 1]
    for limit in (0, 101):
        with pytest.raises(ValidationError) as raised:
            await top(loaded, Timeframe.DAY, limit)
        assert raised.value.errors[0].field == "limit"


async def test_user_metrics_break_down_one_users_events(kernel: Kernel, loaded: Actor) -> None:
    user = await GetUserMetricsHandler(kernel)(loaded, "u1", Timeframe.DAY)
    assert (user.total_events, user.unique_sessions) == (3, 2)
    assert list(user.by_event) == [EventCount("page_view", 2), EventCount("click", 1)]
    assert [e.occurred_at for e in user.recent] == [at(minutes=10), at(minutes=20), at(hours=2)]
    with pytest.raises(ValidationError):
        await GetUserMetricsHandler(kernel)(loaded, "  ", Timeframe.DAY)


async def test_a_new_event_is_seen_by_the_next_read(kernel: Kernel, loaded: Actor) -> None:
    metrics = GetMetricsHandler(kernel)
    assert (await metrics(loaded, Timeframe.HOUR)).total_events == 4
    await IngestEventHandler(kernel)(
        loaded, IngestEvent(name="click", user_id="u9", occurred_at=at(minutes=1))
    )
    after = await metrics(loaded, Timeframe.HOUR)
    assert (after.total_events, after.unique_users) == (5, 3)


async def test_an_event_without_a_time_happens_now(kernel: Kernel, clock: ManualClock, loaded: Actor) -> None:
    event = await IngestEventHandler(kernel)(loaded, IngestEvent(name="click"))
    assert event.occurred_at == event.received_at == NOW
    clock.advance(timedelta(minutes=1))
    assert (await GetMetricsHandler(kernel)(loaded, Timeframe.HOUR)).total_events == 5


async def test_a_batch_with_any_bad_event_stores_none_and_names_each_bad_field(
    kernel: Kernel, loaded: Actor
) -> None:
    bad = (
        IngestEvent(name="ok", user_id="u1"),
        IngestEvent(name="  "),
        IngestEvent(name="late", occurred_at=datetime(2026, 1, 10, 11)),  # naive
        IngestEvent(name="ahead", occurred_at=NOW + timedelta(hours=1)),
    )
    with pytest.raises(ValidationError) as raised:
        await IngestEventsBatchHandler(kernel)(loaded, IngestEventsBatch(events=bad))
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("events[1].name", "required"),
        ("events[2].occurred_at", "naive_datetime"),
        ("events[3].occurred_at", "in_future"),
    ]
    assert (await GetMetricsHandler(kernel)(loaded, Timeframe.MONTH)).total_events == 8


@pytest.mark.parametrize(("count", "code"), [(0, "required"), (MAX_BATCH + 1, "too_many")])
async def test_a_batch_holds_one_to_max_batch_events(
    kernel: Kernel, admin: Actor, count: int, code: str
) -> None:
    events = tuple(IngestEvent(name="e") for _ in range(count))
    with pytest.raises(ValidationError) as raised:
        await IngestEventsBatchHandler(kernel)(admin, IngestEventsBatch(events=events))
    assert [(e.field, e.code) for e in raised.value.errors] == [("events", code)]


async def test_agents_may_ingest_viewers_may_only_read(
    kernel: Kernel, clock: ManualClock, admin: Actor
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    viewer = await make_user(kernel, admin, Role.VIEWER)
    await IngestEventHandler(kernel)(agent, IngestEvent(name="click"))
    with pytest.raises(PermissionDenied):
        await IngestEventHandler(kernel)(viewer, IngestEvent(name="click"))
    clock.advance(timedelta(minutes=1))
    assert EventCount("click", 1) in await GetTopEventsHandler(kernel)(viewer, Timeframe.HOUR, 5)


async def test_an_unknown_timeframe_or_interval_is_a_validation_error(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(ValidationError) as raised:
        await GetMetricsHandler(kernel)(admin, "2d")  # type: ignore[arg-type]
    assert raised.value.errors[0].field == "timeframe"
    with pytest.raises(ValidationError) as raised:
        await GetTimeSeriesHandler(kernel)(admin, Timeframe.DAY, "minute")  # type: ignore[arg-type]
    assert raised.value.errors[0].field == "interval"


async def test_figures_count_product_events_and_keep_lanas_own_events_apart(
    kernel: Kernel, loaded: Actor, clock: ManualClock
) -> None:
    # The admin, as a product user, did something; Lana recorded the admin's domain changes.
    staff = str(loaded.user_id)
    await IngestEventHandler(kernel)(loaded, IngestEvent(name="report_exported", user_id=staff))
    await CreateCustomerHandler(kernel)(loaded, CreateCustomer(name="Initech"))
    clock.advance(timedelta(minutes=1))  # windows end before "now"
    top, users = GetTopEventsHandler(kernel), GetUserMetricsHandler(kernel)

    product = await top(loaded, Timeframe.MONTH, 100)
    system = await top(loaded, Timeframe.MONTH, 100, EventKind.SYSTEM)
    assert {e.name for e in product} == {"page_view", "click", "signup", "report_exported"}
    assert {e.kind for e in product} == {EventKind.PRODUCT}
    assert {e.name for e in system} == {"customer.created", "tenant.created", "user.created"}
    assert {e.kind for e in system} == {EventKind.SYSTEM}
    by_user = await users(loaded, staff, Timeframe.MONTH)
    assert list(by_user.by_event) == [EventCount("report_exported", 1)]
    assert {e.name for e in (await users(loaded, staff, Timeframe.MONTH, EventKind.SYSTEM)).by_event} == {
        "customer.created",
        "tenant.created",
        "user.created",
    }
    metrics = GetMetricsHandler(kernel)
    assert (await metrics(loaded, Timeframe.MONTH)).total_events == len(DATA) + 1
    assert (await metrics(loaded, Timeframe.MONTH, EventKind.SYSTEM)).total_events == 3


@pytest.mark.parametrize("name", ["insight.generated", "customer.created", "customer.created.high_value"])
async def test_an_event_named_like_a_system_event_is_refused(kernel: Kernel, admin: Actor, name: str) -> None:
    batch = IngestEventsBatch(events=(IngestEvent(name="viewed"), IngestEvent(name=f" {name} ")))
    with pytest.raises(ValidationError) as raised:
        await IngestEventsBatchHandler(kernel)(admin, batch)
    assert [(e.field, e.code) for e in raised.value.errors] == [("events[1].name", "reserved")]
    with pytest.raises(ValidationError):
        await IngestEventHandler(kernel)(admin, IngestEvent(name=name))
    assert (await GetMetricsHandler(kernel)(admin, Timeframe.MONTH)).total_events == 0
    # Names that merely look alike are product events.
    await IngestEventHandler(kernel)(admin, IngestEvent(name=f"{name}.clicked"))


async def test_an_unknown_kind_is_a_validation_error(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(ValidationError) as raised:
        await GetTopEventsHandler(kernel)(admin, Timeframe.DAY, 10, "audit")  # type: ignore[arg-type]
    assert raised.value.errors[0].field == "kind"
