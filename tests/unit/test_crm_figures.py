"""Interactions per day: whatever was logged when, the series covers every day of the window
once and counts each interaction in the window on its own UTC day and type."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lana_core.domain.interactions import InteractionType
from lana_core.memory import ManualClock
from lana_core.usecases.crm_figures import GetInteractionsPerDayHandler
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.interactions import RecordInteraction, RecordInteractionHandler
from tests.support import make_kernel, make_tenant

NOW = datetime(2026, 3, 15, 17, 30, tzinfo=UTC)
# Minutes around now: well before the longest window tried, and a little into tomorrow.
logged_at = st.integers(min_value=-12 * 24 * 60, max_value=24 * 60).map(lambda m: NOW + timedelta(minutes=m))
logs = st.lists(st.tuples(logged_at, st.sampled_from(InteractionType)), max_size=25)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(logged=logs, days=st.integers(min_value=1, max_value=10))
async def test_every_interaction_in_the_window_counts_once_on_its_day_and_type(
    logged: list[tuple[datetime, InteractionType]], days: int
) -> None:
    kernel = make_kernel(clock=ManualClock(NOW))
    admin = await make_tenant(kernel)
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    record = RecordInteractionHandler(kernel)
    for when, kind in logged:
        command = RecordInteraction(customer_id=customer.id, type=kind, subject="x", occurred_at=when)
        await record(admin, command)

    series = await GetInteractionsPerDayHandler(kernel)(admin, days=days)

    today = NOW.date()
    assert [day.day for day in series.days] == [today - timedelta(days=n) for n in reversed(range(days))]
    expected = Counter(
        (when.date(), kind.value) for when, kind in logged if series.first_day <= when.date() <= today
    )
    for day in series.days:
        assert day.by_type == {kind.value: expected[day.day, kind.value] for kind in InteractionType}
    assert series.total == sum(expected.values())
