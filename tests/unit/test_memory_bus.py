"""InMemoryEventBus: topic routing, every handler runs, failures reported together."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from lana_core.domain import events
from lana_core.domain.events import DomainEvent
from lana_core.errors import Unavailable
from lana_core.memory import HandlerFailures, InMemoryEventBus


def event(event_type: str) -> DomainEvent:
    return DomainEvent(
        id=uuid4(),
        type=event_type,
        tenant_id=uuid4(),
        aggregate_type=event_type.split(".", maxsplit=1)[0],
        aggregate_id=uuid4(),
        aggregate_version=1,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_id=None,
        payload={},
    )


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, received: DomainEvent) -> None:
        self.seen.append(received.type)


async def test_handlers_receive_the_events_their_topic_pattern_matches_in_order() -> None:
    bus, customers, high_value, everything = InMemoryEventBus(), Recorder(), Recorder(), Recorder()
    bus.subscribe("customer.*", customers)
    bus.subscribe("#.high_value", high_value)
    bus.subscribe("#", everything)
    published = [events.CUSTOMER_CREATED, events.CUSTOMER_CREATED_HIGH_VALUE, events.PROJECT_CREATED]

    await bus.publish([event(t) for t in published])

    assert customers.seen == [events.CUSTOMER_CREATED]
    assert high_value.seen == [events.CUSTOMER_CREATED_HIGH_VALUE]
    assert everything.seen == published


async def test_a_failing_handler_does_not_stop_the_others_and_is_reported_after_all_ran() -> None:
    bus, after = InMemoryEventBus(), Recorder()

    async def broken(received: DomainEvent) -> None:
        raise RuntimeError(f"cannot handle {received.type}")

    bus.subscribe("#", broken)
    bus.subscribe("#", after)

    with pytest.raises(HandlerFailures) as raised:
        await bus.publish([event(events.CUSTOMER_CREATED), event(events.TASK_CREATED)])

    assert after.seen == [events.CUSTOMER_CREATED, events.TASK_CREATED]
    assert [str(error) for _, error in raised.value.errors] == [
        "cannot handle customer.created",
        "cannot handle task.created",
    ]
    assert isinstance(raised.value, Unavailable)
    assert isinstance(raised.value.__cause__, ExceptionGroup)


async def test_an_unsubscribed_handler_hears_nothing_more() -> None:
    bus, recorder = InMemoryEventBus(), Recorder()
    unsubscribe = bus.subscribe("#", recorder)

    unsubscribe()
    unsubscribe()
    await bus.publish([event(events.CUSTOMER_CREATED)])

    assert recorder.seen == []


async def test_publishing_with_no_subscribers_accepts_the_events() -> None:
    await InMemoryEventBus().publish([event(events.CUSTOMER_CREATED)])
