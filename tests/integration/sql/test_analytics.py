"""Analytics computed by the database answer exactly what the in-memory store computes in Python."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest

from lana_core.domain.analytics import AnalyticsEvent, EventKind, Interval
from lana_core.memory import ManualClock
from lana_core.ports import AnalyticsStore
from lana_core.usecases._base import Kernel
from tests.contract import builders
from tests.support import make_kernel, make_tenant

START = datetime(2026, 3, 2, 22, 15, tzinfo=UTC)  # a Monday evening: hour, day and week edges nearby
SUBJECT = UUID("00000000-0000-4000-8000-000000000001")
# Two of them are domain event types: system events, counted apart from product ones.
NAMES = (
    "page.viewed",
    "customer.opened",
    "report.exported",
    "a.tie",
    "b.tie",
    "customer.created",
    "insight.generated",
)


def _events(tenant_id: UUID) -> list[AnalyticsEvent]:
    """A spread of events across hours, days and a week boundary, users, sessions and subjects."""
    events = []
    for index in range(60):
        when = START + timedelta(minutes=37 * index)
        events.append(
            builders.analytics_event(
                tenant_id,
                when,
                NAMES[index % len(NAMES)] if index % 7 else "page.viewed",
                user_id=None if index % 5 == 0 else f"u{index % 3}",
                session_id=None if index % 4 == 0 else f"s{index % 6}",
                subject_id=SUBJECT if index % 3 == 0 else None,
            )
        )
    return events


Query = Callable[[AnalyticsStore], Awaitable[Any]]
WINDOW = (START - timedelta(hours=1), START + timedelta(hours=30))
QUERIES: dict[str, Query] = {
    "metrics": lambda s: s.metrics(*WINDOW, top=3),
    "metrics of an empty window": lambda s: s.metrics(
        START - timedelta(days=9), START - timedelta(days=8), top=3
    ),
    "hourly series": lambda s: s.time_series(*WINDOW, Interval.HOUR),
    "daily series": lambda s: s.time_series(*WINDOW, Interval.DAY),
    "weekly series": lambda s: s.time_series(
        START - timedelta(days=8), START + timedelta(days=9), Interval.WEEK
    ),
    "top events with ties": lambda s: s.top_events(*WINDOW, limit=4),
    "a user's metrics": lambda s: s.user_metrics("u1", *WINDOW, recent=4),
    "an unknown user's metrics": lambda s: s.user_metrics("nobody", *WINDOW, recent=4),
    "a subject's count": lambda s: s.count_for_subject(SUBJECT, START + timedelta(hours=5)),
    "half-open window": lambda s: s.metrics(START, START + timedelta(minutes=37 * 10), top=10),
    "product metrics": lambda s: s.metrics(*WINDOW, top=10, kind=EventKind.PRODUCT),
    "system metrics": lambda s: s.metrics(*WINDOW, top=10, kind=EventKind.SYSTEM),
    "product hourly series": lambda s: s.time_series(*WINDOW, Interval.HOUR, kind=EventKind.PRODUCT),
    "system daily series": lambda s: s.time_series(*WINDOW, Interval.DAY, kind=EventKind.SYSTEM),
    "product top events": lambda s: s.top_events(*WINDOW, limit=10, kind=EventKind.PRODUCT),
    "system top events": lambda s: s.top_events(*WINDOW, limit=10, kind=EventKind.SYSTEM),
    "a user's product metrics": lambda s: s.user_metrics("u1", *WINDOW, recent=4, kind=EventKind.PRODUCT),
    "a user's system metrics": lambda s: s.user_metrics("u1", *WINDOW, recent=4, kind=EventKind.SYSTEM),
}


async def _answer(kernel: Kernel, tenant_id: UUID, events: list[AnalyticsEvent], query: Query) -> Any:
    async with kernel.uow(tenant_id) as uow:
        await uow.analytics.add_many(events)
        await uow.commit()
    async with kernel.uow(tenant_id) as uow:
        return await query(uow.analytics)


@pytest.mark.parametrize("name", QUERIES)
async def test_each_aggregate_matches_the_in_memory_store(
    kernel: Kernel, clock: ManualClock, name: str
) -> None:
    memory = make_kernel(clock=clock)
    sql_admin, memory_admin = await make_tenant(kernel, "sql"), await make_tenant(memory, "memory")
    events = _events(sql_admin.tenant_id)
    twins = [_retenant(event, memory_admin.tenant_id) for event in events]

    sql_answer = await _answer(kernel, sql_admin.tenant_id, events, QUERIES[name])
    memory_answer = await _answer(memory, memory_admin.tenant_id, twins, QUERIES[name])

    assert _without_tenant(sql_answer) == _without_tenant(memory_answer)


async def test_each_kind_is_counted_apart_and_together_they_are_every_event(kernel: Kernel) -> None:
    admin = await make_tenant(kernel)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.analytics.add_many(_events(admin.tenant_id))
        await uow.commit()
    async with kernel.uow(admin.tenant_id) as uow:
        every, product, system = [
            (await uow.analytics.metrics(*WINDOW, top=10, kind=kind)) for kind in (None, *EventKind)
        ]
    assert product.total_events + system.total_events == every.total_events
    assert system.total_events > 0
    assert {e.name for e in system.top_events} == {"customer.created", "insight.generated"}
    assert not {e.name for e in product.top_events} & {"customer.created", "insight.generated"}


async def test_another_tenants_events_never_count(kernel: Kernel) -> None:
    mine, theirs = await make_tenant(kernel, "mine"), await make_tenant(kernel, "theirs")
    async with kernel.uow(theirs.tenant_id) as uow:
        await uow.analytics.add_many(_events(theirs.tenant_id))
        await uow.commit()

    async with kernel.uow(mine.tenant_id) as uow:
        metrics = await uow.analytics.metrics(*WINDOW, top=3)
        assert await uow.analytics.count_for_subject(SUBJECT, START) == 0
    assert metrics.total_events == 0


def _retenant(event: AnalyticsEvent, tenant_id: UUID) -> AnalyticsEvent:
    return attrs.evolve(event, tenant_id=tenant_id, id=uuid4())


def _without_tenant(answer: Any) -> Any:
    """Answers hold events of two tenants with their own ids; compare what the events say."""
    if hasattr(answer, "recent"):
        recent = [(e.name, e.occurred_at, e.user_id, e.session_id) for e in answer.recent]
        return attrs.evolve(answer, recent=recent)
    return answer


def _stored_as_given(tenant_id: UUID, index: int, **changes: Any) -> AnalyticsEvent:
    event = builders.analytics_event(tenant_id, START + timedelta(seconds=index), "roundtrip", user_id="rt")
    return attrs.evolve(event, **changes)


async def test_every_field_of_a_batch_is_stored_as_given(kernel: Kernel) -> None:
    admin = await make_tenant(kernel)
    tenant = admin.tenant_id
    paris = timezone(timedelta(hours=1))
    batch = [
        _stored_as_given(
            tenant,
            0,
            properties={"plan": "pro", "seats": 3, "ratio": 0.25, "trial": True, "coupon": None},
            subject_type="customer",
            subject_id=SUBJECT,
            session_id="s-1",
        ),
        _stored_as_given(tenant, 1, properties={"emoji": 'ünï ☃ "quoted" \\ tab\t', "big": 2**53}),
        _stored_as_given(
            tenant, 2, occurred_at=(START + timedelta(seconds=2, microseconds=7)).astimezone(paris)
        ),
        _stored_as_given(tenant, 3, properties={}, user_id="rt", session_id=None, subject_type=None),
    ]
    async with kernel.uow(tenant) as uow:
        await uow.analytics.add_many(batch)
        await uow.analytics.add_many(batch[:0])
        await uow.commit()
    async with kernel.uow(tenant) as uow:
        found = await uow.analytics.user_metrics("rt", START, START + timedelta(minutes=1), recent=10)
    stored = sorted(found.recent, key=lambda event: event.occurred_at)
    assert [attrs.evolve(e, properties=dict(e.properties)) for e in stored] == batch
    # Stored as given, not normalised: the keys come back in the order they were sent.
    assert list(stored[0].properties) == ["plan", "seats", "ratio", "trial", "coupon"]


async def test_a_batch_holding_another_tenants_event_stores_nothing(kernel: Kernel) -> None:
    mine, theirs = await make_tenant(kernel, "mine"), await make_tenant(kernel, "theirs")
    batch = [_stored_as_given(mine.tenant_id, 0), _stored_as_given(theirs.tenant_id, 1)]
    async with kernel.uow(mine.tenant_id) as uow:
        with pytest.raises(ValueError, match="tenant"):
            await uow.analytics.add_many(batch)
    async with kernel.uow(mine.tenant_id) as uow:
        assert (await uow.analytics.metrics(*WINDOW, top=1)).total_events == 0
