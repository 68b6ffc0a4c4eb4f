"""Engagement counts the customer's interactions and nothing else: Lana's own events about
the customer (created, changed, assessed) and product analytics never move it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from lana_core.app import Lana
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import InteractionType
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch
from lana_core.usecases.customers import (
    ChangeCustomerStatus,
    ChangeCustomerValue,
    CreateCustomer,
    UpdateCustomer,
)
from lana_core.usecases.insights import GenerateInsight
from lana_core.usecases.interactions import RecordInteraction
from lana_core.usecases.projects import CreateProject
from tests.support import FAST_HASHER, START, make_kernel, make_tenant

SystemAction = Callable[[Lana, Actor, UUID], Awaitable[object]]


async def _assess(lana: Lana, actor: Actor, customer_id: UUID) -> Insight:
    return await lana.generate_insight(actor, GenerateInsight(customer_id=customer_id, refresh=True))


async def _change_status(lana: Lana, actor: Actor, customer_id: UUID) -> object:
    current = (await lana.get_customer(actor, customer_id)).customer.status
    status = CustomerStatus.INACTIVE if current is CustomerStatus.ACTIVE else CustomerStatus.ACTIVE
    return await lana.change_customer_status(
        actor, ChangeCustomerStatus(customer_id=customer_id, status=status)
    )


async def _change_value(lana: Lana, actor: Actor, customer_id: UUID) -> object:
    current = (await lana.get_customer(actor, customer_id)).customer.value
    value = CustomerValue.LOW if current is CustomerValue.HIGH else CustomerValue.HIGH
    return await lana.change_customer_value(actor, ChangeCustomerValue(customer_id=customer_id, value=value))


async def _rename(lana: Lana, actor: Actor, customer_id: UUID) -> object:
    return await lana.update_customer(actor, UpdateCustomer(customer_id=customer_id, company="Engines Ltd"))


async def _new_project(lana: Lana, actor: Actor, customer_id: UUID) -> object:
    return await lana.create_project(actor, CreateProject(customer_id=customer_id, title="Migration"))


async def _product_events_about_it(lana: Lana, actor: Actor, customer_id: UUID) -> object:
    events = [IngestEvent(name="page_view", subject_type="customer", subject_id=customer_id)] * 12
    return await lana.ingest_events(actor, IngestEventsBatch(events=events))


# Each writes domain events (outbox, audit, analytics rows) about the customer, or analytics
# events naming it as their subject; none is an interaction with the customer.
SYSTEM_ACTIONS: tuple[SystemAction, ...] = (
    _assess,
    _change_status,
    _change_value,
    _rename,
    _new_project,
    _product_events_about_it,
)


def engagement(insight: Insight) -> int:
    """The weight of every signal that speaks of the customer's engagement or activity."""
    return sum(
        signal.weight
        for signal in insight.signals
        if any(word in f"{signal.name} {signal.detail}".lower() for word in ("engag", "activity"))
    )


def recency(insight: Insight) -> list[str]:
    return [signal.detail for signal in insight.signals if signal.name == "last_interaction"]


@given(
    contacts=st.lists(st.integers(0, 60), max_size=6),
    actions=st.lists(st.sampled_from(SYSTEM_ACTIONS), min_size=1, max_size=8),
)
async def test_system_events_never_change_the_engagement_score(
    contacts: list[int], actions: list[SystemAction]
) -> None:
    kernel = make_kernel(clock=ManualClock(START))
    lana = Lana(kernel, hasher=FAST_HASHER)
    admin = await make_tenant(kernel)
    customer = await lana.create_customer(admin, CreateCustomer(name="Ada", value=CustomerValue.HIGH))
    for days_ago in contacts:
        command = RecordInteraction(
            customer_id=customer.id,
            type=InteractionType.CALL,
            subject="Call about the renewal",
            occurred_at=START - timedelta(days=days_ago),
        )
        await lana.record_interaction(admin, command)
    before = await _assess(lana, admin, customer.id)

    for action in actions:
        await action(lana, admin, customer.id)
    after = await _assess(lana, admin, customer.id)

    assert engagement(after) == engagement(before)
    assert recency(after) == recency(before)
    if not contacts:
        assert engagement(after) == 0
        assert recency(after) == ["No interaction recorded yet"]
